// routedFetch's traffic features against real loopback origins: hedged requests, the retry budget, session
// affinity and the zone option, plus a table of bad options. Shared by Node, Deno and workerd, as scenarios.js is:
// each scenario takes { Router, routedFetch, origins } and returns { passed, failures, ...figures }. `origins` is a
// control (see `control()`): in Node and Deno it wraps startOrigins() of origins.mjs directly; in workerd the Worker
// reaches the test's origins through a small control server. docs/traffic.md quotes the figures.
//
// Type-checked against the package's own types (tsc --checkJs, test-js/types/tsconfig.shared.json).

import { recorder, defined } from "./checks.js";

/**
 * @typedef {import("./checks.js").RouterClass} RouterClass
 * @typedef {import("edgeroute").Router} RouterInstance
 * @typedef {import("edgeroute").RoutedFetchOptions} FetchOptions
 * @typedef {{ name: string, path: string, method: string, bodyBytes: number, at: number }} LogEntry
 * @typedef {object} Control the loopback origins, driven from the test or through a control server
 * @property {string[]} urls
 * @property {Record<string, string>} byUrl
 * @property {Record<string, string>} urlOf
 * @property {(name: string, mode: string, delayMs?: number) => unknown} set may return a promise
 * @property {() => { log: LogEntry[], open: number, started: number } | Promise<{ log: LogEntry[], open: number, started: number }>} view
 * @typedef {{ Router: RouterClass, routedFetch: typeof import("edgeroute").routedFetch, origins: Control, gc?: (() => void) | undefined }} Env
 */

/**
 * The control of startOrigins()'s object (origins.mjs), for Node and Deno.
 * @param {{ urls: string[], byUrl: Record<string, string>, urlOf: Record<string, string>, log: LogEntry[], open: number, started: number, set: (name: string, mode: string, delayMs?: number) => void }} o
 * @returns {Control}
 */
export function control(o) {
  return { urls: o.urls, byUrl: o.byUrl, urlOf: o.urlOf, set: (n, m, d) => o.set(n, m, d), view: () => ({ log: o.log, open: o.open, started: o.started }) };
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** @param {Control} origins */
const nodesOf = (origins) => origins.urls.map((id) => ({ id }));
/** @param {Control} origins */
const resetAll = async (origins) => {
  for (const n of Object.keys(origins.urlOf)) await origins.set(n, "ok");
};
/** @param {RouterInstance} r */
const inflightOf = (r) => r.stats().reduce((n, s) => n + s.inflight, 0);
/** @param {RouterInstance} r @param {string} id */
const statOf = (r, id) => defined(r.stats().find((s) => s.id === id));
/** The nearest-rank percentile. @param {number[]} xs @param {number} p */
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
/** Waits until cond() holds, up to `ms`. @param {() => boolean | Promise<boolean>} cond @param {number} [ms] */
async function until(cond, ms = 5000) {
  for (const end = Date.now() + ms; !(await cond()); await sleep(10)) if (Date.now() > end) return false;
  return true;
}

/**
 * Runs `count` requests through `work(i)` with `concurrency` of them at a time; returns each one's time from the
 * call to the end of its body, in ms.
 * @param {number} count @param {number} concurrency @param {(i: number) => Promise<unknown>} work
 */
export async function timed(count, concurrency, work) {
  /** @type {number[]} */
  const ms = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = Date.now();
      await work(i);
      ms.push(Date.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ms;
}

const SLOW_MS = 300;

/**
 * Hedging cuts the tail of a pool with one origin SLOW_MS slow: p50/p99 of 200 requests without a hedge, with a
 * fixed one (afterMs 30) and with a learnt one (percentile 70); hedged-away attempts are aborted (a hanging origin's
 * connections close) and are no failures of their origin; a POST is never hedged.
 * @param {Env} env
 */
export async function hedgeCutsTail({ Router, routedFetch, origins, gc }) {
  const { check, result } = recorder();
  await resetAll(origins);
  await origins.set("d", "slow", SLOW_MS);
  const slow = origins.urlOf.d;
  /** @type {Record<string, number>} */
  const figures = {};
  /** @param {string} name @param {FetchOptions} options */
  const run = async (name, options, count = 200) => {
    const r = new Router({ strategy: "ring", nodes: nodesOf(origins), health: false });
    if (options.hedge && "percentile" in options.hedge) {
      // Warm the learnt delay up: until 20 samples it waits its ceiling.
      await timed(40, 10, async (i) => (await routedFetch(r, `http://edge.test/warm/${i}`, options)).text());
    }
    const before = (await origins.view()).log.length;
    let bad = 0;
    const ms = await timed(count, 10, async (i) => {
      const res = await routedFetch(r, `http://edge.test/${name}/${i}`, options);
      const text = await res.text();
      if (res.status !== 200 || !text.endsWith(`/${name}/${i}`)) bad++;
    });
    const sent = (await origins.view()).log.slice(before).filter((l) => l.path.startsWith(`/${name}/`)).length;
    check(bad === 0, `${name}: ${bad} bad answers`);
    check(inflightOf(r) === 0, `${name}: ${inflightOf(r)} still in flight`);
    check(statOf(r, slow).failures === 0, `${name}: the slow origin has ${statOf(r, slow).failures} failures (an aborted loser is none)`);
    figures[`${name}P50`] = pct(ms, 50);
    figures[`${name}P99`] = pct(ms, 99);
    figures[`${name}Sent`] = sent;
    r.free();
  };
  await run("plain", { attempts: 2 });
  await run("hedged", { attempts: 2, hedge: { afterMs: 30 } });
  await run("learnt", { attempts: 2, hedge: { percentile: 70, maxMs: 200 } });
  check(figures.plainP99 >= SLOW_MS, `unhedged p99 ${figures.plainP99} ms, want >= ${SLOW_MS}`);
  // The bound leaves room for a loaded machine (hedged p99s here are 25-85 ms): what it proves is that no hedged
  // request waited for the slow origin, which every unhedged one of its keys does.
  check(figures.hedgedP99 < SLOW_MS * 0.75, `hedged p99 ${figures.hedgedP99} ms, want < ${SLOW_MS * 0.75}`);
  check(figures.learntP99 < SLOW_MS * 0.75, `learnt-hedge p99 ${figures.learntP99} ms, want < ${SLOW_MS * 0.75}`);
  check(figures.plainSent === 200, `unhedged sent ${figures.plainSent}`);
  check(figures.hedgedSent > 200 && figures.hedgedSent <= 400, `hedged sent ${figures.hedgedSent}`);

  // The hedged-away attempts are aborted: a hanging origin's connections all close, though it never answers.
  await origins.set("d", "hang");
  const r = new Router({ strategy: "ring", nodes: nodesOf(origins), health: false });
  const keys = Array.from({ length: 400 }, (_, i) => `/hang/${i}`).filter((k) => r.pick(k) === slow).slice(0, 20);
  const pending = keys.map((k) =>
    // A Request nobody else holds: the attempt must keep it (and its abort link) alive while in flight.
    routedFetch(r, new Request(`http://edge.test${k}`), { attempts: 2, timeoutMs: 5000, hedge: { afterMs: 20 } }).then((res) => res.text()),
  );
  gc?.();
  await sleep(50);
  gc?.();
  const texts = await Promise.all(pending);
  check(texts.every((t, i) => t.endsWith(defined(keys[i])) && !t.startsWith("d ")), "every hung request was answered by its hedge");
  check(await until(async () => (await origins.view()).open === 0, 3000), `${(await origins.view()).open} connections to the hung origin stay open: the losers were not aborted`);
  check(statOf(r, slow).failures === 0 && inflightOf(r) === 0, `hung origin: ${JSON.stringify(statOf(r, slow))}`);
  figures.hungAborted = keys.length;

  // A POST is not idempotent: it waits for the slow origin, and no other origin sees it.
  await origins.set("d", "slow", SLOW_MS);
  const postKey = defined(Array.from({ length: 400 }, (_, i) => `/post/${i}`).find((k) => r.pick(k) === slow));
  const before = (await origins.view()).log.length;
  const t0 = Date.now();
  const res = await routedFetch(r, new Request(`http://edge.test${postKey}`, { method: "POST", body: "x" }), { attempts: 2, hedge: { afterMs: 20 } });
  await res.text();
  const postMs = Date.now() - t0;
  const got = (await origins.view()).log.slice(before).filter((l) => l.path === postKey).map((l) => l.name);
  check(JSON.stringify(got) === '["d"]' && postMs >= SLOW_MS - 20, `POST went to ${got} in ${postMs} ms`);
  r.free();
  await resetAll(origins);
  return result(figures);
}

/**
 * 100 concurrent requests to a pool where every origin answers 503, 3 attempts each: with the default budget (20 %
 * of requests + 3 per second over 10 s) they make at most 100 + 20 + 30 attempts and the refused retries fail with
 * ERR_RETRY_BUDGET_EXHAUSTED; with no budget, 300; with { percent: 0, minPerSecond: 0 }, 100. Another budget for the
 * same Router is refused.
 * @param {Env} env
 */
export async function budgetBoundsRetries({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  for (const n of Object.keys(origins.urlOf)) await origins.set(n, "503");
  /** @type {Record<string, number>} */
  const figures = {};
  /** @param {string} name @param {FetchOptions} options */
  const burst = async (name, options) => {
    const r = new Router({ strategy: "ring", nodes: nodesOf(origins), health: false });
    const before = (await origins.view()).log.length;
    const outs = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => routedFetch(r, `http://edge.test/${name}/${i}`, { attempts: 3, ...options })));
    const sent = (await origins.view()).log.slice(before).filter((l) => l.path.startsWith(`/${name}/`)).length;
    /** @type {Record<string, number>} */
    const codes = {};
    for (const o of outs) {
      const code = o.status === "rejected" ? String(o.reason?.code) : "resolved";
      codes[code] = (codes[code] ?? 0) + 1;
    }
    const budgetErr = /** @type {any} */ (outs.find((o) => o.status === "rejected" && o.reason?.code === "ERR_RETRY_BUDGET_EXHAUSTED"));
    if (budgetErr) {
      const attempts = budgetErr.reason.attempts;
      check(Array.isArray(attempts) && attempts.length >= 1 && attempts.every((/** @type {any} */ a) => a.status === 503), `${name}: attempts ${JSON.stringify(attempts)}`);
    }
    check(inflightOf(r) === 0, `${name}: in flight after the burst`);
    figures[`${name}Sent`] = sent;
    figures[`${name}Refused`] = codes.ERR_RETRY_BUDGET_EXHAUSTED ?? 0;
    return { r, sent, codes };
  };
  const none = await burst("unbudgeted", {});
  check(none.sent === 300 && none.codes.ERR_ALL_ATTEMPTS_FAILED === 100, `no budget: ${none.sent} sent, ${JSON.stringify(none.codes)}`);
  const dflt = await burst("budgeted", { retryBudget: {} });
  check(dflt.sent >= 100 && dflt.sent <= 150, `default budget: ${dflt.sent} sent, want 100 to 150`);
  check((dflt.codes.ERR_RETRY_BUDGET_EXHAUSTED ?? 0) >= 50, `default budget: ${JSON.stringify(dflt.codes)}`);
  const zero = await burst("zero", { retryBudget: { percent: 0, minPerSecond: 0 } });
  check(zero.sent === 100 && zero.codes.ERR_RETRY_BUDGET_EXHAUSTED === 100, `zero budget: ${zero.sent} sent, ${JSON.stringify(zero.codes)}`);
  // One Router, one budget: other settings are an error, before anything is sent.
  const started = (await origins.view()).started;
  const other = await routedFetch(dflt.r, "http://edge.test/other", { retryBudget: { percent: 50 } }).then(
    () => "resolved",
    (/** @type {any} */ e) => e.code,
  );
  check(other === "ERR_INVALID_OPTION" && (await origins.view()).started === started, `another budget for the Router: ${other}`);
  // Hedges draw on it too: with the budget spent, a hedged request to a slow pool sends no hedge.
  await resetAll(origins);
  for (const n of Object.keys(origins.urlOf)) await origins.set(n, "slow", 150);
  const before = (await origins.view()).log.length;
  const res = await routedFetch(zero.r, "http://edge.test/spent-hedge", { retryBudget: { percent: 0, minPerSecond: 0 }, hedge: { afterMs: 10 } });
  await res.text();
  const hedgeSent = (await origins.view()).log.slice(before).filter((l) => l.path === "/spent-hedge").length;
  check(res.status === 200 && hedgeSent === 1, `a hedge past a spent budget: ${hedgeSent} sent`);
  for (const b of [none, dflt, zero]) b.r.free();
  await resetAll(origins);
  return result(figures);
}

/** The cookie pair (name=value) of a Set-Cookie header. @param {Response} res */
const cookieOf = (res) => res.headers.get("set-cookie")?.split(";")[0];

/**
 * Session affinity: the first response sets a cookie naming its origin; later requests carrying it go there even
 * when their key picks elsewhere; a forged or malformed cookie is ignored; when the origin is marked down the
 * request fails over and the cookie is re-set; with a secret, a cookie whose MAC does not verify is ignored.
 * @param {Env} env
 */
export async function affinityHolds({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  await resetAll(origins);
  const r = new Router({ strategy: "ring", nodes: nodesOf(origins) });
  const affinity = { cookie: "lb", ttlS: 600 };
  // The origins would refuse a 200 KB Cookie header (431): send them the method and URL only.
  /** @param {Request} rq */
  const bare = (rq) => fetch(rq.url, { method: rq.method, signal: rq.signal, redirect: "manual" });
  /** @param {string} path @param {string} [cookie] @param {FetchOptions} [extra] */
  const get = async (path, cookie, extra = {}) => {
    const headers = cookie === undefined ? {} : { cookie };
    const res = await routedFetch(r, new Request(`http://edge.test${path}`, { headers }), { affinity, fetch: bare, ...extra });
    const who = (await res.text()).split(" ")[0];
    return { res, who, set: res.headers.get("set-cookie"), pair: cookieOf(res) };
  };
  const first = await get("/aff/0");
  const home = origins.byUrl[defined(r.pickN("/aff/0", 1)[0])];
  check(first.who === home, `first request served by ${first.who}, pickN says ${home}`);
  check(
    /^lb=[A-Za-z0-9_-]+; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/.test(first.set ?? ""),
    `Set-Cookie ${first.set}`,
  );
  const pair = defined(first.pair);
  // Keys that pick other origins still go home while the cookie is there, and no new cookie is set.
  let held = 0;
  for (let i = 1; i < 30; i++) {
    const g = await get(`/aff/${i}`, `other=1; ${pair}; more=2`);
    check(g.who === home && g.set === null, `request ${i} with the cookie: served by ${g.who}, Set-Cookie ${g.set}`);
    if (origins.byUrl[defined(r.pickN(`/aff/${i}`, 1)[0])] !== home) held++;
  }
  check(held >= 10, `only ${held} keys would have gone elsewhere`);
  // Forged and malformed cookies are ignored: the key's own origin serves and the cookie is set for it.
  const b64 = (/** @type {string} */ s) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const path = defined(Array.from({ length: 100 }, (_, i) => `/forge/${i}`).find((p) => origins.byUrl[defined(r.pickN(p, 1)[0])] !== home));
  const own = origins.byUrl[defined(r.pickN(path, 1)[0])];
  for (const bad of [`lb=${b64("http://evil.example")}`, "lb=%%%not-base64", "lb=", `lb=${b64("\xff\xfe")}`, `lb=${pair.slice(3)}.${"A".repeat(43)}`, `pad=${"a".repeat(100_000)}; lb=${"b".repeat(100_000)}`]) {
    const g = await get(path, bad);
    check(g.who === own && g.pair === `lb=${b64(defined(origins.urlOf[own]))}`, `cookie ${bad.slice(0, 40)}: served by ${g.who}, set ${g.pair}`);
  }
  // The cookie's origin marked down: fail over in pickN order and re-set the cookie to the origin that served.
  const homeUrl = defined(origins.urlOf[home]);
  r.markDown(homeUrl);
  const down = await get("/aff/1", pair);
  check(down.who !== home && down.pair === `lb=${b64(defined(origins.urlOf[down.who]))}`, `home down: served by ${down.who}, set ${down.pair}`);
  r.markUp(homeUrl);
  // The cookie's origin fails (503): the next origin serves and the cookie follows it.
  await origins.set(home, "503");
  const failed = await get("/aff/2", pair);
  check(failed.who !== home && failed.pair === `lb=${b64(defined(origins.urlOf[failed.who]))}`, `home failing: served by ${failed.who}, set ${failed.pair}`);
  await origins.set(home, "ok");
  // https: the cookie is Secure.
  const secure = await routedFetch(r, "https://edge.test/aff/s", { affinity });
  await secure.text();
  check(/; Secure; SameSite=Lax$/.test(secure.headers.get("set-cookie") ?? ""), `https Set-Cookie ${secure.headers.get("set-cookie")}`);
  // Signed: the cookie verifies, a tampered one does not, an unsigned one is not accepted.
  const signed = { affinity: { cookie: "lb", ttlS: 600, secret: "0123456789abcdef-secret" } };
  const s1 = await get("/aff/0", undefined, signed);
  const spair = defined(s1.pair);
  check(/^lb=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/.test(spair), `signed cookie ${spair}`);
  const s2 = await get(path, spair, signed);
  check(s2.who === s1.who && s2.set === null, `signed cookie honoured: ${s2.who} (home ${s1.who})`);
  const forged = `lb=${b64(defined(origins.urlOf[own === s1.who ? home : own]))}.${spair.split(".")[1]}`;
  const s3 = await get(path, forged, signed);
  check(s3.who === own && s3.set !== null, `tampered signed cookie: served by ${s3.who}`);
  const s4 = await get(path, pair, signed);
  check(s4.who === own && s4.set !== null, `an unsigned cookie where a MAC is due: served by ${s4.who}`);
  check(inflightOf(r) === 0, "in flight after the affinity requests");
  r.free();
  return result({ held });
}

/**
 * The zone option reaches pickN as its third argument ({ zone }) and its function gets the request; with no zone
 * pickN gets the two arguments it always did. A stub router (routedFetch takes duck-typed ones) records the calls.
 * @param {Env} env
 */
export async function zonePlumbing({ routedFetch, origins }) {
  const { check, result } = recorder();
  await resetAll(origins);
  /** @type {unknown[][]} */
  const calls = [];
  const stub = {
    /** @param {unknown[]} args */
    pickN: (...args) => (calls.push(args), [defined(origins.urls[0])]),
    begin() {},
    end() {},
    stats: () => [],
  };
  const router = /** @type {any} */ (stub);
  const req = new Request("http://edge.test/zone/1");
  /** @type {Request[]} */
  const seen = [];
  const run = async (/** @type {FetchOptions} */ o, /** @type {Request | string} */ input = "http://edge.test/zone/0") => (await routedFetch(router, input, o)).text();
  await run({ zone: "eu-west" });
  await run({ zone: (rq) => (seen.push(rq), rq.headers.get("x-zone") ?? undefined) }, req);
  await run({});
  check(JSON.stringify(calls[0]) === '["/zone/0",3,{"zone":"eu-west"}]', `zone string: pickN${JSON.stringify(calls[0])}`);
  check(seen[0] === req && defined(calls[1]).length === 2, `zone function: got the request ${seen[0] === req}, pickN${JSON.stringify(calls[1])}`);
  check(defined(calls[2]).length === 2, `no zone: pickN${JSON.stringify(calls[2])}`);
  const zreq = new Request("http://edge.test/zone/2", { headers: { "x-zone": "ap" } });
  await run({ zone: (rq) => rq.headers.get("x-zone") ?? undefined }, zreq);
  check(JSON.stringify(calls[3]?.[2]) === '{"zone":"ap"}', `zone from the request: ${JSON.stringify(calls[3])}`);
  // A zone function whose result is no zone name is refused, before anything is sent.
  const started = (await origins.view()).started;
  // @ts-expect-error a bad input on purpose: the types reject it too
  const bad = await run({ zone: () => 5 }).then(() => "resolved", (/** @type {any} */ e) => e.code);
  check(bad === "ERR_INVALID_OPTION" && (await origins.view()).started === started, `zone() returning 5: ${bad}`);
  return result({ calls: calls.length });
}

/**
 * Bad routedFetch options: [name, options, code]. Each call must reject with that code before anything is sent.
 * @type {[name: string, options: () => unknown, code: import("edgeroute").ErrorCode][]}
 */
export const BAD_FETCH_OPTIONS = [
  ["hedge not an object", () => ({ hedge: 30 }), "ERR_INVALID_OPTION"],
  ["hedge null", () => ({ hedge: null }), "ERR_INVALID_OPTION"],
  ["hedge unknown field", () => ({ hedge: { afterMs: 10, delay: 5 } }), "ERR_UNKNOWN_OPTION"],
  ["hedge with neither afterMs nor percentile", () => ({ hedge: {} }), "ERR_INVALID_OPTION"],
  ["hedge with both afterMs and percentile", () => ({ hedge: { afterMs: 10, percentile: 95 } }), "ERR_INVALID_OPTION"],
  ["hedge.afterMs negative", () => ({ hedge: { afterMs: -1 } }), "ERR_INVALID_OPTION"],
  ["hedge.afterMs NaN", () => ({ hedge: { afterMs: NaN } }), "ERR_INVALID_OPTION"],
  ["hedge.afterMs a string", () => ({ hedge: { afterMs: "10" } }), "ERR_INVALID_OPTION"],
  ["hedge.percentile 100", () => ({ hedge: { percentile: 100 } }), "ERR_INVALID_OPTION"],
  ["hedge.percentile 0", () => ({ hedge: { percentile: 0 } }), "ERR_INVALID_OPTION"],
  ["hedge.minMs above maxMs", () => ({ hedge: { percentile: 95, minMs: 50, maxMs: 10 } }), "ERR_INVALID_OPTION"],
  ["hedge.maxMs with afterMs", () => ({ hedge: { afterMs: 10, maxMs: 100 } }), "ERR_INVALID_OPTION"],
  ["hedge.maxHedges 0", () => ({ hedge: { afterMs: 10, maxHedges: 0 } }), "ERR_INVALID_OPTION"],
  ["hedge.maxHedges 1.5", () => ({ hedge: { afterMs: 10, maxHedges: 1.5 } }), "ERR_INVALID_OPTION"],
  ["hedge.maxHedges 9", () => ({ hedge: { afterMs: 10, maxHedges: 9 } }), "ERR_INVALID_OPTION"],
  ["retryBudget true", () => ({ retryBudget: true }), "ERR_INVALID_OPTION"],
  ["retryBudget an array", () => ({ retryBudget: [20, 3] }), "ERR_INVALID_OPTION"],
  ["retryBudget unknown field", () => ({ retryBudget: { percent: 20, ttlMs: 10 } }), "ERR_UNKNOWN_OPTION"],
  ["retryBudget.percent negative", () => ({ retryBudget: { percent: -5 } }), "ERR_INVALID_OPTION"],
  ["retryBudget.percent over 1000", () => ({ retryBudget: { percent: 1001 } }), "ERR_INVALID_OPTION"],
  ["retryBudget.minPerSecond Infinity", () => ({ retryBudget: { minPerSecond: Infinity } }), "ERR_INVALID_OPTION"],
  ["affinity a string", () => ({ affinity: "lb" }), "ERR_INVALID_OPTION"],
  ["affinity unknown field", () => ({ affinity: { cookie: "lb", path: "/" } }), "ERR_UNKNOWN_OPTION"],
  ["affinity.cookie with a space", () => ({ affinity: { cookie: "my cookie" } }), "ERR_INVALID_OPTION"],
  ["affinity.cookie with a semicolon", () => ({ affinity: { cookie: "a;b" } }), "ERR_INVALID_OPTION"],
  ["affinity.cookie empty", () => ({ affinity: { cookie: "" } }), "ERR_INVALID_OPTION"],
  ["affinity.ttlS 0", () => ({ affinity: { ttlS: 0 } }), "ERR_INVALID_OPTION"],
  ["affinity.ttlS fractional", () => ({ affinity: { ttlS: 1.5 } }), "ERR_INVALID_OPTION"],
  ["affinity.ttlS over 400 days", () => ({ affinity: { ttlS: 400 * 86400 + 1 } }), "ERR_INVALID_OPTION"],
  ["affinity.secret too short", () => ({ affinity: { secret: "short" } }), "ERR_INVALID_OPTION"],
  ["affinity.secret not a string", () => ({ affinity: { secret: new Uint8Array(32) } }), "ERR_INVALID_OPTION"],
  ["zone empty", () => ({ zone: "" }), "ERR_INVALID_OPTION"],
  ["zone a number", () => ({ zone: 3 }), "ERR_INVALID_OPTION"],
  ["zone over 256 bytes", () => ({ zone: "é".repeat(129) }), "ERR_INVALID_OPTION"],
  ["unknown option hedges", () => ({ hedges: { afterMs: 10 } }), "ERR_UNKNOWN_OPTION"],
];

/**
 * Every row of BAD_FETCH_OPTIONS rejects with its code and sends nothing; a getter that throws rejects with its
 * own error; a getter that calls back into the Router (removing a node) cannot make a checked value change.
 * @param {Env} env
 */
export async function badFetchOptions({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  await resetAll(origins);
  const r = new Router({ strategy: "ring", nodes: nodesOf(origins), health: false });
  const started = (await origins.view()).started;
  for (const [name, options, code] of BAD_FETCH_OPTIONS) {
    const got = await routedFetch(r, "http://edge.test/bad", /** @type {any} */ (options())).then(
      () => "resolved",
      (/** @type {any} */ e) => `${e?.code}${e?.message?.startsWith("routedFetch: ") ? "" : " (message without routedFetch:)"}`,
    );
    check(got === code, `${name}: ${got}, want ${code}`);
  }
  check((await origins.view()).started === started, "a bad option sent a request");
  const boom = new Error("getter");
  const throwing = Object.defineProperty({}, "hedge", { enumerable: true, get: () => { throw boom; } });
  const e1 = await routedFetch(r, "http://edge.test/bad", throwing).then(() => undefined, (e) => e);
  check(e1 === boom, `a throwing getter: ${e1}`);
  // A getter read once: the first read gives a valid hedge and removes a node; a second read would give garbage.
  let reads = 0;
  const sneaky = Object.defineProperty({ attempts: 2 }, "hedge", {
    enumerable: true,
    get: () => (reads++ === 0 ? (r.remove(defined(origins.urls[3])), { afterMs: 50 }) : { afterMs: -1 }),
  });
  const res = await routedFetch(r, "http://edge.test/sneaky", sneaky);
  await res.text();
  check(res.status === 200 && reads === 1 && r.nodes().length === 3, `a getter calling back into the Router: ${res.status}, ${reads} reads`);
  check(inflightOf(r) === 0, "in flight after the bad options");
  r.free();
  return result({ cases: BAD_FETCH_OPTIONS.length + 2 });
}

export const TRAFFIC_SCENARIOS = { hedgeCutsTail, budgetBoundsRetries, affinityHolds, zonePlumbing, badFetchOptions };
