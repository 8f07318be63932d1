// Health and failover scenarios against real local origins, shared by the Node and Deno tests. Each takes
// { Router, routedFetch, origins } (origins from origins.mjs) and returns { passed, failures, ...figures }.

import { recorder } from "./checks.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const nodesOf = (origins) => origins.urls.map((id) => ({ id }));
const bodyOf = async (res) => (await res.text()).split(" ")[0];

/** Every request gets a good response while some origins fail, or one clear error when all do. */
export async function noRequestLost({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  const names = Object.keys(origins.urlOf);
  // Only a is healthy: the others answer 503 or drop the connection.
  names.forEach((n, i) => origins.set(n, i === 0 ? "ok" : i % 2 ? "503" : "drop"));
  const r = new Router({ strategy: "ring", nodes: nodesOf(origins), health: false });
  let good = 0;
  let errors = 0;
  for (let i = 0; i < 150; i++) {
    try {
      const res = await routedFetch(r, `http://edge.test/item/${i}`, { timeoutMs: 2000, attempts: names.length });
      check(res.status === 200 && (await bodyOf(res)) === "a", `request ${i} answered by a failing origin`);
      good++;
    } catch (e) {
      errors++;
      check(false, `request ${i} lost: ${e.message}`);
    }
  }
  // Everything fails: each request ends in one error that lists every attempt.
  names.forEach((n, i) => origins.set(n, ["hang", "503", "drop"][i % 3]));
  const r2 = new Router({ strategy: "round-robin", nodes: nodesOf(origins), health: false });
  for (let i = 0; i < 5; i++) {
    try {
      await routedFetch(r2, `http://edge.test/x/${i}`, { timeoutMs: 300 });
      check(false, "a request succeeded although every origin fails");
    } catch (e) {
      check(e.code === "ERR_ALL_ATTEMPTS_FAILED" && e.attempts.length === 3, `error ${e.code} with ${e.attempts?.length} attempts`);
      const want = (o) => ["timeout", "HTTP 503", "network"][names.indexOf(origins.byUrl[o]) % 3];
      const kinds = e.attempts.map((a) => (a.status ? `HTTP ${a.status}` : a.error.startsWith("timeout") ? "timeout" : "network"));
      check(e.attempts.every((a, j) => kinds[j] === want(a.origin)), `attempts ${JSON.stringify(e.attempts)}`);
      check(e.message.includes(e.attempts[0].origin), "the message names the origins");
    }
  }
  for (const n of names) origins.set(n, "ok");
  return result({ good, errors });
}

/** The origins tried for a request follow pickN's order exactly. */
export async function failoverFollowsPickN({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  const r = new Router({ strategy: "ring", nodes: nodesOf(origins), health: false });
  let keys = 0;
  for (let i = 0; i < 12; i++) {
    const path = `/fo/${i}`;
    const order = r.pickN(path, origins.urls.length).map((u) => origins.byUrl[u]);
    // Fail all but the last origin in this key's order.
    for (const n of order) origins.set(n, "503");
    origins.set(order[order.length - 1], "ok");
    origins.log.length = 0;
    const res = await routedFetch(r, `http://edge.test${path}`, { attempts: order.length });
    const tried = origins.log.filter((l) => l.path === path).map((l) => l.name);
    check(res.status === 200, `status ${res.status}`);
    check(JSON.stringify(tried) === JSON.stringify(order), `tried ${tried} but pickN is ${order}`);
    keys++;
  }
  for (const n of Object.keys(origins.urlOf)) origins.set(n, "ok");
  return result({ keys });
}

/** A failing origin is ejected after the configured streak, probed after the ejection, and restored. */
export async function ejectionAndRecovery({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  const health = { consecutiveFailures: 3, baseEjectionMs: 500, maxEjectionMs: 4000 };
  const r = new Router({ strategy: "ring", nodes: nodesOf(origins), health });
  const bUrl = origins.urlOf.b;
  const bKeys = Array.from({ length: 400 }, (_, i) => `/ej/${i}`).filter((k) => r.pick(k) === bUrl).slice(0, 8);
  check(bKeys.length === 8, "found keys owned by b");
  origins.set("b", "503");
  let ejectedAt = 0;
  for (let i = 0; i < 3; i++) {
    const res = await routedFetch(r, `http://edge.test${bKeys[i]}`);
    check(res.status === 200, "failed over to a healthy origin");
    ejectedAt = Date.now();
  }
  const st = r.stats().find((s) => s.id === bUrl);
  check(st.state === "ejected", `b is ${st.state} after 3 failures`);
  const planned = st.ejectedUntil - ejectedAt;
  // ejectedUntil = the third failure's time + 500; `ejectedAt` is read a little after it (more under load).
  check(planned > 250 && planned <= 520, `ejection planned for ${planned} ms, want about 500`);
  // While ejected, b's keys go straight to their next origin: b sees no request.
  origins.log.length = 0;
  for (const k of bKeys) await (await routedFetch(r, `http://edge.test${k}`)).text();
  check(!origins.log.some((l) => l.name === "b"), "an ejected origin was tried");
  // b recovers; after the ejection one probe goes to it and restores it.
  origins.set("b", "ok");
  await sleep(Math.max(0, st.ejectedUntil - Date.now()) + 20);
  check(r.stats().find((s) => s.id === bUrl).state === "probing", "b is probing after its ejection");
  const probe = await routedFetch(r, `http://edge.test${bKeys[0]}`);
  check((await bodyOf(probe)) === "b", "the probe went to b");
  const back = r.stats().find((s) => s.id === bUrl);
  check(back.state === "healthy" && back.ejections === 1, `b is ${back.state} after a good probe`);
  const restoredMs = Date.now() - ejectedAt;
  for (const k of bKeys) check((await bodyOf(await routedFetch(r, `http://edge.test${k}`))) === "b", `key ${k} not home`);
  return result({ ejectedForMs: planned, restoredAfterMs: restoredMs });
}

/** Keys of healthy origins are served by the same origin before, during and after another origin's flap. */
export async function keysStayDuringFlap({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  const r = new Router({ strategy: "maglev", nodes: nodesOf(origins), health: { consecutiveFailures: 2, baseEjectionMs: 300 } });
  const keys = Array.from({ length: 60 }, (_, i) => `/flap/${i}`);
  const home = Object.fromEntries(keys.map((k) => [k, origins.byUrl[r.pick(k)]]));
  const served = async () => Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await bodyOf(await routedFetch(r, `http://edge.test${k}`))])));
  origins.set("c", "503");
  const during = await served();
  await served();
  check(r.stats().find((s) => s.id === origins.urlOf.c).state === "ejected", "c ejected");
  let moved = 0;
  for (const k of keys) {
    if (home[k] === "c") check(during[k] !== "c", `${k} still on c`);
    else if (during[k] !== home[k]) moved++;
  }
  check(moved === 0, `${moved} keys of healthy origins moved during the flap`);
  origins.set("c", "ok");
  r.markUp(origins.urlOf.c);
  const after = await served();
  check(keys.every((k) => after[k] === home[k]), "keys did not all return home");
  return result({ keys: keys.length, movedHealthy: moved });
}

/** With too few healthy origins, routing ignores ejections (panic) instead of overloading the survivors. */
export async function panicThreshold({ Router, origins }) {
  const { check, result } = recorder();
  const r = new Router({
    strategy: "rendezvous",
    nodes: nodesOf(origins),
    health: { consecutiveFailures: 1, maxEjectedShare: 1, panicThreshold: 0.5, baseEjectionMs: 60_000 },
  });
  const keys = Array.from({ length: 500 }, (_, i) => `/p/${i}`);
  const home = keys.map((k) => r.pick(k));
  const [a, b, c] = origins.urls;
  r.report(a, { ok: false });
  const oneDown = keys.map((k) => r.pick(k));
  check(oneDown.every((o) => o !== a), "one ejected origin is avoided");
  r.report(b, { ok: false });
  r.report(c, { ok: false });
  const ejected = r.stats().filter((s) => s.state === "ejected").length;
  check(ejected === 3, `${ejected} ejected`);
  const panic = keys.map((k) => r.pick(k));
  check(panic.every((o, i) => o === home[i]), "in panic every key goes to its home as if all were healthy");
  return result({ ejected });
}

/** least-outstanding sends fewer requests to a slow origin. */
export async function leastOutstandingAvoidsSlow({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  origins.set("a", "slow", 150);
  const r = new Router({ strategy: "least-outstanding", nodes: nodesOf(origins), seed: 5 });
  const counts = Object.fromEntries(Object.keys(origins.urlOf).map((n) => [n, 0]));
  // An open-loop stream: a new request every 8 ms whatever the answers, so a's slow requests pile up in flight.
  const pending = [];
  for (let i = 0; i < 150; i++) {
    pending.push(routedFetch(r, `http://edge.test/lo/${i}`).then(async (res) => counts[await bodyOf(res)]++));
    await sleep(8);
  }
  await Promise.all(pending);
  origins.set("a", "ok");
  const share = counts.a / 150;
  check(share < 0.2, `the slow origin got ${(share * 100).toFixed(0)}% (fair share ${(100 / origins.urls.length).toFixed(0)}%)`);
  check(r.stats().every((s) => s.inflight === 0), "every request ended");
  return result({ counts });
}

/** Bodies are buffered to retry idempotent methods, never beyond the limit; POST is not retried. */
export async function bodiesAndMethods({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  const r = new Router({ strategy: "ring", nodes: nodesOf(origins), health: false });
  const path = "/body/1";
  const order = r.pickN(path, 2).map((u) => origins.byUrl[u]);
  origins.set(order[0], "503");
  const body = "x".repeat(5000);
  origins.log.length = 0;
  const res = await routedFetch(r, new Request(`http://edge.test${path}`, { method: "PUT", body }));
  check(res.status === 200 && (await bodyOf(res)) === order[1], "PUT retried on the next origin");
  const sent = origins.log.filter((l) => l.path === path).map((l) => l.bodyBytes);
  check(JSON.stringify(sent) === "[5000,5000]", `bodies sent ${sent}`);
  for (const [method, init, want] of [
    ["POST", { method: "POST", body }, 1],
    ["PUT over the buffer limit", { method: "PUT", body: "y".repeat(3000) }, 1],
  ]) {
    origins.log.length = 0;
    try {
      await routedFetch(r, new Request(`http://edge.test${path}`, init), { maxBufferBytes: 1000 });
      check(false, `${method}: succeeded on a failing origin`);
    } catch (e) {
      check(e.code === "ERR_ALL_ATTEMPTS_FAILED" && e.attempts.length === want, `${method}: ${e.attempts?.length} attempts`);
    }
    const tried = origins.log.filter((l) => l.path === path);
    check(tried.length === want && tried[0].bodyBytes === init.body.length, `${method}: sent ${JSON.stringify(tried)}`);
  }
  for (const n of Object.keys(origins.urlOf)) origins.set(n, "ok");
  return result();
}

export const SCENARIOS = {
  noRequestLost,
  failoverFollowsPickN,
  ejectionAndRecovery,
  keysStayDuringFlap,
  panicThreshold,
  leastOutstandingAvoidsSlow,
  bodiesAndMethods,
};
