// routedFetch: the request cycle of an edge worker (pick, send, wait with a timeout, record, fail over,
// answer), in one call that works unchanged in workerd, Deno, Node 20 and browsers. The build copies this file
// to fetch.cjs for require(), rewriting its import and export lines.
import { EdgerouteError } from "./router.js";

const IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"];
const OPTIONS = [
  "key",
  "keyHeader",
  "attempts",
  "timeoutMs",
  "deadlineMs",
  "retryOn",
  "retryMethods",
  "maxBufferBytes",
  "fetch",
  "rewrite",
  "signal",
];

function optionError(message) {
  return new EdgerouteError("ERR_INVALID_OPTION", `routedFetch: ${message}`);
}

function checkOptions(o) {
  if (o === null || typeof o !== "object") throw optionError("options must be an object");
  for (const k of Object.keys(o)) {
    if (!OPTIONS.includes(k)) {
      throw new EdgerouteError("ERR_UNKNOWN_OPTION", `routedFetch: unknown option ${JSON.stringify(k)}; the options are ${OPTIONS.join(", ")}`);
    }
  }
  const positive = (k, whole) => {
    const v = o[k];
    if (v !== undefined && !(typeof v === "number" && v > 0 && Number.isFinite(v) && (!whole || Number.isInteger(v)))) {
      throw optionError(`${k} must be a ${whole ? "whole " : ""}number > 0, got ${String(v)}`);
    }
  };
  positive("attempts", true);
  positive("timeoutMs", false);
  positive("deadlineMs", false);
  positive("maxBufferBytes", true);
  for (const k of ["key", "fetch", "rewrite"]) {
    if (o[k] !== undefined && typeof o[k] !== "function") throw optionError(`${k} must be a function`);
  }
  if (o.keyHeader !== undefined && typeof o.keyHeader !== "string") throw optionError("keyHeader must be a header name");
  if (o.retryOn !== undefined && !(Array.isArray(o.retryOn) && o.retryOn.every((s) => Number.isInteger(s)))) {
    throw optionError("retryOn must be an array of HTTP status codes");
  }
  if (o.retryMethods !== undefined && !(Array.isArray(o.retryMethods) && o.retryMethods.every((m) => typeof m === "string"))) {
    throw optionError("retryMethods must be an array of method names");
  }
}

/** Reads up to `limit` bytes; returns the bytes, or a stream that replays what was read and the rest. */
async function bufferBody(body, limit) {
  const reader = body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      const stream = new ReadableStream({
        start(c) {
          for (const ch of chunks) c.enqueue(ch);
        },
        async pull(c) {
          const r = await reader.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      });
      return { stream };
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    bytes.set(ch, at);
    at += ch.byteLength;
  }
  return { bytes };
}

/**
 * Sends `input` to the origin the router picks for it, failing over along `router.pickN` order.
 * Returns the first good response; throws an EdgerouteError with code ERR_ALL_ATTEMPTS_FAILED and an
 * `attempts` list when no origin answered well.
 */
async function routedFetch(router, input, options = {}) {
  checkOptions(options);
  const request = input instanceof Request ? input : new Request(input);
  const url = new URL(request.url);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const retryOn = options.retryOn ?? [502, 503, 504];
  const retryMethods = (options.retryMethods ?? IDEMPOTENT).map((m) => m.toUpperCase());
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + (options.deadlineMs ?? 30_000);

  let key;
  if (options.key) key = options.key(request);
  else if (options.keyHeader) key = request.headers.get(options.keyHeader) ?? url.pathname;
  else key = url.pathname;
  // Keyless strategies ignore the key.
  const order = router.pickN(key, options.attempts ?? 3);

  let maxAttempts = retryMethods.includes(request.method.toUpperCase()) ? order.length : Math.min(1, order.length);
  let body;
  if (request.body !== null && maxAttempts > 1) {
    const b = await bufferBody(request.body, options.maxBufferBytes ?? 1 << 20);
    if (b.stream) maxAttempts = 1; // too large to replay: send it once
    body = b.bytes ?? b.stream;
  } else {
    body = request.body;
  }

  const attempts = [];
  for (let i = 0; i < maxAttempts; i++) {
    const origin = order[i];
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      attempts.push({ origin, error: "deadline exceeded before this attempt" });
      break;
    }
    const target = options.rewrite ? options.rewrite(url, origin) : new URL(url.pathname + url.search, origin);
    const ac = new AbortController();
    const limit = Math.min(timeoutMs, remaining);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error(`timeout after ${limit} ms`));
    }, limit);
    const onAbort = () => ac.abort(options.signal.reason);
    options.signal?.addEventListener("abort", onAbort);
    router.begin(origin);
    const start = Date.now();
    let response;
    try {
      const init = { method: request.method, headers: request.headers, redirect: "manual", signal: ac.signal };
      if (body !== null && body !== undefined) {
        init.body = body;
        init.duplex = "half";
      }
      response = await fetchFn(new Request(target, init));
    } catch (e) {
      const latencyMs = Date.now() - start;
      router.end(origin, { ok: false, latencyMs });
      attempts.push({ origin, error: timedOut ? `timeout after ${limit} ms` : String(e?.message ?? e), latencyMs });
      if (options.signal?.aborted) break;
      continue;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    const latencyMs = Date.now() - start;
    if (retryOn.includes(response.status)) {
      router.end(origin, { ok: false, latencyMs });
      attempts.push({ origin, status: response.status, latencyMs });
      await response.body?.cancel();
      continue;
    }
    router.end(origin, { ok: response.status < 500, latencyMs });
    return response;
  }
  const detail = attempts.map((a) => `${a.origin}: ${a.status ? `HTTP ${a.status}` : a.error}`).join("; ");
  const err = new EdgerouteError(
    "ERR_ALL_ATTEMPTS_FAILED",
    order.length === 0
      ? "routedFetch: no origin can serve (the pool is empty or every node is down)"
      : `routedFetch: ${attempts.length} attempt(s) failed: ${detail}`,
  );
  err.attempts = attempts;
  throw err;
}

export { routedFetch };
