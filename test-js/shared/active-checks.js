// Active health check (checkHealth) scenarios, shared by the Node, Deno and workerd tests.
//
// ROUND_SCENARIOS run rounds against real loopback origins (origins.mjs), whose modes the test switches between
// rounds; they drive a Pool: a Router and checkHealth in this runtime (localPool), or inside a Worker over HTTP
// (test-js/workerd/checks.test.mjs). LOCAL_SCENARIOS need no origin (fetch stubs), so they run inside any runtime,
// a Worker included. Each returns { passed, failures, ...figures }, as scenarios.js does.
// Type-checked against the package's own types (tsc --checkJs, test-js/types/tsconfig.shared.json).

import { recorder, defined } from "./checks.js";

/**
 * @typedef {import("./checks.js").RouterClass} RouterClass
 * @typedef {import("edgeroute").Router} RouterInstance
 * @typedef {typeof import("edgeroute").checkHealth} CheckHealth
 * @typedef {import("edgeroute").CheckHealthOptions} CheckHealthOptions
 * @typedef {import("edgeroute").CheckResult} CheckResult
 * @typedef {import("edgeroute").NodeStats} NodeStats
 * @typedef {import("edgeroute").ErrorCode} ErrorCode
 * @typedef {import("./scenarios.js").Origins} Origins
 * @typedef {object} Pool a Router over origin URLs and rounds of checkHealth on it, here or in a Worker
 * @property {(options?: CheckHealthOptions) => Promise<CheckResult[]>} round
 * @property {() => Promise<NodeStats[]>} stats
 * @property {(keys: string[]) => Promise<(string | undefined)[]>} picks
 * @property {(id: string, forMs?: number) => Promise<void>} markDown
 * @property {(id: string) => Promise<void>} markUp
 * @property {(id: string) => Promise<void>} remove
 * @property {(id: string) => Promise<void>} add
 * @typedef {{ pool: (ids: string[]) => Promise<Pool>, origins: Origins }} RoundEnv
 * @typedef {{ Router: RouterClass, checkHealth: CheckHealth }} LocalEnv
 */

/** A Pool in this runtime. @param {RouterClass} Router @param {CheckHealth} checkHealth @returns {(ids: string[]) => Promise<Pool>} */
export function localPool(Router, checkHealth) {
  return async (ids) => {
    const r = new Router({ strategy: "ring", nodes: ids.map((id) => ({ id })), health: false });
    return {
      round: (options) => checkHealth(r, options),
      stats: async () => r.stats(),
      picks: async (keys) => r.pickMany(keys),
      markDown: async (id, forMs) => r.markDown(id, forMs),
      markUp: async (id) => r.markUp(id),
      remove: async (id) => void r.remove(id),
      add: async (id) => r.add({ id }),
    };
  };
}

/** @param {CheckResult[]} results @param {string} id */
const resultOf = (results, id) => defined(results.find((x) => x.id === id));
/** @param {NodeStats[]} stats @param {string} id */
const statOf = (stats, id) => defined(stats.find((s) => s.id === id));
const KEYS = Array.from({ length: 300 }, (_, i) => `/k/${i}`);
/** @param {Origins} origins */
const resetAll = (origins) => Object.keys(origins.urlOf).forEach((n) => origins.set(n, "ok"));

/**
 * An origin switched to 503 is marked down after exactly unhealthyThreshold rounds (not before), picks avoid it
 * while it is down, and it comes back after exactly healthyThreshold good rounds once it recovers.
 * @param {RoundEnv} env
 */
export async function downAndUpOnThresholds({ pool, origins }) {
  const { check, result } = recorder();
  const p = await pool(origins.urls);
  const b = origins.urlOf.b;
  const opts = { timeoutMs: 2000, unhealthyThreshold: 3, healthyThreshold: 2 };
  const before = await p.picks(KEYS);
  check(before.includes(b), "b owns some keys before");
  origins.set("b", "503");
  let roundsToDown = 0;
  for (let i = 1; i <= 3; i++) {
    const res = resultOf(await p.round(opts), b);
    const state = statOf(await p.stats(), b).state;
    check(!res.ok && res.status === 503 && res.consecutiveFailed === i, `round ${i}: ${JSON.stringify(res)}`);
    if (i < 3) {
      check(res.transition === null && state === "healthy", `round ${i}: marked down before the threshold (${state})`);
      check((await p.picks(KEYS)).includes(b), `round ${i}: b no longer picked before the threshold`);
    } else {
      check(res.transition === "down" && res.heldDown && state === "down", `round 3: ${JSON.stringify(res)}, state ${state}`);
    }
    if (res.transition === "down") roundsToDown = i;
  }
  // While down, no key goes to b; keys of the other nodes do not move.
  const during = await p.picks(KEYS);
  check(!during.includes(b), "a key still went to b while it was down");
  check(during.every((id, i) => before[i] === b || id === before[i]), "keys of healthy nodes moved");
  // Still failing: stays down, no second transition.
  const again = resultOf(await p.round(opts), b);
  check(again.transition === null && again.heldDown && again.consecutiveFailed === 4, `round 4: ${JSON.stringify(again)}`);
  // Recovery.
  origins.set("b", "ok");
  let roundsToUp = 0;
  for (let i = 1; i <= 2; i++) {
    const res = resultOf(await p.round(opts), b);
    const state = statOf(await p.stats(), b).state;
    check(res.ok && res.status === 200 && res.consecutiveOk === i && res.consecutiveFailed === 0, `recovery round ${i}: ${JSON.stringify(res)}`);
    if (i < 2) check(res.transition === null && state === "down", `recovery round ${i}: back up before the threshold (${state})`);
    else check(res.transition === "up" && !res.heldDown && state === "healthy", `recovery round 2: ${JSON.stringify(res)}, ${state}`);
    if (res.transition === "up") roundsToUp = i;
  }
  check(JSON.stringify(await p.picks(KEYS)) === JSON.stringify(before), "keys did not come home after recovery");
  resetAll(origins);
  return result({ roundsToDown, roundsToUp });
}

/**
 * A hanging origin counts as failed once timeoutMs passes, and the round takes about timeoutMs, not more.
 * @param {RoundEnv} env
 */
export async function hangFailsAfterTimeout({ pool, origins }) {
  const { check, result } = recorder();
  const p = await pool(origins.urls);
  const c = origins.urlOf.c;
  origins.set("c", "hang");
  const timeoutMs = 400;
  /** @type {number[]} */
  const durations = [];
  for (let i = 1; i <= 2; i++) {
    const t = Date.now();
    const results = await p.round({ timeoutMs, unhealthyThreshold: 2 });
    durations.push(Date.now() - t);
    const res = resultOf(results, c);
    check(!res.ok && res.status === null && /^timeout after 400 ms/.test(String(res.error)), `round ${i}: ${JSON.stringify(res)}`);
    check(res.latencyMs >= timeoutMs - 5, `round ${i}: latency ${res.latencyMs} below the timeout`);
    check(results.filter((x) => x.id !== c).every((x) => x.ok), `round ${i}: another origin failed`);
    check(res.transition === (i === 2 ? "down" : null), `round ${i}: transition ${res.transition}`);
  }
  check(durations.every((d) => d >= timeoutMs - 5 && d < timeoutMs + 1500), `round durations ${durations}`);
  check(statOf(await p.stats(), c).state === "down", "the hanging origin is not down");
  resetAll(origins);
  return result({ timeoutMs, roundMs: durations });
}

/**
 * A node an operator marked down is never marked up by the checks, however healthy; an operator's markUp of a
 * node the checks hold down wins, and the checks need unhealthyThreshold more failures to take it down again.
 * @param {RoundEnv} env
 */
export async function operatorMarksWin({ pool, origins }) {
  const { check, result } = recorder();
  const p = await pool(origins.urls);
  const { a, b } = origins.urlOf;
  await p.markDown(a);
  for (let i = 0; i < 4; i++) {
    const res = resultOf(await p.round({ healthyThreshold: 1, unhealthyThreshold: 1, timeoutMs: 2000 }), a);
    check(res.ok && res.transition === null && !res.heldDown, `round ${i}: ${JSON.stringify(res)}`);
    check(statOf(await p.stats(), a).state === "down", `round ${i}: the operator's markDown was undone`);
  }
  // A failing node the operator marked down stays theirs too: the checks do not take the mark over.
  origins.set("a", "503");
  const failing = resultOf(await p.round({ unhealthyThreshold: 1, healthyThreshold: 1 }), a);
  check(failing.transition === null && !failing.heldDown, `a failing, operator-marked: ${JSON.stringify(failing)}`);
  origins.set("a", "ok");
  const stillOk = resultOf(await p.round({ unhealthyThreshold: 1, healthyThreshold: 1 }), a);
  check(stillOk.transition === null && statOf(await p.stats(), a).state === "down", "the operator's mark was undone after a failure");
  await p.markUp(a);
  // The checks hold b down; the operator marks it up while it still fails.
  origins.set("b", "503");
  const opts = { unhealthyThreshold: 2, healthyThreshold: 2, timeoutMs: 2000 };
  await p.round(opts);
  check(resultOf(await p.round(opts), b).transition === "down", "b not marked down after 2 failures");
  await p.markUp(b);
  const r1 = resultOf(await p.round(opts), b);
  check(r1.transition === null && r1.consecutiveFailed === 1 && !r1.heldDown, `after the operator's markUp: ${JSON.stringify(r1)}`);
  check(statOf(await p.stats(), b).state === "healthy", "the operator's markUp was undone at once");
  check(resultOf(await p.round(opts), b).transition === "down", "b not marked down again after 2 more failures");
  // An operator's timed markDown of a node the checks hold hands it to the operator: no markUp when it recovers.
  await p.markDown(b, 60_000);
  const taken = resultOf(await p.round(opts), b);
  check(taken.transition === null && !taken.heldDown, `after the operator's timed markDown: ${JSON.stringify(taken)}`);
  origins.set("b", "ok");
  await p.round(opts);
  const kept = resultOf(await p.round(opts), b);
  const bs = statOf(await p.stats(), b);
  check(kept.ok && kept.transition === null && bs.state === "down" && bs.downUntil !== null, `the operator's timed mark was undone: ${JSON.stringify(kept)} ${bs.state}`);
  await p.markUp(b);
  resetAll(origins);
  return result();
}

/**
 * stats() shows each node's last check (null before any round); a node removed between rounds is dropped from
 * the results and forgotten, so when it joins again its counts start afresh.
 * @param {RoundEnv} env
 */
export async function statsAndMembership({ pool, origins }) {
  const { check, result } = recorder();
  const p = await pool(origins.urls);
  const d = origins.urlOf.d;
  check((await p.stats()).every((s) => s.check === null), "check is not null before any round");
  origins.set("d", "503");
  const t0 = Date.now();
  await p.round({ unhealthyThreshold: 5 });
  const s = statOf(await p.stats(), d).check;
  check(s !== null && !s.ok && s.status === 503 && s.consecutiveFailed === 1 && s.consecutiveOk === 0 && !s.heldDown, `stats check ${JSON.stringify(s)}`);
  check(s !== null && s.at >= t0 && s.at <= Date.now() && s.latencyMs >= 0 && typeof s.error === "string", `stats check times ${JSON.stringify(s)}`);
  const okStat = statOf(await p.stats(), origins.urlOf.a).check;
  check(okStat !== null && okStat.ok && okStat.status === 200 && okStat.error === null && okStat.consecutiveOk === 1, `a's check ${JSON.stringify(okStat)}`);
  await p.round({ unhealthyThreshold: 5 });
  check(defined(statOf(await p.stats(), d).check).consecutiveFailed === 2, "the second round did not count");
  await p.remove(d);
  const without = await p.round({ unhealthyThreshold: 5 });
  check(without.length === origins.urls.length - 1 && !without.some((x) => x.id === d), "a removed node is still in the results");
  await p.add(d);
  check(statOf(await p.stats(), d).check === null, "a node added again kept its old check");
  const fresh = resultOf(await p.round({ unhealthyThreshold: 5 }), d);
  check(fresh.consecutiveFailed === 1, `a node added again kept its failure run: ${JSON.stringify(fresh)}`);
  resetAll(origins);
  return result();
}

export const ROUND_SCENARIOS = { downAndUpOnThresholds, hangFailsAfterTimeout, operatorMarksWin, statsAndMembership };

// ---------------------------------------------------------------------------------------------------------------
// No origins: fetch stubs.

const IDS = ["http://a.test", "http://b.test", "http://c.test"];
/** @param {number} status */
const answer = (status) => async () => new Response(null, { status });
const never = () => new Promise(() => {});
/** @param {RouterClass} R */
const fresh = (R) => new R({ strategy: "ring", nodes: IDS.map((id) => ({ id })), health: false });

/**
 * Bad inputs of checkHealth: [name, action(Router, checkHealth, r), code]. Each must return a promise that rejects
 * with that code (nothing thrown synchronously, as routedFetch), and leave r as it was.
 * @type {[name: string, action: (R: RouterClass, check: CheckHealth, r: RouterInstance) => Promise<unknown>, code: ErrorCode][]}
 */
export const CHECK_BAD_INPUTS = [
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["no router", (R, ch) => ch(), "ERR_INVALID_ARGUMENT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["a plain object as the router", (R, ch) => ch({ nodes: [] }), "ERR_INVALID_ARGUMENT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["the Router class as the router", (R, ch) => ch(R), "ERR_INVALID_ARGUMENT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["unknown option", (R, ch, r) => ch(r, { interval: 1000 }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["options is a string", (R, ch, r) => ch(r, "/health"), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["options is null", (R, ch, r) => ch(r, null), "ERR_INVALID_OPTION"],
  ["path without a leading slash", (R, ch, r) => ch(r, { path: "health" }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["path not a string", (R, ch, r) => ch(r, { path: 7 }), "ERR_INVALID_OPTION"],
  ["timeoutMs 0", (R, ch, r) => ch(r, { timeoutMs: 0 }), "ERR_INVALID_OPTION"],
  ["timeoutMs NaN", (R, ch, r) => ch(r, { timeoutMs: NaN }), "ERR_INVALID_OPTION"],
  ["timeoutMs Infinity", (R, ch, r) => ch(r, { timeoutMs: Infinity }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["timeoutMs a string", (R, ch, r) => ch(r, { timeoutMs: "5000" }), "ERR_INVALID_OPTION"],
  ["healthyThreshold 0", (R, ch, r) => ch(r, { healthyThreshold: 0 }), "ERR_INVALID_OPTION"],
  ["unhealthyThreshold 1.5", (R, ch, r) => ch(r, { unhealthyThreshold: 1.5 }), "ERR_INVALID_OPTION"],
  ["unhealthyThreshold -1", (R, ch, r) => ch(r, { unhealthyThreshold: -1 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["healthyThreshold null", (R, ch, r) => ch(r, { healthyThreshold: null }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["fetch null", (R, ch, r) => ch(r, { fetch: null }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["expectStatus null", (R, ch, r) => ch(r, { expectStatus: null }), "ERR_INVALID_OPTION"],
  ["expectStatus 99", (R, ch, r) => ch(r, { expectStatus: 99 }), "ERR_INVALID_OPTION"],
  ["expectStatus 600", (R, ch, r) => ch(r, { expectStatus: 600 }), "ERR_INVALID_OPTION"],
  ["expectStatus 200.5", (R, ch, r) => ch(r, { expectStatus: 200.5 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["expectStatus \"6xx\"", (R, ch, r) => ch(r, { expectStatus: "6xx" }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["expectStatus \"200\"", (R, ch, r) => ch(r, { expectStatus: "200" }), "ERR_INVALID_OPTION"],
  ["expectStatus an empty array", (R, ch, r) => ch(r, { expectStatus: [] }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["expectStatus with a bad element", (R, ch, r) => ch(r, { expectStatus: [200, "2XX"] }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["fetch not a function", (R, ch, r) => ch(r, { fetch: "fetch" }), "ERR_INVALID_OPTION"],
  ["a freed Router", (R, ch) => {
    const q = fresh(R);
    q.free();
    return ch(q, { fetch: answer(200) });
  }, "ERR_FREED"],
];

/** Every bad input rejects (never throws) with its code, and the Router keeps routing and checking. @param {LocalEnv} env */
export async function badInputs({ Router, checkHealth }) {
  const { check, result } = recorder();
  const r = fresh(Router);
  const before = r.pickMany(KEYS);
  for (const [name, action, code] of CHECK_BAD_INPUTS) {
    /** @type {Promise<unknown> | undefined} */
    let p;
    try {
      p = action(Router, checkHealth, r);
    } catch (/** @type {any} */ e) {
      check(false, `${name}: threw synchronously (${e?.code}) instead of rejecting`);
      continue;
    }
    /** @type {any} */
    let err;
    await p.then(() => check(false, `${name}: resolved`), (e) => (err = e));
    if (err === undefined) continue;
    check(err.name === "EdgerouteError" && err.code === code, `${name}: ${err.code} (${err.message}), want ${code}`);
    check(typeof err.message === "string" && (code === "ERR_FREED" || err.message.startsWith("checkHealth: ")), `${name}: message ${err.message}`);
    check(JSON.stringify(r.pickMany(KEYS)) === JSON.stringify(before), `${name}: the Router changed`);
  }
  const ok = await checkHealth(r, { fetch: answer(200) });
  check(ok.length === 3 && ok.every((x) => x.ok), "a round after the bad inputs failed");
  // The option forms that are valid.
  /** @type {NonNullable<CheckHealthOptions["expectStatus"]>[]} */
  const forms = [204, "4xx", [200, "3xx", 418]];
  for (const expectStatus of forms) {
    const res = await checkHealth(r, { fetch: answer(418), expectStatus });
    check(res.every((x) => x.ok === (expectStatus !== 204)), `expectStatus ${JSON.stringify(expectStatus)}: ${JSON.stringify(res[0])}`);
  }
  const undef = await checkHealth(r, { fetch: answer(200), path: undefined, timeoutMs: undefined });
  check(undef.every((x) => x.ok), "options set to undefined are not absent");
  return result({ cases: CHECK_BAD_INPUTS.length });
}

/**
 * What an attacker or a bug can hand checkHealth: a fetch that never settles, throws synchronously, resolves to a
 * non-Response; option getters that call back into the Router or start a round; a round overlapping another; a
 * Router freed or a node removed mid-round; a node id that is no URL. Every round settles and the Router keeps
 * routing.
 * @param {LocalEnv} env
 */
export async function hostileRounds({ Router, checkHealth }) {
  const { check, result } = recorder();
  const r = fresh(Router);
  // A fetch that never settles: failed after timeoutMs.
  let t = Date.now();
  const hung = await checkHealth(r, { fetch: never, timeoutMs: 150 });
  check(hung.every((x) => !x.ok && /^timeout after 150 ms/.test(String(x.error)) && x.consecutiveFailed === 1), `never settles: ${JSON.stringify(hung[0])}`);
  check(Date.now() - t < 2000, `the round took ${Date.now() - t} ms`);
  // A fetch that throws synchronously: a failure like a network error.
  const threw = await checkHealth(r, { fetch: () => { throw new TypeError("boom"); } });
  check(threw.every((x) => !x.ok && x.error === "boom" && x.consecutiveFailed === 2), `throws: ${JSON.stringify(threw[0])}`);
  // Not a Response: not counted (it says nothing of the origin), coded.
  const bogus = await checkHealth(r, { fetch: /** @type {any} */ (async () => ({ status: "200" })) });
  check(bogus.every((x) => !x.ok && x.code === "ERR_INVALID_RESPONSE" && x.consecutiveFailed === 2 && x.transition === null), `non-Response: ${JSON.stringify(bogus[0])}`);
  // The third failure marks everything down; three good rounds of the default healthyThreshold (2) bring it back.
  const third = await checkHealth(r, { fetch: answer(500) });
  check(third.every((x) => x.transition === "down") && r.pick("k") === undefined, "three failures did not mark the pool down");
  await checkHealth(r, { fetch: answer(200) });
  const back = await checkHealth(r, { fetch: answer(200) });
  check(back.every((x) => x.transition === "up") && r.pick("k") !== undefined, "two good rounds did not bring the pool back");
  // Redirects are not followed and count as healthy by default (3xx), not with expectStatus 200.
  const moved = await checkHealth(r, { fetch: async () => new Response(null, { status: 302, headers: { location: "http://elsewhere.test/" } }), expectStatus: 200 });
  check(moved.every((x) => !x.ok && x.status === 302), `302 with expectStatus 200: ${JSON.stringify(moved[0])}`);
  // The probe: a GET of node id + path, no redirect following.
  /** @type {Request[]} */
  const seen = [];
  await checkHealth(r, { path: "/healthz?deep=1", fetch: async (req) => (seen.push(req), new Response("ok")) });
  check(seen.map((q) => q.url).sort().join() === IDS.map((id) => `${id}/healthz?deep=1`).join(), `probe URLs ${seen.map((q) => q.url)}`);
  check(seen.every((q) => q.method === "GET" && q.redirect === "manual"), "probes are GETs that follow no redirect");
  // Option getters run once, before the round, and may call the Router.
  let reads = 0;
  const getterOpts = {
    get timeoutMs() {
      reads++;
      r.markDown(IDS[2]);
      r.pick("k");
      return 1000;
    },
    fetch: answer(200),
  };
  const g = await checkHealth(r, getterOpts);
  check(reads === 1 && g.length === 3, `a getter ran ${reads} times`);
  r.markUp(IDS[2]);
  // A getter that starts a round of its own: that round runs, the outer call is refused as overlapping.
  /** @type {Promise<unknown> | undefined} */
  let inner;
  const nested = {
    get path() {
      inner = checkHealth(r, { fetch: answer(200) });
      return "/";
    },
  };
  /** @type {any} */
  let outerErr;
  await checkHealth(r, nested).catch((e) => (outerErr = e));
  check(outerErr?.code === "ERR_CHECK_IN_PROGRESS", `nested round: ${outerErr?.code}`);
  check(Array.isArray(await inner), "the getter's round did not resolve");
  // Overlap: the second call is refused at once, the first resolves, the next one runs.
  const first = checkHealth(r, { fetch: () => new Promise((res) => setTimeout(() => res(new Response("ok")), 50)) });
  /** @type {any} */
  let overlapErr;
  await checkHealth(r, { fetch: answer(200) }).catch((e) => (overlapErr = e));
  check(overlapErr?.code === "ERR_CHECK_IN_PROGRESS" && /still running/.test(overlapErr.message), `overlap: ${overlapErr?.code}`);
  check((await first).length === 3, "the first round did not resolve");
  check((await checkHealth(r, { fetch: answer(200) })).length === 3, "no round after an overlap");
  // Another Router's round runs alongside.
  const other = fresh(Router);
  const [x1, x2] = await Promise.all([checkHealth(r, { fetch: answer(200) }), checkHealth(other, { fetch: answer(200) })]);
  check(x1.length === 3 && x2.length === 3, "two Routers' rounds did not run together");
  // A node removed mid-round (by the fetch itself): left out of the results, nothing thrown.
  const gone = await checkHealth(r, { fetch: async (req) => (req.url.startsWith(IDS[1]) && r.remove(IDS[1]), new Response("ok")) });
  check(gone.length === 2 && !gone.some((x) => x.id === IDS[1]), `removed mid-round: ${gone.map((x) => x.id)}`);
  r.add({ id: IDS[1] });
  // A node removed mid-round while failing is not marked (nothing to mark), and one added meanwhile is not probed.
  const down = await checkHealth(r, { unhealthyThreshold: 1, fetch: async (req) => (req.url.startsWith(IDS[0]) && (r.remove(IDS[0]), r.add({ id: "http://new.test" })), new Response(null, { status: 503 })) });
  check(down.length === 2 && down.every((x) => x.transition === "down"), `marks after a change mid-round: ${JSON.stringify(down.map((x) => [x.id, x.transition]))}`);
  check(r.stats().find((s) => s.id === "http://new.test")?.check === null, "a node added mid-round has a check");
  // A node id that is not a URL: reported, coded, never counted or marked, nothing sent.
  const odd = new Router({ strategy: "round-robin", nodes: [{ id: "cache-1" }, { id: "ftp://x.test" }, { id: IDS[0] }] });
  let sent = 0;
  for (let i = 0; i < 4; i++) {
    const res = await checkHealth(odd, { unhealthyThreshold: 1, fetch: async () => (sent++, new Response(null, { status: 500 })) });
    const [c1, c2] = res;
    check(c1.code === "ERR_INVALID_ORIGIN" && c2.code === "ERR_INVALID_ORIGIN" && c1.consecutiveFailed === 0 && c1.transition === null, `not a URL: ${JSON.stringify(c1)}`);
  }
  check(sent === 4 && odd.stats().filter((s) => s.state === "down").length === 1, `sent ${sent}; down ${odd.stats().filter((s) => s.state === "down").length}`);
  // The Router freed mid-round: the round rejects with ERR_FREED once its probes settle; nothing is left running.
  const doomed = fresh(Router);
  /** @type {any} */
  let freedErr;
  await checkHealth(doomed, { fetch: async () => (doomed.free(), new Response("ok")) }).catch((e) => (freedErr = e));
  check(freedErr?.code === "ERR_FREED", `freed mid-round: ${freedErr?.code}`);
  // The stats of a Router whose checks ran are still plain data: a copy, not the checks' own record.
  const s0 = defined(r.stats()[0].check);
  s0.consecutiveOk = 999;
  check(defined(r.stats()[0].check).consecutiveOk !== 999, "stats() handed out the checks' own record");
  t = Date.now();
  return result();
}

export const LOCAL_SCENARIOS = { badInputs, hostileRounds };
