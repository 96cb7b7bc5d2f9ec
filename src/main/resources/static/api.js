// The API client of kurz's web UI. The API key lives in this browser's localStorage only; it is
// sent as an Authorization header, never in a URL (URLs end up in logs and histories).

const KEY = 'kurz.apiKey';

export function apiKey() {
  return localStorage.getItem(KEY);
}

export function saveKey(key) {
  localStorage.setItem(KEY, key.trim());
}

export function forgetKey() {
  localStorage.removeItem(KEY);
}

/** An RFC 9457 problem the API answered with. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : 'HTTP ' + status);
    this.status = status;
    this.problem = problem || {};
  }

  /** "detail" plus each field error, for showing to a person. */
  describe() {
    const errors = (this.problem.errors || []).map(e => e.field + ' ' + e.message);
    return errors.length > 1 ? errors.join('; ') : this.message;
  }
}

/** Calls the API; resolves with the JSON body (null for 204), rejects with an ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = apiKey();
  if (key) {
    headers.Authorization = 'Bearer ' + key;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (response.status === 204) {
    return null;
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data);
  }
  return data;
}
