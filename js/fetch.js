// routedFetch: the request cycle of an edge worker (pick, send, wait with a timeout, record, fail over,
// answer), in one call that works unchanged in workerd, Deno, Node 20 and browsers. The build copies this file
// to fetch.cjs for require(), rewriting its import and export lines.
//
// Settlement never depends on fetch honouring an abort: every wait races our own timer and the caller's signal,
// and aborting the upstream request is only a best effort to free the connection. (Node's fetch drops the abort
// link when the Request it was given is garbage collected, so the Request is also held until its attempt ends.)
import { coded as codedError } from "./errors.js";
import { RECORD_REQUEST, RESULTS } from "./metrics.js";
import { stateOf, RetryBudget, cookieValue, encodeAffinity, decodeAffinity, setCookie } from "./traffic.js";

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
  "hedge",
  "retryBudget",
  "affinity",
  "zone",
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

/**
 * A plain copy of `o`'s own enumerable properties, each read once (an `undefined` value is absent), so a getter
 * runs once and cannot answer one thing to the check and another to the use. Its exceptions propagate unchanged.
 */
function snapshot(o) {
  const out = {};
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const isRecord = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** Copies a sub-option object (hedge, retryBudget, affinity), refusing fields it does not have. */
function subOptions(name, v, fields) {
  if (!isRecord(v)) throw optionError(`${name} must be an object with ${fields.join(", ")}, got ${describe(v)}`);
  const o = snapshot(v);
  for (const k of Object.keys(o)) {
    if (!fields.includes(k)) throw coded("ERR_UNKNOWN_OPTION", `unknown field ${name}.${k}; the fields are ${fields.join(", ")}`);
  }
  return o;
}

/** `o[k]` is undefined or a number in range: `min` (inclusive unless `open`) to `max`, whole if asked. */
function numberIn(name, v, { min = 0, open = false, max = Infinity, whole = false }) {
  const ok = typeof v === "number" && Number.isFinite(v) && (open ? v > min : v >= min) && v <= max && (!whole || Number.isInteger(v));
  if (v !== undefined && !ok) {
    const range = `${open ? ">" : ">="} ${min}${max < Infinity ? ` and <= ${max}` : ""}`;
    throw optionError(`${name} must be a ${whole ? "whole " : ""}number ${range}, got ${describe(v)}`);
  }
}

// A cookie name is an RFC 6265 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;
const utf8Length = (s) => new TextEncoder().encode(s).length;
/** A zone name: a string of 1 to 256 UTF-8 bytes (as node ids are). */
const isZone = (z) => typeof z === "string" && z.length > 0 && z.length <= 256 && utf8Length(z) <= 256;

/** The options as checked plain data: every known option validated, every nested one copied. */
function readOptions(options) {
  if (options === null || typeof options !== "object") throw optionError("options must be an object");
  const o = snapshot(options);
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
  if (o.hedge !== undefined) o.hedge = readHedge(o.hedge);
  if (o.retryBudget !== undefined) {
    const b = subOptions("retryBudget", o.retryBudget, ["percent", "minPerSecond"]);
    numberIn("retryBudget.percent", b.percent, { max: 1000 });
    numberIn("retryBudget.minPerSecond", b.minPerSecond, { max: 1e6 });
    o.retryBudget = { percent: b.percent ?? 20, minPerSecond: b.minPerSecond ?? 3 };
  }
  if (o.affinity !== undefined) {
    const a = subOptions("affinity", o.affinity, ["cookie", "ttlS", "secret"]);
    if (a.cookie !== undefined && !(typeof a.cookie === "string" && TOKEN.test(a.cookie))) {
      throw optionError(`affinity.cookie must be a cookie name (1 to 128 letters, digits and !#$%&'*+-.^_\`|~), got ${describe(a.cookie)}`);
    }
    numberIn("affinity.ttlS", a.ttlS, { min: 1, max: MAX_TTL_S, whole: true });
    if (a.secret !== undefined) {
      if (!(typeof a.secret === "string" && a.secret.length >= 16 && a.secret.length <= 1024)) {
        throw optionError(`affinity.secret must be a string of 16 to 1024 characters, got ${describe(a.secret)}`);
      }
      if (typeof globalThis.crypto?.subtle?.sign !== "function") {
        throw optionError("affinity.secret needs WebCrypto (crypto.subtle), which this runtime or page (not a secure context?) lacks");
      }
    }
    o.affinity = { cookie: a.cookie ?? "edgeroute_affinity", ttlS: a.ttlS ?? 82_800, secret: a.secret };
  }
  if (o.zone !== undefined && typeof o.zone !== "function" && !isZone(o.zone)) {
    throw optionError(`zone must be a zone name (a string of 1 to 256 UTF-8 bytes) or a function of the request returning one, got ${describe(o.zone)}`);
  }
  return o;
}

// Browsers keep a cookie at most 400 days (RFC 6265bis).
const MAX_TTL_S = 400 * 86_400;

function readHedge(v) {
  const h = subOptions("hedge", v, ["afterMs", "percentile", "minMs", "maxMs", "maxHedges"]);
  if ((h.afterMs === undefined) === (h.percentile === undefined)) {
    throw optionError("hedge needs exactly one of afterMs (a fixed delay) and percentile (a delay learnt from recent latencies)");
  }
  numberIn("hedge.afterMs", h.afterMs, { max: MAX_TIMER_MS });
  numberIn("hedge.percentile", h.percentile, { open: true, max: 99.9 });
  numberIn("hedge.minMs", h.minMs, { max: MAX_TIMER_MS });
  numberIn("hedge.maxMs", h.maxMs, { open: true, max: MAX_TIMER_MS });
  numberIn("hedge.maxHedges", h.maxHedges, { min: 1, max: 8, whole: true });
  if (h.afterMs !== undefined && (h.minMs !== undefined || h.maxMs !== undefined)) {
    throw optionError("hedge.minMs and hedge.maxMs bound a learnt delay: give them with percentile, not with afterMs");
  }
  const minMs = h.minMs ?? 5;
  const maxMs = h.maxMs ?? 1000;
  if (h.percentile !== undefined && minMs > maxMs) throw optionError(`hedge.minMs (${minMs}) must be <= hedge.maxMs (${maxMs})`);
  return { afterMs: h.afterMs, percentile: h.percentile, minMs, maxMs, maxHedges: h.maxHedges ?? 1 };
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
 * does.
 */
function guard(ms, signal) {
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
    return a.cookie === undefined ? res : withCookie(res, null, a.cookie);
  }
  let reader;
  try {
    reader = res.body.getReader();
  } catch {
    // A custom fetch gave a response whose body is already locked: hand it over as it is (without a cookie).
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
  try {
    return rebuilt(res, stream, a.cookie);
  } catch (e) {
    finish(okOutcome, e);
    throw e;
  }
}

/** A new Response with `res`'s status, headers (and `cookie` as one more Set-Cookie), url and redirected. */
function rebuilt(res, body, cookie) {
  let headers = res.headers;
  if (cookie !== undefined) {
    headers = new Headers(res.headers);
    headers.append("set-cookie", cookie);
  }
  const out = new Response(body, { status: res.status, statusText: res.statusText, headers });
  Object.defineProperty(out, "url", { value: res.url, enumerable: true, configurable: true });
  Object.defineProperty(out, "redirected", { value: res.redirected, enumerable: true, configurable: true });
  return out;
}

/**
 * A bodiless response with the affinity cookie added; one the platform will not let us rebuild (a status outside
 * 200-599: an upgrade, an opaque redirect) is returned as it is.
 */
function withCookie(res, body, cookie) {
  if (!(res.status >= 200 && res.status <= 599)) return res;
  try {
    const out = rebuilt(res, body, cookie);
    discard(res);
    return out;
  } catch {
    return res;
  }
}

/**
 * Sends `input` to the origin the router picks for it, failing over along `router.pickN` order.
 * Returns the first good response; throws an EdgerouteError with code ERR_ALL_ATTEMPTS_FAILED and an
 * `attempts` list when no origin answered well.
 */
async function routedFetch(router, input, options = {}) {
  checkRouter(router);
  const o = readOptions(options);
  const request = requestOf(input);
  // As with fetch(request, init): the option wins, else the Request's own signal (in a server, often aborted when
  // the client goes away).
  const signal = o.signal ?? (isSignal(request.signal) ? request.signal : undefined);
  if (signal?.aborted) throw abortReason(signal);
  // What the Router's metrics count for this request (attempts sent, attempts timed out), recorded once it ends.
  const tally = { sends: 0, timeouts: 0 };
  const started = Date.now();
  let result = "failed";
  try {
    const response = await route(router, request, o, signal, tally);
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

/** The zone of this request: the option, or what its function returns for the request. */
function zoneOf(o, request) {
  if (typeof o.zone !== "function") return o.zone;
  const z = o.zone(request);
  if (z !== undefined && !isZone(z)) throw optionError(`zone() must return a zone name (a string of 1 to 256 UTF-8 bytes) or undefined, got ${describe(z)}`);
  return z;
}

/** The Router's shared retry budget; the first call that gave one made it, and every later one must agree. */
function budgetOf(state, b) {
  if (state.budget === undefined) state.budget = new RetryBudget(b.percent, b.minPerSecond);
  else if (state.budget.percent !== b.percent || state.budget.minPerSecond !== b.minPerSecond) {
    throw optionError(
      `retryBudget { percent: ${b.percent}, minPerSecond: ${b.minPerSecond} } differs from this Router's budget (${state.budget.describe()}), set by an earlier call: one Router has one budget, so give every call the same settings`,
    );
  }
  return state.budget;
}

/**
 * Session affinity: the pool member the request's cookie names, and whether it can be sent to now (a current node
 * whose state is healthy or probing). A cookie that does not decode, fails its MAC, or names anything else is
 * ignored.
 */
async function affinityOf(router, state, aff, request) {
  if (typeof router.stats !== "function") throw coded("ERR_INVALID_ARGUMENT", "the affinity option needs a Router with stats()");
  const id = await decodeAffinity(state, aff, cookieValue(request.headers.get("cookie"), aff.cookie));
  if (id === undefined) return {};
  const st = router.stats().find((s) => s.id === id);
  if (st === undefined) return {};
  return { named: id, usable: st.state === "healthy" || st.state === "probing" };
}

const failureDetail = (attempts) => attempts.map((a) => `${a.origin}: ${a.status ? `HTTP ${a.status}` : a.error}`).join("; ");

/**
 * The request cycle of routedFetch, counting into `tally`. Attempts go along the origin order one at a time,
 * except that a hedge sends the next one while an attempt is still waiting for its headers: every attempt in
 * flight has its own timer, and one loop takes their events (a response, an error, a timeout), the hedge timer's
 * and the caller's abort in the order they come. The first good response wins and the others are aborted.
 */
async function route(router, request, o, signal, tally) {
  const url = new URL(request.url);
  const fetchFn = o.fetch ?? globalThis.fetch;
  const retryOn = o.retryOn ?? [502, 503, 504];
  const retryMethods = (o.retryMethods ?? IDEMPOTENT).map((m) => m.toUpperCase());
  const timeoutMs = o.timeoutMs ?? 10_000;
  const deadlineMs = o.deadlineMs ?? 30_000;
  const deadline = Date.now() + deadlineMs;
  const state = stateOf(router);

  let key;
  if (o.key) key = o.key(request);
  else if (o.keyHeader) key = request.headers.get(o.keyHeader) ?? url.pathname;
  else key = url.pathname;
  const zone = zoneOf(o, request);
  const n = o.attempts ?? 3;
  const budget = o.retryBudget ? budgetOf(state, o.retryBudget) : undefined;
  // Keyless strategies ignore the key. The zone goes to pickN only when there is one, so a Router (or a duck-typed
  // one) that predates it sees the call it always did.
  let order = zone === undefined ? router.pickN(key, n) : router.pickN(key, n, { zone });
  let pin = {};
  if (o.affinity) {
    pin = await affinityOf(router, state, o.affinity, request);
    if (pin.usable) order = [pin.named, ...order.filter((id) => id !== pin.named)].slice(0, n);
  }

  // Sends allowed; an origin refused before anything was sent does not use one.
  let maxSends = retryMethods.includes(request.method.toUpperCase()) ? order.length : Math.min(1, order.length);
  let body;
  if (request.body !== null && maxSends > 1) {
    const b = await bufferBody(request.body, o.maxBufferBytes ?? 1 << 20, deadline, deadlineMs, signal);
    if (b.stream) maxSends = 1; // too large to replay: send it once
    body = b.bytes ?? b.stream;
  } else {
    body = request.body;
  }
  budget?.deposit();
  // Hedging needs a request that may be sent twice (idempotent, its body buffered) and a second origin.
  const hedge = o.hedge && maxSends > 1 ? o.hedge : undefined;
  const hedgeDelay = hedge
    ? (hedge.afterMs ?? Math.min(hedge.maxMs, Math.max(hedge.minMs, state.latencies.percentile(hedge.percentile) ?? hedge.maxMs)))
    : 0;

  const attempts = [];
  const live = new Set(); // attempts in flight: { origin, ac, req, start, limit, timer, sent }
  let at = 0; // the next origin of `order`
  let hedges = 0;
  let hedgeTimer;
  let hedgeSeq = 0;
  let hedgeOff = !hedge;
  let lastSend = 0;
  const events = [];
  let wake = noop;
  const push = (ev) => {
    events.push(ev);
    const w = wake;
    wake = noop;
    w();
  };
  const next = () => (events.length ? Promise.resolve(events.shift()) : new Promise((r) => (wake = () => r(events.shift()))));
  const onAbort = () => push({ abort: true });
  signal?.addEventListener("abort", onAbort);

  /** Sends to the next origin that can take it: "sent", "budget" (a retry or hedge the budget refused) or "none". */
  const launch = () => {
    while (at < order.length && tally.sends < maxSends) {
      const origin = order[at];
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        attempts.push({ origin, error: "deadline exceeded before this attempt" });
        at = order.length;
        return "none";
      }
      const t = targetOf(url, origin, o.rewrite);
      if (t.error) {
        // A configuration error, not the origin's health: no outcome, and nothing was sent.
        at++;
        attempts.push({ origin, code: t.error.code, error: t.error.message });
        continue;
      }
      // First attempts never draw on the budget; every later send, retry or hedge, does.
      if (tally.sends > 0 && budget && !budget.tryWithdraw()) return "budget";
      at++;
      tally.sends++;
      const ac = new AbortController();
      const init = { method: request.method, headers: request.headers, redirect: "manual", signal: ac.signal };
      if (body !== null && body !== undefined) {
        init.body = body;
        init.duplex = "half";
      }
      const a = { origin, ac, req: new Request(t.target, init), limit: Math.min(timeoutMs, remaining) };
      router.begin(origin);
      live.add(a);
      a.start = lastSend = Date.now();
      clearTimeout(hedgeTimer); // the hedge delay counts from the latest send
      hedgeTimer = undefined;
      a.timer = setTimeout(() => push({ a, stop: true }), Math.min(a.limit, MAX_TIMER_MS));
      try {
        a.sent = Promise.resolve(fetchFn(a.req));
      } catch (e) {
        a.sent = Promise.reject(e);
      }
      a.sent.then(
        (value) => push({ a, value }),
        (error) => push({ a, error }),
      );
      return "sent";
    }
    return "none";
  };
  const armHedge = () => {
    if (hedgeOff || hedgeTimer !== undefined || hedges >= hedge.maxHedges || at >= order.length || tally.sends >= maxSends) return;
    const seq = ++hedgeSeq;
    hedgeTimer = setTimeout(() => push({ hedge: seq }), Math.min(Math.max(0, lastSend + hedgeDelay - Date.now()), MAX_TIMER_MS));
  };
  /** Ends an attempt we gave up on (a loser, or after the caller's abort): no outcome, for it did not fail. */
  const drop = (a, reason) => {
    clearTimeout(a.timer);
    a.ac.abort(reason);
    a.sent.then(discard, noop);
    release(router, a.origin);
  };
  const fail = (code, message) => {
    const err = coded(code, message);
    err.attempts = attempts;
    return err;
  };

  let won;
  try {
    for (;;) {
      if (live.size === 0) {
        if (signal?.aborted) throw abortReason(signal);
        const l = launch();
        if (l === "budget") {
          throw fail("ERR_RETRY_BUDGET_EXHAUSTED", `the Router's retry budget (${budget.describe()}) is spent, so no retry after ${attempts.length} failed attempt(s): ${failureDetail(attempts)}`);
        }
        if (l === "none") {
          throw fail(
            "ERR_ALL_ATTEMPTS_FAILED",
            order.length === 0 ? "no origin can serve (the pool is empty or every node is down)" : `${attempts.length} attempt(s) failed: ${failureDetail(attempts)}`,
          );
        }
        continue;
      }
      armHedge();
      const ev = await next();
      if (ev.abort) throw abortReason(signal);
      if (ev.hedge !== undefined) {
        if (ev.hedge !== hedgeSeq || hedgeTimer === undefined) continue; // a timer replaced by a later send
        hedgeTimer = undefined;
        if (launch() === "sent") hedges++;
        else hedgeOff = true; // refused by the budget, or no origin left: wait for what is in flight
        continue;
      }
      const a = ev.a;
      if (!live.has(a)) continue;
      live.delete(a);
      clearTimeout(a.timer);
      const latencyMs = Math.max(0, Date.now() - a.start);
      state.latencies.add(latencyMs);
      if (ev.stop) {
        const limit = a.limit;
        a.ac.abort(new Error(`timeout after ${limit} ms`));
        a.sent.then(discard, noop);
        release(router, a.origin, { ok: false, latencyMs });
        tally.timeouts++;
        const error = limit < timeoutMs ? `deadline of ${deadlineMs} ms exceeded after ${limit} ms` : `timeout after ${limit} ms`;
        attempts.push({ origin: a.origin, error, latencyMs });
      } else if ("error" in ev) {
        release(router, a.origin, { ok: false, latencyMs });
        attempts.push({ origin: a.origin, error: String(ev.error?.message ?? ev.error), latencyMs });
      } else if (!isResponse(ev.value)) {
        release(router, a.origin);
        const err = coded("ERR_INVALID_RESPONSE", `the fetch option resolved to ${describe(ev.value)} for ${a.origin}, not a Response`);
        attempts.push({ origin: a.origin, code: err.code, error: err.message, latencyMs });
      } else if (retryOn.includes(ev.value.status)) {
        release(router, a.origin, { ok: false, latencyMs });
        attempts.push({ origin: a.origin, status: ev.value.status, latencyMs });
        discard(ev.value);
      } else {
        won = { a, response: ev.value, latencyMs };
        break;
      }
      // A failure while a hedge is still in flight sends the next origin at once (if the budget allows); with
      // nothing in flight, the top of the loop does.
      if (live.size > 0) launch();
    }
  } finally {
    clearTimeout(hedgeTimer);
    signal?.removeEventListener("abort", onAbort);
    wake = noop;
    const reason = won ? new DOMException("another attempt answered first (a hedge)", "AbortError") : signal?.aborted ? abortReason(signal) : undefined;
    for (const b of live) {
      if (won) state.latencies.add(Math.max(0, Date.now() - b.start)); // a lower bound of its latency
      drop(b, reason);
    }
    live.clear();
  }

  const { a, response, latencyMs } = won;
  let cookie;
  // The cookie is (re)set when there was no valid one, when its origin could not be used, or when its origin
  // failed in this request; an origin that merely lost a hedge race keeps it.
  if (o.affinity && (!pin.usable || (a.origin !== pin.named && attempts.some((x) => x.origin === pin.named)))) {
    try {
      cookie = setCookie(o.affinity, await encodeAffinity(state, o.affinity, a.origin), url.protocol === "https:");
    } catch (e) {
      release(router, a.origin);
      discard(response);
      throw e;
    }
  }
  // `request` is held too: some runtimes link its signal to the caller's only while it lives.
  const head = request.method.toUpperCase() === "HEAD";
  return deliver(response, { router, origin: a.origin, latencyMs, signal, ac: a.ac, req: a.req, request, deadline, deadlineMs, head, cookie });
}

export { routedFetch };
