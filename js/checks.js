// checkHealth: active health checks. One call runs one round: a GET of every node's probe URL (the node id, an
// origin URL as routedFetch uses it, followed by `path`), all at once, each bounded by its own timer; then each
// node's run of consecutive results decides whether the checks mark it down (`unhealthyThreshold` failed rounds
// in a row, HAProxy's `fall`) or back up (`healthyThreshold` good rounds in a row, HAProxy's `rise`). Pure JS over
// the Router API (nodes, stats, markDown, markUp); the rounds' state lives here, in a WeakMap keyed by the Router,
// so it survives between rounds as long as the Router does, and router.stats() reads it (`check`). The build
// copies this file to checks.cjs for require(), rewriting its import and export lines. docs/traffic.md has the
// model and the measured figures.
//
// Settlement never depends on fetch honouring an abort: each probe races a timer of ours, and the abort only
// frees the connection.
import { coded as codedError } from "./errors.js";

const OPTIONS = ["path", "timeoutMs", "healthyThreshold", "unhealthyThreshold", "expectStatus", "fetch"];
/** HAProxy's defaults (`rise 2`, `fall 3`), Cloudflare monitors' timeout (5 s); HAProxy's accepted statuses. */
const DEFAULTS = { path: "/", timeoutMs: 5000, healthyThreshold: 2, unhealthyThreshold: 3, expectStatus: ["2xx", "3xx"] };
// setTimeout runs a longer delay at once (it overflows a 32-bit int).
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_THRESHOLD = 1_000_000;
const MAX_PATH = 8192;
const MAX_STATUSES = 100;
const noop = () => {};

/** An EdgerouteError whose message starts with "checkHealth: " (js/errors.js lists the codes). */
const coded = (code, message, cause) => codedError(code, `checkHealth: ${message}`, cause);
const optionError = (message) => coded("ERR_INVALID_OPTION", message);

function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (typeof v === "object") return `an object (${v.constructor?.name ?? "no prototype"})`;
  if (typeof v === "function") return "a function";
  return `${typeof v} ${String(v)}`;
}

/**
 * Each Router's checks: `running` while a round is out, and per node id its record: the consecutive counts, whether
 * the checks hold it down (they marked it down and have not marked it up), and the last result (stats()'s `check`).
 */
const BOOKS = new WeakMap();

/** The checks' record of node `id` of a Router, as stats() shows it, or null. A fresh object each call. */
function checkView(router, id) {
  const n = BOOKS.get(router)?.nodes.get(id);
  if (n === undefined || n.last === null) return null;
  const { ok, status, error, latencyMs, at } = n.last;
  return { ok, status, error, latencyMs, at, consecutiveOk: n.ok, consecutiveFailed: n.failed, heldDown: n.held };
}

/** A status class ("2xx") or a status; the ranges as [low, high]. */
function statusRanges(v) {
  const list = Array.isArray(v) ? v : [v];
  const what = "expectStatus must be a status (100 to 599), a class \"1xx\" to \"5xx\", or a non-empty array of them";
  if (list.length === 0 || list.length > MAX_STATUSES) throw optionError(`${what} (at most ${MAX_STATUSES}), got ${Array.isArray(v) ? `an array of ${list.length}` : describe(v)}`);
  return list.map((s) => {
    if (typeof s === "number" && Number.isInteger(s) && s >= 100 && s <= 599) return [s, s];
    if (typeof s === "string" && /^[1-5]xx$/.test(s)) return [Number(s[0]) * 100, Number(s[0]) * 100 + 99];
    throw optionError(`${what}, got ${describe(s)}${Array.isArray(v) ? " in the array" : ""}`);
  });
}

/** The options as plain values: every own enumerable property read once (a getter runs once, here), then checked. */
function readOptions(options) {
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) throw optionError(`options must be an object, got ${describe(options)}`);
  const o = {};
  for (const k of Object.keys(options)) {
    if (!OPTIONS.includes(k)) throw coded("ERR_UNKNOWN_OPTION", `unknown option ${JSON.stringify(k)}; the options are ${OPTIONS.join(", ")}`);
    const v = options[k];
    if (v !== undefined) o[k] = Array.isArray(v) ? Array.from(v) : v;
  }
  // A property set to undefined is absent; null is a value, and no option takes it.
  const given = (k) => (Object.hasOwn(o, k) ? o[k] : DEFAULTS[k]);
  const path = given("path");
  if (typeof path !== "string" || !path.startsWith("/") || path.length > MAX_PATH) {
    throw optionError(`path must be a string that starts with "/" (at most ${MAX_PATH} characters), got ${describe(path)}`);
  }
  const timeoutMs = given("timeoutMs");
  if (!(typeof timeoutMs === "number" && timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) {
    throw optionError(`timeoutMs must be a number > 0 and at most ${MAX_TIMER_MS}, got ${describe(timeoutMs)}`);
  }
  const whole = (k) => {
    const v = given(k);
    if (!(Number.isInteger(v) && v >= 1 && v <= MAX_THRESHOLD)) throw optionError(`${k} must be a whole number from 1 to ${MAX_THRESHOLD}, got ${describe(v)}`);
    return v;
  };
  const healthyThreshold = whole("healthyThreshold");
  const unhealthyThreshold = whole("unhealthyThreshold");
  const ranges = statusRanges(given("expectStatus"));
  if (o.fetch !== undefined && typeof o.fetch !== "function") throw optionError(`fetch must be a function, got ${describe(o.fetch)}`);
  const fetchFn = o.fetch === undefined ? globalThis.fetch : o.fetch;
  return { path, timeoutMs, healthyThreshold, unhealthyThreshold, ranges, fetchFn };
}

function checkRouter(router) {
  const ok = router !== null && typeof router === "object" && ["nodes", "stats", "markDown", "markUp"].every((m) => typeof router[m] === "function");
  if (!ok) throw coded("ERR_INVALID_ARGUMENT", `the first argument must be a Router (nodes, stats, markDown and markUp), got ${describe(router)}`);
}

/** The probe URL of node `id`: the id (an origin URL) followed by `path`, or an ERR_INVALID_ORIGIN error. */
function probeUrl(id, path) {
  let url;
  try {
    url = new URL(id.endsWith("/") ? id + path.slice(1) : id + path);
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return { error: coded("ERR_INVALID_ORIGIN", `node id ${describe(id)} with path ${describe(path)} is not an absolute http(s) URL; node ids must be origin URLs`) };
  }
  return { url };
}

/** A Response of any realm or of a fetch polyfill. */
const isResponse = (v) => v instanceof Response || (v !== null && typeof v === "object" && typeof v.status === "number" && typeof v.headers?.get === "function");

/** Cancels the body of a probe's response, without waiting. */
function discard(res) {
  try {
    if (isResponse(res) && res.body && !res.bodyUsed) res.body.cancel().catch(noop);
  } catch {
    // locked or cancelled already
  }
}

/**
 * One probe. Resolves (never rejects) to { ok, status, error, code, latencyMs, at, counted }: `counted` is false
 * when nothing about the origin was learnt (its id is no URL, or the fetch option gave no Response).
 */
async function probe(id, o) {
  const start = Date.now();
  const done = (r) => ({ status: null, error: null, code: null, counted: true, ...r, latencyMs: Math.max(0, Date.now() - start), at: Date.now() });
  const target = probeUrl(id, o.path);
  if (target.error) return done({ ok: false, error: target.error.message, code: target.error.code, counted: false });
  const ac = new AbortController();
  let req;
  try {
    req = new Request(target.url, { method: "GET", redirect: "manual", signal: ac.signal });
  } catch (e) {
    return done({ ok: false, error: String(e?.message ?? e), code: "ERR_INVALID_ORIGIN", counted: false });
  }
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ late: true }), Math.min(o.timeoutMs, MAX_TIMER_MS));
  });
  let sent;
  try {
    sent = Promise.resolve(o.fetchFn.call(undefined, req));
  } catch (e) {
    sent = Promise.reject(e);
  }
  const r = await Promise.race([sent.then((value) => ({ value }), (error) => ({ error })), late]);
  clearTimeout(timer);
  if (r.late) {
    ac.abort(new Error(`health check timeout after ${o.timeoutMs} ms`));
    sent.then(discard, noop);
    return done({ ok: false, error: `timeout after ${o.timeoutMs} ms` });
  }
  if ("error" in r) return done({ ok: false, error: String(r.error?.message ?? r.error) });
  const res = r.value;
  if (!isResponse(res)) {
    return done({ ok: false, error: `the fetch option resolved to ${describe(res)}, not a Response`, code: "ERR_INVALID_RESPONSE", counted: false });
  }
  discard(res);
  const status = res.status;
  const ok = o.ranges.some(([lo, hi]) => status >= lo && status <= hi);
  return done({ ok, status, error: ok ? null : `status ${status} is not expected` });
}

/**
 * One round of active health checks over every node of `router`: resolves to one result per node still in the
 * Router when the round ends. Rejects only for the caller's errors (bad arguments, a round of this Router still
 * running: ERR_CHECK_IN_PROGRESS, a Router freed or broken), never for an origin's failure.
 */
async function checkHealth(router, options) {
  checkRouter(router);
  const o = readOptions(options);
  let book = BOOKS.get(router);
  if (book === undefined) {
    book = { running: false, nodes: new Map() };
    BOOKS.set(router, book);
  }
  if (book.running) {
    throw coded("ERR_CHECK_IN_PROGRESS", "a round of this Router's checks is still running; start the next round after it settles (it takes at most timeoutMs)");
  }
  const ids = router.nodes().map((n) => n.id); // ERR_FREED for a freed Router
  book.running = true;
  try {
    // A node removed since the last round is forgotten: one added again under its id starts afresh.
    const live = new Set(ids);
    for (const id of book.nodes.keys()) if (!live.has(id)) book.nodes.delete(id);
    const probes = await Promise.all(ids.map((id) => probe(id, o)));
    // Apply the round to the Router as it is now: nodes removed meanwhile are skipped (and forgotten).
    const now = new Map(router.stats().map((s) => [s.id, s]));
    for (const id of book.nodes.keys()) if (!now.has(id)) book.nodes.delete(id);
    const results = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const s = now.get(id);
      if (s === undefined) continue;
      const p = probes[i];
      let n = book.nodes.get(id);
      if (n === undefined) {
        n = { ok: 0, failed: 0, held: false, last: null };
        book.nodes.set(id, n);
      }
      const down = s.state === "down";
      // The checks hold a node down with an untimed mark. Not down any more (an operator's markUp), or down
      // with a time limit (an operator's own timed markDown): the operator took it over, and the failure run
      // starts again.
      if (n.held && (!down || s.downUntil !== null)) {
        n.held = false;
        n.failed = 0;
      }
      if (p.counted) {
        if (p.ok) {
          n.ok++;
          n.failed = 0;
        } else {
          n.failed++;
          n.ok = 0;
        }
      }
      n.last = { ok: p.ok, status: p.status, error: p.error, latencyMs: p.latencyMs, at: p.at };
      let transition = null;
      if (n.held && n.ok >= o.healthyThreshold) {
        router.markUp(id);
        n.held = false;
        transition = "up";
      } else if (!n.held && !down && n.failed >= o.unhealthyThreshold) {
        // A node an operator marked down is left as it is: the checks never take over (or undo) that mark.
        router.markDown(id);
        n.held = true;
        transition = "down";
      }
      results.push({
        id,
        ok: p.ok,
        status: p.status,
        error: p.error,
        code: p.code,
        latencyMs: p.latencyMs,
        consecutiveOk: n.ok,
        consecutiveFailed: n.failed,
        transition,
        heldDown: n.held,
      });
    }
    return results;
  } finally {
    book.running = false;
  }
}

export { checkHealth, checkView };
