-- wrk script for bench/run.
-- Usage: wrk -tT ... -s bench/wrk.lua URL -- MODE CODES_FILE|- API_KEY|- RUN_ID T [MARKER]
--   redirect  GET /<code>, a code picked at random per request from CODES_FILE (one per line)
--   walk      GET /<code>, each thread requesting its share of CODES_FILE once, in order (fills
--             caches); then GET /health/live. When all of a thread's walk answers are in, it
--             writes MARKER.<thread> (the count of answers that were not 302) and stops;
--             bench/Bench.java stops wrk once every thread has written its marker.
--   create    POST /api/v1/links with a URL no request used before (a new link, a durable commit)
--   mixed     95% like redirect, 5% like create
-- done() prints one line "BENCH {json}" with the counts and latency percentiles (microseconds)
-- for bench/Bench.java to read; wrk's own report stays as it is.

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  mode = args[1] or "redirect"
  local file = args[2]
  key = args[3] or "-"
  run_id = args[4] or tostring(os.time())
  codes = {}
  if file and file ~= "" and file ~= "-" then
    for line in io.lines(file) do
      codes[#codes + 1] = line
    end
  end
  n = #codes
  threads_total = tonumber(args[5] or "1")
  cursor = id
  counter = 0
  math.randomseed(os.time() * 1000 + id)
  if mode == "walk" then
    marker = args[6]
    share = math.floor((n - id + threads_total - 1) / threads_total)
    answered = 0
    not_302 = 0
    response = walk_response
    -- wrk calls request() once on thread 0 before the run to check the script, and never sends
    -- that request: that call must not take a code from the share.
    verify_call = (id == 0)
  end
  create_headers = {["Content-Type"] = "application/json"}
  if key ~= "-" then
    create_headers["Authorization"] = "Bearer " .. key
  end
end

local function random_redirect()
  return wrk.format("GET", "/" .. codes[math.random(n)])
end

local function create()
  counter = counter + 1
  local body = string.format(
    '{"url": "https://example.com/articles/%s/%d/%d?utm_source=bench&utm_medium=wrk"}', run_id, id, counter)
  return wrk.format("POST", "/api/v1/links", create_headers, body)
end

request = function()
  if mode == "redirect" then
    return random_redirect()
  elseif mode == "walk" then
    if verify_call or cursor >= n then
      verify_call = false
      return wrk.format("GET", "/health/live")
    end
    local code = codes[cursor + 1]
    cursor = cursor + threads_total
    return wrk.format("GET", "/" .. code)
  elseif mode == "create" then
    return create()
  else -- mixed
    if math.random(20) == 1 then
      return create()
    end
    return random_redirect()
  end
end

-- Set as wrk's response() in walk mode only: wrk reads whole answers only when it is defined.
function walk_response(status, headers, body)
  if status == 200 then -- /health/live, after the share
    return
  end
  answered = answered + 1
  if status ~= 302 then
    not_302 = not_302 + 1
  end
  if answered == share then
    local f = io.open(marker .. "." .. id, "w")
    f:write(tostring(not_302))
    f:close()
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
      .. '"p50":%d,"p99":%d,"p999":%d,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
