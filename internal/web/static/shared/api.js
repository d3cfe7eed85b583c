// api.js: the HTTP side of Parley's API for the web clients. Errors come
// back as APIError with the stable code from docs/API.md (or Meta's shape
// on the Cloud API surface).

export class APIError extends Error {
  constructor(status, code, message, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

// API calls one base URL with a bearer token. getToken is read on every
// call, so a log-out or token change takes effect at once.
export class API {
  constructor({ base = '', getToken = () => '', onUnauthenticated = null } = {}) {
    this.base = base;
    this.getToken = getToken;
    this.onUnauthenticated = onUnauthenticated;
  }

  // request sends method path with a JSON body (or raw bytes when body is
  // a Blob/ArrayBuffer, with opts.contentType) and decodes JSON answers.
  async request(method, path, body, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    const token = this.getToken();
    if (token) headers.Authorization = 'Bearer ' + token;
    let payload;
    if (body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
      payload = body;
      headers['Content-Type'] = opts.contentType || body.type || 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    let res;
    try {
      res = await fetch(this.base + path, { method, headers, body: payload, signal: opts.signal, cache: 'no-store' });
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new APIError(0, 'network', 'network error: ' + err.message);
    }
    if (res.status === 204) return null;
    const type = res.headers.get('Content-Type') || '';
    if (!res.ok) {
      let code = 'http_' + res.status, message = res.statusText, details;
      if (type.includes('json')) {
        const j = await res.json().catch(() => ({}));
        const e = j.error || {};
        code = e.code || code;
        message = e.message || message;
        details = e.details || e.error_data;
      }
      if (res.status === 401 && this.onUnauthenticated) this.onUnauthenticated(code);
      throw new APIError(res.status, String(code), message, details);
    }
    if (opts.raw) return res;
    if (type.includes('json')) return res.json();
    return res.text();
  }

  get(path, opts) { return this.request('GET', path, undefined, opts); }
  post(path, body, opts) { return this.request('POST', path, body ?? {}, opts); }
  put(path, body, opts) { return this.request('PUT', path, body ?? {}, opts); }
  patch(path, body, opts) { return this.request('PATCH', path, body ?? {}, opts); }
  del(path, opts) { return this.request('DELETE', path, undefined, opts); }
}
