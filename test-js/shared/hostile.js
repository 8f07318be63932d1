// The boundary under attack: random hostile values thrown at a Router through every method, run unchanged in
// Node, Deno, workerd and a page (a short run in `make test`, a long one in `make fuzz`). Values are typed-array
// subclasses that lie about their size, Proxies, getters and `toString`/`valueOf` hooks that call back into the
// Router (picking, adding, removing, ending leases), detached buffers, odd numbers and BigInts. Invariants after
// every operation:
//   - what is thrown is an EdgerouteError with a known code, or the caller's own error unchanged; never
//     ERR_INTERNAL, a RangeError or a TypeError of the engine's;
//   - the victim still maps every key as a Router rebuilt from its own nodes does (no state corrupted);
//   - a bystander Router no hostile value touches maps every key as it did at the start (one Router's bad input
//     never reaches another's memory);
//   - the victim's in-flight total equals the leases opened minus the `end()`s that returned true;
//   - wasm memory stays bounded.
// Returns { passed, failures, ops, thrown }.
//
// Type-checked against the package's own types (tsc --checkJs, test-js/types/tsconfig.shared.json). The hostile
// values are of any type on purpose (`pick` returns `any`): the Router's methods and what they return are still
// checked, the arguments the fuzzer throws at them are not.

import { mulberry32 } from "./prng.js";
import { recorder, detach, defined } from "./checks.js";

/**
 * @typedef {import("./checks.js").RouterClass} RouterClass
 * @typedef {import("./checks.js").ErrorClass} ErrorClass
 * @typedef {import("edgeroute").Lease} Lease
 */

/** Seeded, so a failing run can be replayed from its seed. */
const prng = mulberry32;

const CODES = new Set([
  "ERR_INVALID_OPTIONS", "ERR_UNKNOWN_OPTION", "ERR_UNKNOWN_FIELD", "ERR_INVALID_OPTION", "ERR_UNKNOWN_STRATEGY",
  "ERR_NO_NODES", "ERR_INVALID_ID", "ERR_DUPLICATE_ID", "ERR_INVALID_WEIGHT", "ERR_UNKNOWN_NODE", "ERR_INVALID_KEY",
  "ERR_INVALID_COUNT", "ERR_INVALID_REPORT", "ERR_TOO_LARGE", "ERR_FREED", "ERR_REENTRANT",
]);

/** What the caller's own hooks throw: it must come out unchanged. */
class Mine extends Error {}

/** @param {RouterClass} Router @param {ErrorClass} EdgerouteError @param {{ seed?: number, ops?: number }} [options] */
export function hostileChecks(Router, EdgerouteError, { seed = 1, ops = 2000 } = {}) {
  const { check, result } = recorder();
  const rand = prng(seed);
  /** @param {number} n */
  const int = (n) => Math.floor(rand() * n);
  /** One of `xs`; hostile values are of any type on purpose. @type {(xs: readonly any[]) => any} */
  const pick = (xs) => xs[int(xs.length)];
  const START = [{ id: "a", weight: 2 }, { id: "b" }, { id: "c" }, { id: "d", weight: 3 }];
  const KEYS = Array.from({ length: 64 }, (_, i) => `probe-${i}`);
  const bystander = new Router({ strategy: "maglev", nodes: START, seed: 9, tableSize: 1009 });
  const bystanderMap = KEYS.map((k) => bystander.pick(k));
  const victim = new Router({ strategy: "ring", nodes: START, seed: 5, vnodes: 40, health: false });
  // The leases we hold that the Router counts in flight: acquired, not yet ended with true, node not removed.
  /** @type {Set<Lease>} */
  const open = new Set();
  /** @type {Lease[]} */
  let leases = [];
  /** @param {Lease} l @param {any} [o] a hostile outcome */
  const endLease = (l, o) => {
    if (l.end(o)) open.delete(l);
  };
  let thrown = 0;
  let memory = Router.wasmMemoryBytes();
  // Added ids are never reused, so a lease never outlives its node into a new node of the same id.
  let serial = 0;

  // A side effect a hook may run mid-call: it must either work or be refused with a code.
  const sideEffects = [
    () => victim.pick(`side-${int(100)}`),
    () => victim.add({ id: `s${serial++}`, weight: 1 + int(3) }),
    () => victim.remove(pick(victim.nodes())?.id ?? "none"),
    () => victim.setWeight(pick(victim.nodes())?.id ?? "a", 1 + int(4)),
    () => victim.setNodes([...victim.nodes().slice(int(3)), { id: `s${serial++}` }]),
    () => leases.length && endLease(defined(leases.pop()), { ok: rand() < 0.5 }),
    () => victim.pickMany(["x", "y"]),
    () => bystander.stats(),
    () => victim.metrics(),
    () => {
      throw new Mine("a hook of the caller's threw");
    },
  ];
  const effect = () => {
    try {
      pick(sideEffects)();
    } catch (e) {
      if (e instanceof Mine) throw e;
      if (!(e instanceof EdgerouteError)) throw e;
    }
  };

  /** @param {number} n */
  const bytes = (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  class Liar extends Uint8Array {
    get length() {
      return pick([0, 1, 2 ** 31, -1]);
    }
    get byteLength() {
      return 1;
    }
    get byteOffset() {
      return 12345;
    }
    get buffer() {
      return new ArrayBuffer(1);
    }
    subarray() {
      return new Uint8Array(0);
    }
  }
  const keyLike = [
    () => `k${int(1000)}`,
    () => "\uD800x",
    () => "é漢🙂".repeat(1 + int(40)),
    () => bytes(int(300)),
    () => new Liar(int(70000)).fill(int(256)),
    () => bytes(64).subarray(int(8), 8 + int(40)),
    () => {
      const k = bytes(32);
      detach(k.buffer);
      return k;
    },
    () => new Proxy(bytes(8), {}),
    () => new Proxy(bytes(8), { get: (t, p) => (effect(), Reflect.get(t, p)) }),
    () => ({ toString: () => (effect(), "k") }),
    () => new Uint16Array(4),
    () => new DataView(new ArrayBuffer(4)),
    () => pick([undefined, null, 7, -0, NaN, 10n, true, Symbol("k"), () => "k", [], {}]),
  ];
  const value = () =>
    pick([
      () => pick([1, 2, 0, -1, 1e-7, 1e-6, 1e6, 1e6 + 1, NaN, Infinity, -0, 5e-324, 3n, 10n ** 30n, null, undefined]),
      () => `s${int(4)}`,
      () => ({ valueOf: () => (effect(), 2) }),
      () => new Proxy({}, { get: () => (effect(), 1), ownKeys: () => (effect(), []) }),
      () => {
        const o = {};
        Object.defineProperty(o, "x", { enumerable: true, configurable: true, get: () => (effect(), 1) });
        return o;
      },
    ])();
  /** @param {Record<string, unknown>} fields @returns {any} */
  const hookObject = (fields) => {
    /** @type {Record<string, unknown>} */
    const o = {};
    for (const [k, v] of Object.entries(fields)) {
      if (rand() < 0.3) Object.defineProperty(o, k, { enumerable: true, configurable: true, get: () => (effect(), v) });
      else o[k] = v;
    }
    if (rand() < 0.1) o[pick(["extra", "__proto__", "constructor"])] = value();
    return rand() < 0.2 ? new Proxy(o, { get: (t, p) => (rand() < 0.5 && effect(), Reflect.get(t, p)) }) : o;
  };
  const idLike = () => pick([() => pick(victim.nodes())?.id ?? "a", () => `n${int(serial + 1)}`, value])();
  const keyArray = () => {
    const ks = Array.from({ length: int(12) }, () => (rand() < 0.7 ? `m${int(50)}` : pick(keyLike)()));
    if (rand() < 0.3) return new Proxy(ks, { get: (t, p) => (rand() < 0.3 && effect(), Reflect.get(t, p)) });
    return ks;
  };

  // A zone as pick options and node fields see it: a real zone, one no node has, a hostile value, or hooked options.
  const zoneLike = () => pick([() => `z${int(3)}`, () => "\uD800", value, () => undefined])();
  const pickOptions = () => (rand() < 0.5 ? undefined : rand() < 0.1 ? value() : hookObject({ zone: zoneLike() }));
  const opsList = [
    () => victim.pick(pick(keyLike)()),
    () => victim.pick(pick(keyLike)(), pickOptions()),
    () => victim.pickN(pick(keyLike)(), pick([1, 2, 5, 0, -1, 2.5, NaN, 3n, "2", 2 ** 40, value()])),
    () => victim.pickN(pick(keyLike)(), pick([1, 3, 8]), pickOptions()),
    () => victim.pickMany(keyArray()),
    () => victim.pickMany(keyArray(), pickOptions()),
    () => {
      const l = victim.acquire(pick(keyLike)(), pickOptions());
      if (l) {
        open.add(l);
        leases.push(l);
      }
    },
    // A node leaves and a zoned one joins: a pool that grows on average crashes Node 20's V8 (docs/reliability.md),
    // and a list read before a hook ran could add back, as a new node of the same id, one the hook removed.
    () => {
      victim.remove(pick(victim.nodes())?.id ?? "none");
      victim.add(hookObject({ id: `n${serial++}`, zone: zoneLike(), priority: pick([0, 1, 2, 256, -1, value()]) }));
    },
    () => victim.keyPosition(pick(keyLike)()),
    () => {
      const l = victim.acquire(pick(keyLike)());
      if (l) {
        open.add(l);
        leases.push(l);
      }
    },
    () => {
      const l = pick(leases);
      if (!l) return;
      const o = rand() < 0.5 ? undefined : hookObject({ ok: rand() < 0.7, latencyMs: pick([1, 10, -1, NaN]) });
      if (rand() < 0.3 && o) Object.defineProperty(o, "ok", { enumerable: true, get: () => (endLease(l), true) });
      endLease(l, o);
      leases = leases.filter((x) => x !== l);
    },
    () => victim.add(hookObject({ id: pick([`n${serial++}`, "", "x".repeat(300), "\uDC00"]), weight: value() })),
    () => victim.remove(idLike()),
    () => victim.setWeight(idLike(), value()),
    () => victim.setNodes([...victim.nodes().slice(int(3)), hookObject({ id: pick([`n${serial++}`, "", "\uDC00"]), weight: value() })]),
    () => victim.report(idLike(), hookObject({ ok: rand() < 0.5, latencyMs: value() })),
    () => victim.markDown(idLike(), pick([undefined, 10, -1, NaN, value()])),
    () => victim.markUp(idLike()),
    () => new Router(hookObject({ strategy: pick(["ring", "maglev", "random", "nope"]), nodes: [hookObject({ id: "z", weight: value() })], seed: value() })).free(),
    () => victim.metrics(hookObject({ prefix: pick(["lb", "1x", "", value()]), labels: hookObject({ pool: value(), [pick(["colo", "node", "__x", "a b"])]: "v" }), format: pick(["prometheus", "openmetrics", "json"]) })),
    () => victim.otlpMetrics(hookObject({ labels: hookObject({ pool: `p${int(3)}` }), resource: hookObject({ "service.name": value() }) })),
    () => Router.fromJSON(hookObject({ format: "edgeroute/1", options: hookObject({ strategy: "ring", nodes: [{ id: "q" }] }), health: [hookObject({ id: "q", ejectedUntil: value() })] })).free(),
  ];

  // A Router rebuilt from the victim's options, nodes and marks (its snapshot); an emptied victim restores empty.
  const fresh = () => Router.fromJSON(JSON.stringify(victim));
  for (let i = 0; i < ops; i++) {
    const op = int(opsList.length);
    try {
      opsList[op]();
    } catch (/** @type {any} */ e) {
      thrown++;
      const ok = e instanceof Mine || (e instanceof EdgerouteError && CODES.has(e.code));
      if (!ok) {
        check(false, `seed ${seed} op ${i} (#${op}): threw ${e?.name} ${e?.code ?? ""} ${e?.message}`);
        break;
      }
    }
    // A removed node's in-flight count goes with it (its leases then end with false).
    const ids = new Set(victim.nodes().map((n) => n.id));
    for (const l of open) if (!ids.has(l.id)) open.delete(l);
    // A node can also leave and join again under its id within one op (setNodes with a list read before a hook
    // removed it): the new node counts nothing in flight and the old leases end with false. Where the counts
    // disagree, end that node's leases: exactly as many as it counts in flight must end with true, leaving 0.
    const perNode = new Map(victim.stats().map((n) => [n.id, n.inflight]));
    /** @type {Map<string, import("edgeroute").Lease[]>} */
    const leasesOf = new Map();
    for (const l of open) leasesOf.set(l.id, [...(leasesOf.get(l.id) ?? []), l]);
    for (const [id, ls] of leasesOf) {
      const before = perNode.get(id) ?? 0;
      if (before === ls.length) continue;
      const live = ls.filter((l) => l.end()).length;
      ls.forEach((l) => open.delete(l));
      const after = victim.stats().find((n) => n.id === id)?.inflight ?? 0;
      check(live === before && after === 0, `seed ${seed} op ${i} (#${op}): node ${id} counted ${before} in flight for ${ls.length} open leases, of which ${live} were live; ${after} left`);
    }
    const inflight = victim.stats().reduce((s, n) => s + n.inflight, 0);
    check(inflight === open.size, `seed ${seed} op ${i} (#${op}): ${inflight} in flight, but ${open.size} leases are open`);
    if (inflight !== open.size) break;
    if (i % 16 === 0 || i === ops - 1) {
      // One instant for the whole comparison: a timed mark (markDown(id, 10)) ending between the victim's pick of
      // a key and the rebuild's would make them differ for a reason that is not a bug.
      const realNow = Date.now;
      const t = realNow();
      Date.now = () => t;
      let same;
      try {
        const ref = fresh();
        same = KEYS.every((k) => victim.pick(k) === ref.pick(k));
        ref.free();
      } finally {
        Date.now = realNow;
      }
      check(same, `seed ${seed} op ${i} (#${op}): the victim no longer maps keys as a rebuild of its nodes does`);
      const still = KEYS.every((k, j) => bystander.pick(k) === bystanderMap[j]);
      check(still, `seed ${seed} op ${i} (#${op}): the bystander Router's mapping changed`);
      if (!same || !still) break;
      memory = Math.max(memory, Router.wasmMemoryBytes());
    }
  }
  check(memory < 256 * 1024 * 1024, `wasm memory grew to ${memory} bytes`);
  victim.free();
  bystander.free();
  return result({ ops, thrown });
}

/**
 * The re-entrance findings, one by one: a lease ended from its own outcome's getter, and pickMany with an
 * element getter that frees the Router or changes a key's type between reads.
 */
/** @param {RouterClass} Router @param {ErrorClass} EdgerouteError */
export function reentranceChecks(Router, EdgerouteError) {
  const { check, result } = recorder();
  const nodes = [{ id: "a" }, { id: "b" }, { id: "c" }];
  const r = new Router({ strategy: "least-outstanding", nodes, seed: 1 });
  const lease = defined(r.acquire());
  /** @type {boolean | undefined} */
  let inner;
  const first = lease.end({
    get ok() {
      inner = lease.end();
      return true;
    },
  });
  const total = r.stats().reduce((s, n) => s + n.inflight, 0);
  check(total === 0, `a lease ended from its outcome's getter: ${total} in flight (the count went below zero or stayed)`);
  check(inner === true && first === false, `the inner end() counts once (inner ${inner}, outer ${first})`);
  check(lease.end() === false, "a third end() is a no-op");
  const l2 = defined(r.acquire());
  /** @type {any} */
  let threw;
  try {
    // @ts-expect-error a bad outcome on purpose: the types reject it too
    l2.end({ ok: "yes" });
  } catch (e) {
    threw = e;
  }
  check(threw instanceof EdgerouteError && threw.code === "ERR_INVALID_REPORT", "a bad outcome throws");
  check(l2.end({ ok: true }) === true, "and leaves the lease open to end properly");
  check(r.stats().reduce((s, n) => s + n.inflight, 0) === 0, "every lease released");

  const q = new Router({ strategy: "ring", nodes, seed: 3 });
  /** @type {any} */
  let err;
  try {
    q.pickMany(new Proxy(["k1", "k2"], { get: (t, k) => (k === "1" && q.free(), /** @type {any} */ (t)[k]) }));
  } catch (e) {
    err = e;
  }
  check(err instanceof EdgerouteError && err.code === "ERR_FREED", `pickMany after a getter freed the Router: ${err?.code} ${err?.message}`);
  const s = new Router({ strategy: "ring", nodes, seed: 3 });
  let reads = 0;
  const flip = new Proxy(["k1"], { get: (t, k) => (k === "0" ? (reads++ ? 42 : "k1") : /** @type {any} */ (t)[k]) });
  const got = s.pickMany(flip);
  check(reads === 1 && got[0] === s.pick("k1"), `each element is read once (${reads} reads) and routed as read (${got[0]})`);

  // A Date.now that returns NaN, on a Router that needs the clock (a node is ejected). NaN is how JS tells a pick
  // export "no clock read" (js/protocol.js NEED_CLOCK): pick asked for the clock forever, and pickMany read its
  // key lengths back as answers. The replacement throws after 1000 calls, so a loop fails here instead of hanging.
  const h = new Router({ strategy: "ring", nodes, seed: 3, health: { consecutiveFailures: 1 } });
  h.report("a", { ok: false });
  const keys = ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"];
  const realNow = Date.now;
  let calls = 0;
  Date.now = () => {
    if (++calls > 1000) throw new Error("Date.now was called 1000 times: a pick loops asking for the clock");
    return NaN;
  };
  /** @type {(string | undefined)[] | undefined} */
  let one;
  /** @type {(string | undefined)[] | undefined} */
  let many;
  /** @type {unknown} */
  let nanErr;
  try {
    one = keys.map((k) => h.pick(k));
    many = h.pickMany(keys);
  } catch (e) {
    nanErr = e;
  } finally {
    Date.now = realNow;
  }
  check(nanErr === undefined, `a Date.now returning NaN: ${nanErr}`);
  check(
    one !== undefined && one.every((id) => id === "b" || id === "c") && JSON.stringify(many) === JSON.stringify(one),
    `a Date.now returning NaN: pick gives ${one}, pickMany ${many} (same ids, never the ejected "a")`,
  );
  r.free();
  s.free();
  h.free();
  return result();
}

/**
 * A Router called with the JS stack nearly exhausted (deep recursion in the caller): the engine's RangeError may
 * cut the call short inside wasm. Such a Router is retired with a coded ERR_INTERNAL (never wasm-bindgen's
 * uncoded "recursive use of an object"), `free()` on it is safe, and every other Router keeps routing.
 */
/** @param {RouterClass} Router @param {ErrorClass} EdgerouteError @param {number} [rounds] */
export function stackExhaustionChecks(Router, EdgerouteError, rounds = 20) {
  const { check, result } = recorder();
  const nodes = [{ id: "a" }, { id: "b" }, { id: "c" }];
  const bystander = new Router({ strategy: "maglev", nodes, seed: 2, tableSize: 1009 });
  const keys = Array.from({ length: 32 }, (_, i) => `b${i}`);
  const map = keys.map((k) => bystander.pick(k));
  const seen = { ok: 0, refused: 0, retired: 0, rangeError: 0 };
  /** @type {((v: import("edgeroute").Router) => unknown)[]} */
  const calls = [
    (v) => v.nodes(),
    (v) => v.stats(),
    (v) => v.metrics(),
    (v) => v.setWeight("a", -1),
    (v) => v.pickN("k", 2),
    (v) => v.add({ id: "a" }),
  ];
  for (let t = 0; t < rounds; t++) {
    const victim = new Router({ strategy: "ring", nodes, seed: 3, health: false });
    const use = calls[t % calls.length];
    // Every frame of a recursion that ran out of stack calls the Router on its way back up, so some call meets
    // the limit at each point of its path, wasm and the JS it calls included.
    /** @param {number} n */
    const deep = (n) => {
      try {
        deep(n + 1);
      } catch {}
      try {
        use(victim);
        seen.ok++;
      } catch (/** @type {any} */ e) {
        if (e instanceof EdgerouteError && e.code === "ERR_INTERNAL") seen.retired++;
        else if (e instanceof EdgerouteError) seen.refused++;
        else if (e instanceof RangeError) seen.rangeError++;
        else check(false, `round ${t}: ${e?.name} ${e?.code ?? ""} ${e?.message}`);
      }
    };
    deep(0);
    /** @type {any} */
    let after;
    try {
      after = victim.pick("k");
    } catch (e) {
      after = e;
    }
    check(typeof after === "string" || (after instanceof EdgerouteError && after.code === "ERR_INTERNAL"), `round ${t}: afterwards the victim gave ${after?.name} ${after?.code ?? ""} ${after?.message ?? after}`);
    try {
      victim.free();
    } catch (/** @type {any} */ e) {
      check(false, `round ${t}: free() threw ${e?.message}`);
    }
  }
  check(keys.every((k, i) => bystander.pick(k) === map[i]), "the bystander's mapping changed");
  const fresh = new Router({ strategy: "ring", nodes, seed: 3 });
  check(typeof fresh.pick("k") === "string", "a new Router does not route");
  fresh.free();
  bystander.free();
  return result(seen);
}
