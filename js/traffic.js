// What routedFetch keeps per Router across calls (the retry budget and the recent attempt latencies hedging
// learns from), and the session-affinity cookie's codec. Pure JS, no Router internals: a duck-typed router gets the
// same. docs/traffic.md has the model, its defaults and its references. The build copies this file to traffic.cjs
// for require(), rewriting its export line.

/** Per Router: { budget, latencies }. A WeakMap, so a Router that is dropped is collected with its state. */
const STATE = new WeakMap();

/** The state routedFetch keeps for `router`, made on first use. */
function stateOf(router) {
  let s = STATE.get(router);
  if (s === undefined) {
    s = { budget: undefined, latencies: new LatencyWindow() };
    STATE.set(router, s);
  }
  return s;
}

// A retry costs WITHDRAWAL units; a request deposits percent × 1000 of them. Integers, so 5 deposits of 20 % make
// exactly one retry (floating 0.2 sums drift).
const WITHDRAWAL = 100_000;
const SLICES = 10;
const SLICE_MS = 1000;

/**
 * Finagle's RetryBudget: a token bucket over a sliding window of 10 s in ten 1-s slices. Each request deposits
 * `percent` % of a retry; each retry or hedge withdraws one; the window's sum plus a reserve of `minPerSecond` × 10
 * retries must cover a withdrawal. Deposits and withdrawals older than the window drop out, so in a steady state
 * retries are at most percent % of requests plus minPerSecond per second.
 */
class RetryBudget {
  constructor(percent, minPerSecond) {
    this.percent = percent;
    this.minPerSecond = minPerSecond;
    this.deposit1 = Math.round(percent * 1000);
    this.reserve = Math.round(minPerSecond * (SLICES * SLICE_MS / 1000) * WITHDRAWAL);
    this.slices = new Array(SLICES).fill(0);
    this.at = 0; // index of the current slice
    this.sliceStart = Date.now();
  }
  #advance(now) {
    // A clock that went back (a replaced Date.now, a VM resumed) starts the current slice again.
    if (now < this.sliceStart) this.sliceStart = now;
    let n = Math.floor((now - this.sliceStart) / SLICE_MS);
    if (n <= 0) return;
    this.sliceStart += n * SLICE_MS;
    for (n = Math.min(n, SLICES); n > 0; n--) {
      this.at = (this.at + 1) % SLICES;
      this.slices[this.at] = 0;
    }
  }
  /** Whole retries available now (for messages and tests). */
  available(now = Date.now()) {
    this.#advance(now);
    return Math.floor((this.slices.reduce((a, b) => a + b, 0) + this.reserve) / WITHDRAWAL);
  }
  deposit(now = Date.now()) {
    this.#advance(now);
    this.slices[this.at] += this.deposit1;
  }
  /** Takes one retry if the budget holds one; false when it is spent. */
  tryWithdraw(now = Date.now()) {
    this.#advance(now);
    if (this.slices.reduce((a, b) => a + b, 0) + this.reserve < WITHDRAWAL) return false;
    this.slices[this.at] -= WITHDRAWAL;
    return true;
  }
  describe() {
    return `${this.percent} % of requests + ${this.minPerSecond} per second`;
  }
}

const WINDOW = 512;
/** Samples needed before a percentile is trusted; until then a learnt hedge waits its ceiling. */
const MIN_SAMPLES = 20;

/**
 * The last 512 attempts' times to the headers (or to their failure), in ms, for the hedge delay learnt as a
 * percentile. An attempt aborted because another won counts with the time it had waited: a lower bound of its
 * latency, which leaves a percentile exact as long as fewer attempts than (100 − p) % are that slow.
 */
class LatencyWindow {
  constructor() {
    this.ring = new Float64Array(WINDOW);
    this.count = 0;
    this.next = 0;
    this.cache = new Map(); // percentile → value, cleared by each new sample
  }
  add(ms) {
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    if (this.count < WINDOW) this.count++;
    this.cache.clear();
  }
  /** The p-th percentile (nearest rank) of the window, or undefined with fewer than MIN_SAMPLES samples. */
  percentile(p) {
    if (this.count < MIN_SAMPLES) return undefined;
    let v = this.cache.get(p);
    if (v === undefined) {
      const sorted = this.ring.slice(0, this.count).sort();
      v = sorted[Math.min(this.count - 1, Math.max(0, Math.ceil((p / 100) * this.count) - 1))];
      this.cache.set(p, v);
    }
    return v;
  }
}

// Session affinity: the cookie's value is the origin's id (an origin URL) as base64url of its UTF-8 bytes, and with
// a secret `.` and base64url of HMAC-SHA-256(secret, cookie name + "\n" + id). A value that does not decode, or
// whose MAC does not verify, is ignored.

/** An id over 256 UTF-8 bytes is no node id; its base64url with a MAC is at most 342 + 1 + 43 characters. */
const MAX_VALUE = 400;
const B64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextEncoder();
const fatal = new TextDecoder("utf-8", { fatal: true });

function b64url(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url (no padding) to bytes, or undefined when `s` is not that. */
function unb64url(s) {
  if (!B64URL.test(s) || s.length % 4 === 1) return undefined;
  let bin;
  try {
    bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - (s.length % 4)) % 4));
  } catch {
    return undefined;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The value of the first `name=` pair of a Cookie header, or undefined. Linear in the header's length. */
function cookieValue(header, name) {
  if (typeof header !== "string") return undefined;
  let at = 0;
  while (at < header.length) {
    let end = header.indexOf(";", at);
    if (end < 0) end = header.length;
    const eq = header.indexOf("=", at);
    if (eq > at && eq < end && header.slice(at, eq).trim() === name) {
      let v = header.slice(eq + 1, end).trim();
      if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') v = v.slice(1, -1);
      return v;
    }
    at = end + 1;
  }
  return undefined;
}

/** The HMAC key of a secret, imported once per Router state and secret. */
function macKey(state, secret) {
  state.macKeys ??= new Map();
  let k = state.macKeys.get(secret);
  if (k === undefined) {
    if (state.macKeys.size >= 4) state.macKeys.clear();
    k = crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    state.macKeys.set(secret, k);
  }
  return k;
}

/** The cookie value naming `id`. */
async function encodeAffinity(state, aff, id) {
  const body = b64url(utf8.encode(id));
  if (aff.secret === undefined) return body;
  const mac = await crypto.subtle.sign("HMAC", await macKey(state, aff.secret), utf8.encode(`${aff.cookie}\n${id}`));
  return `${body}.${b64url(new Uint8Array(mac))}`;
}

/** The id a cookie value names, or undefined when it is malformed, too long, or (with a secret) not ours. */
async function decodeAffinity(state, aff, value) {
  if (value === undefined || value.length === 0 || value.length > MAX_VALUE) return undefined;
  const dot = value.indexOf(".");
  if ((aff.secret === undefined) !== (dot < 0)) return undefined;
  const bytes = unb64url(dot < 0 ? value : value.slice(0, dot));
  if (bytes === undefined) return undefined;
  let id;
  try {
    id = fatal.decode(bytes);
  } catch {
    return undefined;
  }
  if (aff.secret !== undefined) {
    const mac = unb64url(value.slice(dot + 1));
    if (mac === undefined || mac.length !== 32) return undefined;
    const ok = await crypto.subtle.verify("HMAC", await macKey(state, aff.secret), mac, utf8.encode(`${aff.cookie}\n${id}`));
    if (!ok) return undefined;
  }
  return id;
}

/** The Set-Cookie header value. */
function setCookie(aff, value, https) {
  return `${aff.cookie}=${value}; Path=/; Max-Age=${aff.ttlS}; HttpOnly${https ? "; Secure" : ""}; SameSite=Lax`;
}

export { stateOf, RetryBudget, cookieValue, encodeAffinity, decodeAffinity, setCookie };
