// routedFetch: the request cycle of an edge worker (pick, send, wait with a timeout, record, fail over,
// answer), in one call that works unchanged in workerd, Deno, Node 20 and browsers. The build copies this file
// to fetch.cjs for require(), rewriting its import and export lines.
//
// Settlement never depends on fetch honouring an abort: every wait races our own timer and the caller's signal,
// and aborting the upstream request is only a best effort to free the connection. (Node's fetch drops the abort
// link when the Request it was given is garbage collected, so the Request is also held until its attempt ends.)
import { coded as codedError } from "./errors.js";
import { RECORD_REQUEST, RESULTS } from "./metrics.js";

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
// setTimeout runs a longer delay at once (it overflows a 32-bit int); longer waits are cut to this.
const MAX_TIMER_MS = 2 ** 31 - 1;
// Statuses a Response cannot be constructed with a body for, or at all.
const NULL_BODY_STATUS = [101, 103, 204, 205, 304];
const noop = () => {};

function describe(v) {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (typeof v === "object") return `an object (${v.constructor?.name ?? "no prototype"})`;
  if (typeof v === "function") return "a function";
  return `${typeof v} ${String(v)}`;
}

/** An EdgerouteError whose message starts with "routedFetch: " (js/errors.js lists the codes). */
const coded = (code, message, cause) => codedError(code, `routedFetch: ${message}`, cause);

const optionError = (message) => coded("ERR_INVALID_OPTION", message);

/** An AbortSignal of any realm (a same-realm instanceof check would refuse an iframe's or a vm context's). */
const isSignal = (s) =>
  s !== null &&
  typeof s === "object" &&
  typeof s.aborted === "boolean" &&
  typeof s.addEventListener === "function" &&
  typeof s.removeEventListener === "function";

function checkOptions(o) {
  if (o === null || typeof o !== "object") throw optionError("options must be an object");
  for (const k of Object.keys(o)) {
    if (!OPTIONS.includes(k)) {
      throw coded("ERR_UNKNOWN_OPTION", `unknown option ${JSON.stringify(k)}; the options are ${OPTIONS.join(", ")}`);
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
  if (o.signal !== undefined && o.signal !== null && !isSignal(o.signal)) {
    throw optionError(`signal must be an AbortSignal, got ${describe(o.signal)}`);
  }
}

function checkRouter(router) {
  const ok = router !== null && typeof router === "object" && ["pickN", "begin", "end"].every((m) => typeof router[m] === "function");
  if (!ok) throw coded("ERR_INVALID_ARGUMENT", `the first argument must be a Router (pickN, begin and end), got ${describe(router)}`);
}

/** The caller's request as a Request: a Request, a URL, or a URL string (relative ones only where a page gives a base). */
function requestOf(input) {
  if (input instanceof Request) return input;
  const urlish = typeof input === "string" || input instanceof URL || (input !== null && typeof input === "object" && typeof input.href === "string");
  let cause;
  if (urlish) {
    try {
      return new Request(input);
    } catch (e) {
      cause = e;
    }
  }
  const why = cause ? `: ${cause.message}` : "";
  throw coded("ERR_INVALID_ARGUMENT", `the request must be a Request, a URL or an absolute URL string, got ${describe(input)}${why}`, cause);
}

const abortReason = (signal) => signal.reason ?? new DOMException("This operation was aborted", "AbortError");

/** Ends one in-flight request of `origin`, reporting `outcome` if given. Never throws (it runs in timers and stream callbacks). */
function release(router, origin, outcome) {
  try {
    router.end(origin, outcome);
  } catch {
    // The node was removed or the Router freed while the request was in flight: there is no count left to end.
  }
}

/** A timer that does not keep a Node or Deno process alive. */
function unrefTimer(fn, ms) {
  const t = setTimeout(fn, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
  if (typeof t === "object") t?.unref?.();
  else globalThis.Deno?.unrefTimer?.(t);
  return t;
}

/**
 * A bound on waiting: `ms` from now, or until `signal` aborts. `wait(p)` settles with { value } or { error } from
 * p, or with { stop: "time" | "abort" } as soon as the bound is reached (at once if it already was), whatever p
 * does. `hold` stays strongly referenced until `end()`.
 */
function guard(ms, signal, hold) {
  let stop = null;
  let wake = noop;
  const halt = (why) => {
    if (stop) return;
    stop = why;
    wake({ stop });
  };
  const onAbort = () => halt("abort");
  const timer = setTimeout(() => halt("time"), Math.min(Math.max(ms, 0), MAX_TIMER_MS));
  signal?.addEventListener("abort", onAbort);
  if (signal?.aborted) halt("abort");
  return {
    wait(p) {
      if (stop) return Promise.resolve({ stop });
      return new Promise((resolve) => {
        wake = resolve;
        p.then(
          (value) => resolve({ value }),
          (error) => resolve({ error }),
        );
      });
    },
    end() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      wake = noop;
      hold = undefined;
    },
  };
}

/** Reads up to `limit` bytes; returns the bytes, or a stream that replays what was read and the rest. */
async function bufferBody(body, limit, deadline, deadlineMs, signal) {
  const reader = body.getReader();
  const chunks = [];
  let size = 0;
  const g = guard(deadline - Date.now(), signal);
  try {
    for (;;) {
      const r = await g.wait(reader.read());
      if (r.stop) {
        const reason =
          r.stop === "abort"
            ? abortReason(signal)
            : coded("ERR_DEADLINE_EXCEEDED", `the deadline of ${deadlineMs} ms passed while reading the request body`);
        reader.cancel(reason).catch(noop);
        throw reason;
      }
      if ("error" in r) throw r.error; // the caller's own body stream failed
      const { done, value } = r.value;
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > limit) {
        const stream = new ReadableStream({
          start(c) {
            for (const ch of chunks) c.enqueue(ch);
          },
          async pull(c) {
            const next = await reader.read();
            if (next.done) c.close();
            else c.enqueue(next.value);
          },
          cancel(reason) {
            return reader.cancel(reason);
          },
        });
        return { stream };
      }
    }
  } finally {
    g.end();
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    bytes.set(ch, at);
    at += ch.byteLength;
  }
  return { bytes };
}

/** The upstream URL of `origin`, or an ERR_INVALID_ORIGIN error when it is not an absolute http(s) URL. */
function targetOf(url, origin, rewrite) {
  let target;
  try {
    target = rewrite ? rewrite(url, origin) : new URL(url.pathname + url.search, origin);
  } catch (e) {
    const what = rewrite ? "rewrite() threw for" : "cannot build a URL on";
    return { error: coded("ERR_INVALID_ORIGIN", `${what} node ${describe(origin)}: ${e?.message ?? e}`, e) };
  }
  let parsed;
  try {
    parsed = new URL(typeof target === "string" || target instanceof URL ? target : String(target));
  } catch {
    parsed = null;
  }
  if (parsed === null || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    const what = rewrite
      ? `rewrite() returned ${describe(target)} for node ${describe(origin)}`
      : `node id ${describe(origin)} gives ${describe(String(target))}`;
    return { error: coded("ERR_INVALID_ORIGIN", `${what}, not an absolute http(s) URL; node ids must be origin URLs`) };
  }
  return { target: parsed };
}

/** A Response of any realm or of a fetch polyfill whose body is a web stream. */
const isResponse = (v) =>
  v instanceof Response ||
  (v !== null &&
    typeof v === "object" &&
    typeof v.status === "number" &&
    typeof v.headers?.get === "function" &&
    (v.body === null || typeof v.body?.getReader === "function"));

/** Cancels the body of a response nobody will read, without waiting for it. */
function discard(res) {
  if (isResponse(res) && res.body && !res.bodyUsed) {
    try {
      res.body.cancel().catch(noop);
    } catch {
      // already locked or cancelled
    }
  }
}

/**
 * The response handed to the caller. Its body is a stream over the origin's, so the attempt ends when the body
 * does: on completion (outcome ok), on an error of the origin's body (a failure: ERR_BODY_INTERRUPTED to the
 * reader), at the deadline (ERR_DEADLINE_EXCEEDED; a failure if the origin was being waited on), on the
 * consumer's cancel or the caller's abort. The in-flight count is released at the first of these.
 */
function deliver(res, a) {
  const { router, origin, latencyMs, signal } = a;
  const okOutcome = { ok: res.status < 500, latencyMs };
  const wrappable = res.body !== null && !a.head && res.status >= 200 && res.status <= 599 && !NULL_BODY_STATUS.includes(res.status);
  if (!wrappable) {
    // Nothing to stream (HEAD, 204, 304: some runtimes give an empty stream rather than null), or a response the
    // platform will not let us rebuild (an opaque redirect in a browser, a WebSocket upgrade in workerd): the
    // attempt ends with the headers.
    release(router, origin, okOutcome);
    return res;
  }
  let reader;
  try {
    reader = res.body.getReader();
  } catch {
    // A custom fetch gave a response whose body is already locked: hand it over as it is.
    release(router, origin, okOutcome);
    return res;
  }
  let hold = a; // the attempt (and its Request) stays referenced until the body ends
  let controller;
  let waiting = false;
  let timer;
  const finish = (outcome, error) => {
    if (hold === undefined) return false;
    hold = undefined;
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    release(router, origin, outcome);
    if (error !== undefined) {
      try {
        controller.error(error);
      } catch {
        // the stream already ended
      }
      reader.cancel(error).catch(noop);
      a.ac.abort(error);
    }
    return true;
  };
  // The caller's abort and the consumer's cancel say nothing about the origin: its outcome is what it showed.
  const onAbort = () => finish(okOutcome, abortReason(signal));
  const stream = new ReadableStream(
    {
      start(c) {
        controller = c;
      },
      async pull(c) {
        if (hold === undefined) return;
        waiting = true;
        let r;
        try {
          r = await reader.read();
        } catch (e) {
          finish({ ok: false, latencyMs }, coded("ERR_BODY_INTERRUPTED", `the body from ${origin} broke off: ${e?.message ?? e}`, e));
          return;
        } finally {
          waiting = false;
        }
        if (hold === undefined) return;
        if (r.done) {
          finish(okOutcome);
          c.close();
        } else {
          c.enqueue(r.value);
        }
      },
      cancel(reason) {
        if (finish(okOutcome)) {
          reader.cancel(reason).catch(noop);
          a.ac.abort(reason);
        }
      },
    },
    { highWaterMark: 0 },
  );
  timer = unrefTimer(() => {
    const err = coded("ERR_DEADLINE_EXCEEDED", `the deadline of ${a.deadlineMs} ms passed while reading the body from ${origin}`);
    // Waiting on the origin at the deadline is its failure; a consumer that stopped reading is not.
    finish(waiting ? { ok: false, latencyMs } : okOutcome, err);
  }, a.deadline - Date.now());
  signal?.addEventListener("abort", onAbort);
  if (signal?.aborted) onAbort();
  let out;
  try {
    out = new Response(stream, { status: res.status, statusText: res.statusText, headers: res.headers });
    Object.defineProperty(out, "url", { value: res.url, enumerable: true, configurable: true });
    Object.defineProperty(out, "redirected", { value: res.redirected, enumerable: true, configurable: true });
  } catch (e) {
    finish(okOutcome, e);
    throw e;
  }
  return out;
}

/**
 * Sends `input` to the origin the router picks for it, failing over along `router.pickN` order.
 * Returns the first good response; throws an EdgerouteError with code ERR_ALL_ATTEMPTS_FAILED and an
 * `attempts` list when no origin answered well.
 */
async function routedFetch(router, input, options = {}) {
  checkRouter(router);
  checkOptions(options);
  const request = requestOf(input);
  // As with fetch(request, init): the option wins, else the Request's own signal (in a server, often aborted when
  // the client goes away).
  const signal = options.signal ?? (isSignal(request.signal) ? request.signal : undefined);
  if (signal?.aborted) throw abortReason(signal);
  // What the Router's metrics count for this request (attempts sent, attempts timed out), recorded once it ends.
  const tally = { sends: 0, timeouts: 0 };
  const started = Date.now();
  let result = "failed";
  try {
    const response = await route(router, request, options, signal, tally);
    result = "response";
    return response;
  } catch (e) {
    if (signal?.aborted) result = "aborted";
    throw e;
  } finally {
    record(router, result, tally, Date.now() - started);
  }
}

/** Records a finished request in the Router's metrics. Never throws: a freed Router or a duck-typed one records nothing. */
function record(router, result, tally, ms) {
  try {
    router[RECORD_REQUEST]?.(RESULTS.indexOf(result), tally.sends, tally.timeouts, Math.max(0, ms));
  } catch {
    // The Router was freed while the request was in flight.
  }
}

/** The request cycle of routedFetch, counting into `tally`. */
async function route(router, request, options, signal, tally) {
  const url = new URL(request.url);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const retryOn = options.retryOn ?? [502, 503, 504];
  const retryMethods = (options.retryMethods ?? IDEMPOTENT).map((m) => m.toUpperCase());
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadlineMs = options.deadlineMs ?? 30_000;
  const deadline = Date.now() + deadlineMs;

  let key;
  if (options.key) key = options.key(request);
  else if (options.keyHeader) key = request.headers.get(options.keyHeader) ?? url.pathname;
  else key = url.pathname;
  // Keyless strategies ignore the key.
  const order = router.pickN(key, options.attempts ?? 3);

  // Sends allowed; an origin refused before anything was sent does not use one.
  let maxSends = retryMethods.includes(request.method.toUpperCase()) ? order.length : Math.min(1, order.length);
  let body;
  if (request.body !== null && maxSends > 1) {
    const b = await bufferBody(request.body, options.maxBufferBytes ?? 1 << 20, deadline, deadlineMs, signal);
    if (b.stream) maxSends = 1; // too large to replay: send it once
    body = b.bytes ?? b.stream;
  } else {
    body = request.body;
  }

  const attempts = [];
  for (const origin of order) {
    if (tally.sends >= maxSends) break;
    if (signal?.aborted) throw abortReason(signal);
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      attempts.push({ origin, error: "deadline exceeded before this attempt" });
      break;
    }
    const t = targetOf(url, origin, options.rewrite);
    if (t.error) {
      // A configuration error, not the origin's health: no outcome, and nothing was sent.
      attempts.push({ origin, code: t.error.code, error: t.error.message });
      continue;
    }
    tally.sends++;
    const ac = new AbortController();
    const init = { method: request.method, headers: request.headers, redirect: "manual", signal: ac.signal };
    if (body !== null && body !== undefined) {
      init.body = body;
      init.duplex = "half";
    }
    const req = new Request(t.target, init);
    const limit = Math.min(timeoutMs, remaining);
    router.begin(origin);
    const start = Date.now();
    const g = guard(limit, signal, req);
    let sent;
    try {
      sent = Promise.resolve(fetchFn(req));
    } catch (e) {
      sent = Promise.reject(e);
    }
    const r = await g.wait(sent);
    g.end();
    const latencyMs = Math.max(0, Date.now() - start);
    if (r.stop) {
      const reason = r.stop === "abort" ? abortReason(signal) : new Error(`timeout after ${limit} ms`);
      ac.abort(reason);
      sent.then(discard, noop);
      if (r.stop === "abort") {
        release(router, origin);
        throw reason;
      }
      release(router, origin, { ok: false, latencyMs });
      tally.timeouts++;
      const error = limit < timeoutMs ? `deadline of ${deadlineMs} ms exceeded after ${limit} ms` : `timeout after ${limit} ms`;
      attempts.push({ origin, error, latencyMs });
      continue;
    }
    if ("error" in r) {
      release(router, origin, { ok: false, latencyMs });
      attempts.push({ origin, error: String(r.error?.message ?? r.error), latencyMs });
      continue;
    }
    const response = r.value;
    if (!isResponse(response)) {
      release(router, origin);
      const err = coded("ERR_INVALID_RESPONSE", `the fetch option resolved to ${describe(response)} for ${origin}, not a Response`);
      attempts.push({ origin, code: err.code, error: err.message, latencyMs });
      continue;
    }
    if (retryOn.includes(response.status)) {
      release(router, origin, { ok: false, latencyMs });
      attempts.push({ origin, status: response.status, latencyMs });
      discard(response);
      continue;
    }
    // `request` is held too: some runtimes link its signal to the caller's only while it lives.
    const head = request.method.toUpperCase() === "HEAD";
    return deliver(response, { router, origin, latencyMs, signal, ac, req, request, deadline, deadlineMs, head });
  }
  const detail = attempts.map((a) => `${a.origin}: ${a.status ? `HTTP ${a.status}` : a.error}`).join("; ");
  const err = coded(
    "ERR_ALL_ATTEMPTS_FAILED",
    order.length === 0 ? "no origin can serve (the pool is empty or every node is down)" : `${attempts.length} attempt(s) failed: ${detail}`,
  );
  err.attempts = attempts;
  throw err;
}

export { routedFetch };
