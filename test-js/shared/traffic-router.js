// Zones, priority levels and slow start (docs/traffic.md) through routedFetch, against real loopback origins:
// every share is counted at the origins (what answered), and compared with the model's own formula written out
// here, not read from the Router. Shared by Node, Deno and workerd as traffic-fetch.js is (same `origins`
// control); ZONE_ORIGINS names the origins the scenarios need.
//
// Type-checked against the package's own types (tsc --checkJs, test-js/types/tsconfig.shared.json).

import { recorder } from "./checks.js";
import { timed } from "./traffic-fetch.js";

/**
 * @typedef {import("./traffic-fetch.js").Env} Env
 * @typedef {import("./traffic-fetch.js").Control} Control
 * @typedef {import("edgeroute").Router} RouterInstance
 */

/** Zones a, b and c with four origins each, and two more (x0, x1) for backups and slow start. */
export const ZONE_ORIGINS = ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3", "c0", "c1", "c2", "c3", "x0", "x1"];

/** The model's share of a zone's keys kept local: min(1, 1.4 × its healthy share), 0 with none healthy. */
const localShare = (/** @type {number} */ healthy) => Math.min(1, 1.4 * healthy);

/** The origins' names as they answer: startOrigins answers with its name, so this maps a body to a name. */
const nameOf = (/** @type {string} */ body) => body.split(" ")[0];

/**
 * A caller in zone a at 100, 75, 50, 25 and 0 % local health (local origins marked down one by one): the share of
 * its keys answered by zone a against min(1, 1.4 × h), and every answer equal to `pick(key, { zone })`.
 * @param {Env} env
 */
export async function zoneSpillShares(env) {
  const { Router, routedFetch, origins } = env;
  const { check, result } = recorder();
  const zoned = ZONE_ORIGINS.filter((n) => n[0] !== "x");
  const r = new Router({ strategy: "ring", nodes: zoned.map((n) => ({ id: origins.urlOf[n], zone: n[0] })) });
  const keys = Array.from({ length: 800 }, (_, i) => `user-${i}`);
  /** @type {Record<string, number>} */
  const shares = {};
  for (let down = 0; down <= 4; down++) {
    if (down > 0) r.markDown(origins.urlOf[`a${down - 1}`]);
    /** @type {string[]} */
    const names = [];
    for (let i = 0; i < keys.length; i += 100) {
      const batch = keys.slice(i, i + 100);
      const got = await Promise.all(
        batch.map(async (k) => nameOf(await (await routedFetch(r, `http://edge.test/${k}`, { attempts: 1, zone: "a" })).text())),
      );
      names.push(...got);
    }
    const local = names.filter((n) => n[0] === "a").length / keys.length;
    const health = (4 - down) / 4;
    const want = down === 4 ? 0 : localShare(health);
    shares[`${health * 100}%`] = local;
    check(Math.abs(local - want) <= 0.06, `${health * 100} % local health: local share ${local}, model ${want}`);
    // routedFetch's key is the path.
    const differ = keys.filter((k, i) => origins.byUrl[r.pick(`/${k}`, { zone: "a" }) ?? ""] !== names[i]).length;
    check(differ === 0, `${health * 100} % local health: ${differ} answers differ from pick(key, { zone: "a" })`);
    check(!names.some((n) => n[0] === "a" && Number(n.slice(1)) < down), `${health * 100} %: a marked-down origin answered`);
  }
  r.free();
  return { ...result(), localShare: shares };
}

/**
 * With half of zone a down (70 % of its keys local), each of three keys sent 1,000 times is answered by one origin
 * every time.
 * @param {Env} env
 */
export async function noFlapping({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  const zoned = ZONE_ORIGINS.filter((n) => n[0] !== "x");
  const r = new Router({ strategy: "rendezvous", nodes: zoned.map((n) => ({ id: origins.urlOf[n], zone: n[0] })) });
  r.markDown(origins.urlOf.a0);
  r.markDown(origins.urlOf.a1);
  /** @type {Record<string, string[]>} */
  const seen = {};
  const keys = ["cart-1", "cart-2", "cart-3"];
  await timed(keys.length * 1000, 25, async (i) => {
    const k = keys[i % keys.length];
    const name = nameOf(await (await routedFetch(r, `http://edge.test/${k}`, { attempts: 1, zone: "a" })).text());
    const s = (seen[k] ??= []);
    if (!s.includes(name)) s.push(name);
  });
  for (const k of keys) check(seen[k]?.length === 1, `${k} was answered by ${JSON.stringify(seen[k])}`);
  r.free();
  return { ...result(), requestsPerKey: 1000, originsPerKey: keys.map((k) => seen[k]?.length) };
}

/**
 * Four primaries and two backups (priority 1): backups answer nothing while the primaries are healthy, 30 % with
 * two primaries down (1 − 1.4 × 0.5), everything with all four down, and nothing again once they are back.
 * @param {Env} env
 */
export async function backupsTakeTheSpill({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  const primaries = ["a0", "a1", "a2", "a3"];
  const r = new Router({
    strategy: "maglev",
    nodes: [...primaries.map((n) => ({ id: origins.urlOf[n] })), { id: origins.urlOf.x0, priority: 1 }, { id: origins.urlOf.x1, priority: 1 }],
  });
  const keys = Array.from({ length: 600 }, (_, i) => `doc-${i}`);
  const backupShare = async () => {
    const names = await Promise.all(
      keys.map(async (k) => nameOf(await (await routedFetch(r, `http://edge.test/${k}`, { attempts: 1 })).text())),
    );
    return names.filter((n) => n[0] === "x").length / keys.length;
  };
  /** @type {Record<string, number>} */
  const shares = {};
  for (const [label, down, want] of /** @type {const} */ ([["healthy", 0, 0], ["2 down", 2, 0.3], ["4 down", 4, 1]])) {
    for (let i = 0; i < down; i++) r.markDown(origins.urlOf[primaries[i]]);
    const got = await backupShare();
    shares[label] = got;
    check(want === 0 || want === 1 ? got === want : Math.abs(got - want) <= 0.06, `${label}: backups answered ${got}, model ${want}`);
  }
  for (const n of primaries) r.markUp(origins.urlOf[n]);
  const back = await backupShare();
  shares.recovered = back;
  check(back === 0, `primaries recovered: backups still answered ${back}`);
  r.free();
  return { ...result(), backupShare: shares };
}

/**
 * Slow start: three origins, then a fourth added with slowStartMs 1500 (floor 10 %). Requests in 250 ms windows:
 * the new origin's share in each window against f / (3 + f), f the ramp's mean factor over the window's requests.
 * @param {Env} env
 */
export async function slowStartRamp({ Router, routedFetch, origins }) {
  const { check, result } = recorder();
  const WINDOW = 1500;
  const r = new Router({ strategy: "random", slowStartMs: WINDOW, nodes: ["a0", "b0", "c0"].map((n) => ({ id: origins.urlOf[n] })) });
  const fresh = origins.urlOf.x0;
  r.add({ id: fresh });
  r.pick(); // the ramp begins at the first pick after the add
  const start = Date.now();
  /** @type {{ at: number, fresh: boolean }[]} */
  const seen = [];
  let i = 0;
  // Four requests at a time, so each window holds a few hundred (the share's standard error about 0.02).
  const sender = async () => {
    while (Date.now() - start < WINDOW + 500) {
      const at = Date.now() - start;
      const res = await routedFetch(r, `http://edge.test/s${i++}`, { attempts: 1 });
      seen.push({ at, fresh: nameOf(await res.text()) === "x0" });
    }
  };
  await Promise.all([sender(), sender(), sender(), sender()]);
  const factor = (/** @type {number} */ t) => (t >= WINDOW ? 1 : Math.max(0.1, t / WINDOW));
  /** @type {{ window: string, share: number, model: number, requests: number }[]} */
  const windows = [];
  const ramped = { fresh: 0, model: 0, n: 0 };
  for (let from = 0; from < WINDOW + 500; from += 250) {
    const w = seen.filter((s) => s.at >= from && s.at < from + 250);
    if (w.length < 100) continue;
    const share = w.filter((s) => s.fresh).length / w.length;
    const f = w.reduce((sum, s) => sum + factor(s.at), 0) / w.length;
    const model = f / (3 + f);
    windows.push({ window: `${from}-${from + 250} ms`, share: Math.round(share * 1000) / 1000, model: Math.round(model * 1000) / 1000, requests: w.length });
    // Four standard errors of a share of w.length draws (plus 0.02 for a window's clock): with eight windows in
    // three runtimes a tighter bound would fail now and then on chance alone. Without the ramp the first
    // window would take about 0.25 against 0.04 and miss this by far.
    const sigma = Math.sqrt((model * (1 - model)) / w.length);
    check(Math.abs(share - model) <= 4 * sigma + 0.02, `${from}-${from + 250} ms: the new origin answered ${share}, the ramp says ${model} (${w.length} requests)`);
    ramped.fresh += share * w.length;
    ramped.model += model * w.length;
    ramped.n += w.length;
  }
  check(windows.length >= 4, `only ${windows.length} windows had 100 requests`);
  // All windows together: the ramp's expected count of the new origin's answers, within four standard errors.
  const sd = Math.sqrt(ramped.model * (1 - ramped.model / ramped.n));
  check(Math.abs(ramped.fresh - ramped.model) <= 4 * sd + 0.01 * ramped.n, `the new origin answered ${Math.round(ramped.fresh)} of ${ramped.n}, the ramp says ${Math.round(ramped.model)}`);
  const ew = r.stats().find((s) => s.id === fresh)?.effectiveWeight;
  check(ew === 1, `after the window its effectiveWeight is ${ew}`);
  r.free();
  return { ...result(), windows };
}

export const ROUTER_SCENARIOS = { zoneSpillShares, noFlapping, backupsTakeTheSpill, slowStartRamp };
