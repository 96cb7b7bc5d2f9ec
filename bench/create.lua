-- wrk script: POST a new, unique URL per request (creates, never the idempotent 200 path).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  run_id = args[1] or tostring(os.time())
end

request = function()
  counter = counter + 1
  local body = string.format('{"url": "https://example.com/bench/%s/%d/%d"}', run_id, id, counter)
  return wrk.format("POST", "/api/v1/links", {["Content-Type"] = "application/json"}, body)
end
