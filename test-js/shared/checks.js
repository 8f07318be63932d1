// Runtime-agnostic checks of the packed package, run unchanged in Node (ESM and CJS), Deno, workerd and a page.
// Each returns { passed, failures: [message...] }; the runtime's harness asserts that failures is empty.
//
// Type-checked against the package's own types (tsc --checkJs, test-js/types/tsconfig.shared.json). The tables of
// bad inputs call the API wrongly on purpose: each call the types reject is marked `@ts-expect-error`, so tsc
// also fails if the types stop rejecting it.

/**
 * @typedef {typeof import("edgeroute").Router} RouterClass
 * @typedef {import("edgeroute").Router} RouterInstance
 * @typedef {typeof import("edgeroute").EdgerouteError} ErrorClass
 * @typedef {import("edgeroute").ErrorCode} ErrorCode
 * @typedef {import("edgeroute").Key} Key
 * @typedef {{ passed: number, failures: string[] }} Result
 */

export function recorder() {
  /** @type {string[]} */
  const failures = [];
  let passed = 0;
  /** @type {(cond: unknown, msg: string) => void} */
  const check = (cond, msg) => {
    if (cond) passed++;
    else failures.push(msg);
  };
  /** @type {<T extends object = {}>(extra?: T) => Result & T} */
  const result = (extra) => ({ passed, failures, ...(/** @type {any} */ (extra)) });
  return { check, result };
}

/** A golden key: a string, or bytes as `{ hex }`. @param {string | { hex: string }} k @returns {Key} */
function keyOf(k) {
  if (typeof k === "string") return k;
  const hex = k.hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @type {(a: unknown, b: unknown) => boolean} */
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Type-only: tells tsc that a value the test knows is there (a lease, a node's stats) is not undefined or null.
 * It returns `x` unchanged, so a wrong guess still fails at run time as before.
 * @template T @param {T} x @returns {NonNullable<T>}
 */
export const defined = (x) => /** @type {NonNullable<T>} */ (x);

/**
 * @typedef {{ op: "add", node: import("edgeroute").NodeSpec } | { op: "remove", id: string } | { op: "setWeight", id: string, weight: number }} GoldenOp
 * @typedef {{ name: string, options: import("edgeroute").RouterOptions, ops: GoldenOp[], picks: [string | { hex: string }, string][], pickN: [string | { hex: string }, number, string[]][] }} GoldenCase
 */

/** The golden vectors of tests/golden/vectors.json. @param {RouterClass} Router @param {{ cases: GoldenCase[] }} golden */
export function goldenChecks(Router, golden) {
  const { check, result } = recorder();
  for (const c of golden.cases) {
    const r = new Router(c.options);
    for (const op of c.ops) {
      if (op.op === "add") r.add(op.node);
      else if (op.op === "remove") check(r.remove(op.id) === true, `${c.name}: remove ${op.id}`);
      else if (op.op === "setWeight") r.setWeight(op.id, op.weight);
    }
    for (const [k, want] of c.picks) {
      const got = r.pick(keyOf(k));
      check(got === want, `${c.name}: pick(${JSON.stringify(k)}) = ${got}, golden ${want}`);
    }
    for (const [k, n, want] of c.pickN) {
      const got = r.pickN(keyOf(k), n);
      check(same(got, want), `${c.name}: pickN(${JSON.stringify(k)}, ${n}) = ${got}, golden ${want}`);
    }
    r.free();
  }
  // A string key reaches wasm by a loop (short ASCII keys) or by TextEncoder.encodeInto (the rest, and the
  // fallback when the loop meets a non-ASCII unit): every way must pick what the key's UTF-8 bytes pick.
  const enc = new TextEncoder();
  const r = new Router({ strategy: "ring", nodes: Array.from({ length: 40 }, (_, i) => ({ id: `n${i}` })), seed: 5 });
  const strings = [];
  for (let len = 1; len <= 80; len++) {
    const base = Array.from({ length: len }, (_, i) => String.fromCharCode(33 + ((i * 7 + len) % 94))).join("");
    strings.push(base);
    for (const odd of ["\u007f", "\u0080", "é", "\u0800", "東", "\uD83D\uDE00"]) {
      for (const at of new Set([0, len >> 1, len - 1])) strings.push(base.slice(0, at) + odd + base.slice(at + 1));
    }
  }
  const many = r.pickMany(strings);
  strings.forEach((k, i) => {
    const bytes = enc.encode(k);
    const want = r.pick(bytes);
    check(r.pick(k) === want && many[i] === want, `string key ${JSON.stringify(k)}: pick ${r.pick(k)}, pickMany ${many[i]}, its UTF-8 bytes ${want}`);
    if (i % 7 === 0) check(same(r.pickN(k, 3), r.pickN(bytes, 3)), `string key ${JSON.stringify(k)}: pickN differs from its bytes'`);
  });
  // Short keys are checked for lone surrogates by the loop that encodes them, long ones by isWellFormed: at every
  // length and place, a lone lead (at the end, or before a non-trail), a lone trail, or a reversed pair must be
  // refused by pick and acquire as by pickN, and leave the Router as it was (no pick counted, nothing in flight).
  const before = JSON.stringify(r.stats());
  for (let len = 1; len <= 80; len++) {
    const base = "k".repeat(len);
    for (const bad of ["\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\uD800x", "\uD83D\uD83D", "\uDE00\uD83D", "é\uDC00"]) {
      for (const at of new Set([0, len >> 1, len])) {
        const k = (base.slice(0, at) + bad + base.slice(at)).slice(0, Math.max(len, bad.length));
        if (k.isWellFormed()) continue;
        /** @type {[string, () => unknown][]} */
        const calls = [["pick", () => r.pick(k)], ["acquire", () => r.acquire(k)], ["pickN", () => r.pickN(k, 2)]];
        for (const [name, call] of calls) {
          let code;
          try {
            call();
          } catch (e) {
            code = /** @type {{ code?: string }} */ (e).code;
          }
          check(code === "ERR_INVALID_KEY", `${name}(${JSON.stringify(k)}): want ERR_INVALID_KEY, got ${code}`);
        }
      }
    }
  }
  check(JSON.stringify(r.stats()) === before, "keys with lone surrogates changed the Router's counts");
  r.free();
  return result();
}

const NODES = [{ id: "a", weight: 2 }, { id: "b" }, { id: "c" }];
const lone = "\uD800";

/** A Uint8Array subclass whose `length` (and `byteLength`) lie: wasm-bindgen sized its copy by `length`. */
class LyingBytes extends Uint8Array {
  get length() {
    return 1;
  }
  get byteLength() {
    return 1;
  }
}

/** Detaches `buf` (as a transfer to a worker does) with what the runtime has, and checks that it did. @param {ArrayBuffer} buf */
export function detach(buf) {
  if (typeof buf.transfer === "function") buf.transfer();
  else structuredClone(buf, { transfer: [buf] });
  if (buf.byteLength !== 0) throw new Error("could not detach an ArrayBuffer in this runtime");
  return buf;
}
const detachedKey = () => {
  const key = new Uint8Array(new ArrayBuffer(16), 4, 8);
  detach(key.buffer);
  return key;
};

/**
 * Runs `f` with `Date.now` replaced by `now`, then puts it back. `now` may return anything: a replaced Date.now
 * is the caller's code, and the Router must cope with what it returns.
 * @template T @param {() => unknown} now @param {() => T} f @returns {T}
 */
function withDateNow(now, f) {
  const orig = Date.now;
  Date.now = /** @type {() => number} */ (now);
  try {
    return f();
  } finally {
    Date.now = orig;
  }
}

/**
 * Bad inputs: [name, action(Router, r), code]. Each must throw an EdgerouteError with that code, and the shared
 * Router r must keep working afterwards.
 * @type {[name: string, action: (R: RouterClass, r: RouterInstance) => unknown, code: ErrorCode, varies?: "varies"][]}
 */
export const BAD_INPUTS = [
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["no options", (R) => new R(), "ERR_INVALID_OPTIONS"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["options is a string", (R) => new R("ring"), "ERR_INVALID_OPTIONS"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["options is null", (R) => new R(null), "ERR_INVALID_OPTIONS"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["strategy missing", (R) => new R({ nodes: NODES }), "ERR_INVALID_OPTIONS"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["unknown strategy", (R) => new R({ strategy: "fastest", nodes: NODES }), "ERR_UNKNOWN_STRATEGY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["strategy not a string", (R) => new R({ strategy: 1, nodes: NODES }), "ERR_INVALID_OPTION"],
  ["hash with a fractional weight", (R) => new R({ strategy: "hash", nodes: [{ id: "a", weight: 1.5 }] }), "ERR_INVALID_WEIGHT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["keyPosition of a number", (R) => new R({ strategy: "ring", nodes: NODES }).keyPosition(7), "ERR_INVALID_KEY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["unknown compat profile", (R) => new R({ strategy: "rendezvous", nodes: NODES, compat: "memcached" }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["compat not a string", (R) => new R({ strategy: "rendezvous", nodes: NODES, compat: true }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["compat redis with ring", (R) => new R({ strategy: "ring", nodes: NODES, compat: "redis" }), "ERR_INVALID_OPTION"],
  ["compat redis with a secret", (R) => new R({ strategy: "rendezvous", nodes: NODES, compat: "redis", secret: "000102030405060708090a0b0c0d0e0f" }), "ERR_INVALID_OPTION"],
  ["compat redis seed above 2^32-1", (R) => new R({ strategy: "rendezvous", nodes: NODES, compat: "redis", seed: 2 ** 32 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["compat nginx with maglev", (R) => new R({ strategy: "maglev", nodes: NODES, compat: "nginx" }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["compat libketama with hash", (R) => new R({ strategy: "hash", nodes: [{ id: "a:1" }], compat: "libketama" }), "ERR_INVALID_OPTION"],
  ["compat nginx with a seed", (R) => new R({ strategy: "ring", nodes: NODES, compat: "nginx", seed: 1 }), "ERR_INVALID_OPTION"],
  ["compat haproxy with vnodes", (R) => new R({ strategy: "ring", nodes: NODES, compat: "haproxy", vnodes: 100 }), "ERR_INVALID_OPTION"],
  ["compat twemproxy with boundedLoad", (R) => new R({ strategy: "ring", nodes: [{ id: "a:1" }], compat: "twemproxy", boundedLoad: true }), "ERR_INVALID_OPTION"],
  ["hash without compat", (R) => new R({ strategy: "ring", nodes: NODES, hash: "md5" }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["hash with compat nginx", (R) => new R({ strategy: "ring", nodes: NODES, compat: "nginx", hash: "crc32" }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["unknown twemproxy hash", (R) => new R({ strategy: "ring", nodes: [{ id: "a:1" }], compat: "twemproxy", hash: "sha1" }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["haproxy hash not a string", (R) => new R({ strategy: "ring", nodes: NODES, compat: "haproxy", hash: 1 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["avalanche without haproxy", (R) => new R({ strategy: "ring", nodes: [{ id: "a:1" }], compat: "twemproxy", avalanche: true }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["avalanche not a boolean", (R) => new R({ strategy: "ring", nodes: NODES, compat: "haproxy", avalanche: "yes" }), "ERR_INVALID_OPTION"],
  ["name without twemproxy", (R) => new R({ strategy: "ring", nodes: [{ id: "a", name: "x" }] }), "ERR_UNKNOWN_FIELD"],
  ["serverId without haproxy", (R) => new R({ strategy: "ring", compat: "nginx", nodes: [{ id: "a", serverId: 1 }] }), "ERR_UNKNOWN_FIELD"],
  ["twemproxy name with a space", (R) => new R({ strategy: "ring", compat: "twemproxy", nodes: [{ id: "a:1", name: "x y" }] }), "ERR_INVALID_ID"],
  ["serverId 0", (R) => new R({ strategy: "ring", compat: "haproxy", nodes: [{ id: "a", serverId: 0 }] }), "ERR_INVALID_ID"],
  ["serverId fractional", (R) => new R({ strategy: "ring", compat: "haproxy", nodes: [{ id: "a", serverId: 1.5 }] }), "ERR_INVALID_ID"],
  ["serverId twice", (R) => new R({ strategy: "ring", compat: "haproxy", nodes: [{ id: "a", serverId: 4 }, { id: "b", serverId: 4 }] }), "ERR_DUPLICATE_ID"],
  ["twemproxy id without a port", (R) => new R({ strategy: "ring", compat: "twemproxy", nodes: [{ id: "cache-a" }] }), "ERR_INVALID_ID"],
  ["twemproxy port 65536", (R) => new R({ strategy: "hash", compat: "twemproxy", nodes: [{ id: "h:65536" }] }), "ERR_INVALID_ID"],
  ["twemproxy duplicate identity", (R) => new R({ strategy: "ring", compat: "twemproxy", nodes: [{ id: "h:11211" }, { id: "/s", name: "h" }] }), "ERR_DUPLICATE_ID"],
  ["haproxy weight 257", (R) => new R({ strategy: "ring", compat: "haproxy", nodes: [{ id: "a", weight: 257 }] }), "ERR_INVALID_WEIGHT"],
  ["nginx fractional weight", (R) => new R({ strategy: "ring", compat: "nginx", nodes: [{ id: "a", weight: 1.5 }] }), "ERR_INVALID_WEIGHT"],
  ["haproxy add with serverId taken", (R) => new R({ strategy: "hash", compat: "haproxy", nodes: [{ id: "a", serverId: 2 }] }).add({ id: "b", serverId: 2 }), "ERR_DUPLICATE_ID"],
  ["twemproxy setWeight fractional", (R) => new R({ strategy: "ring", compat: "twemproxy", nodes: [{ id: "a:1" }] }).setWeight("a:1", 0.5), "ERR_INVALID_WEIGHT"],
  ["libketama fractional weight", (R) => new R({ strategy: "ring", compat: "libketama", nodes: [{ id: "10.0.0.1:11211", weight: 1.5 }] }), "ERR_INVALID_WEIGHT"],
  ["twemproxy modula add fractional", (R) => new R({ strategy: "hash", compat: "twemproxy", nodes: [{ id: "a:1" }] }).add({ id: "b:1", weight: 2.5 }), "ERR_INVALID_WEIGHT"],
  ["nginx hash fractional weight", (R) => new R({ strategy: "hash", compat: "nginx", nodes: [{ id: "a", weight: 1.5 }] }), "ERR_INVALID_WEIGHT"],
  ["haproxy fractional weight", (R) => new R({ strategy: "ring", compat: "haproxy", nodes: [{ id: "a", weight: 1.5 }] }), "ERR_INVALID_WEIGHT"],
  ["haproxy map-based fractional weight", (R) => new R({ strategy: "hash", compat: "haproxy", nodes: [{ id: "a" }] }).setWeight("a", 2.5), "ERR_INVALID_WEIGHT"],
  ["nginx ring too many points", (R) => new R({ strategy: "ring", compat: "nginx", nodes: [{ id: "a", weight: 200000 }] }), "ERR_TOO_LARGE"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["compat squid with ring", (R) => new R({ strategy: "ring", nodes: NODES, compat: "squid" }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["compat caddy with a seed", (R) => new R({ strategy: "rendezvous", nodes: NODES, compat: "caddy", seed: 1 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["hash with compat squid", (R) => new R({ strategy: "rendezvous", nodes: NODES, compat: "squid", hash: "md5" }), "ERR_UNKNOWN_OPTION"],
  ["caddy weight 2", (R) => new R({ strategy: "rendezvous", compat: "caddy", nodes: [{ id: "a:1" }, { id: "b:1", weight: 2 }] }), "ERR_INVALID_WEIGHT"],
  ["caddy setWeight", (R) => new R({ strategy: "rendezvous", compat: "caddy", nodes: [{ id: "a:1" }] }).setWeight("a:1", 3), "ERR_INVALID_WEIGHT"],
  ["name with caddy", (R) => new R({ strategy: "rendezvous", compat: "caddy", nodes: [{ id: "a:1", name: "x" }] }), "ERR_UNKNOWN_FIELD"],
  ["squid fractional weight", (R) => new R({ strategy: "rendezvous", compat: "squid", nodes: [{ id: "a", weight: 1.5 }] }), "ERR_INVALID_WEIGHT"],
  ["squid weights over 2^31-1 in all", (R) => new R({ strategy: "rendezvous", compat: "squid", nodes: Array.from({ length: 2148 }, (_, i) => ({ id: `p${i}`, weight: 1e6 })) }), "ERR_INVALID_WEIGHT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["compat varnish with rendezvous", (R) => new R({ strategy: "rendezvous", nodes: NODES, compat: "varnish" }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["unknown varnish hash", (R) => new R({ strategy: "ring", nodes: NODES, compat: "varnish", hash: "blob" }), "ERR_INVALID_OPTION"],
  ["varnish weight under 1", (R) => new R({ strategy: "ring", compat: "varnish", nodes: [{ id: "b0", weight: 0.5 }] }), "ERR_INVALID_WEIGHT"],
  ["compat varnish with vnodes", (R) => new R({ strategy: "ring", nodes: NODES, compat: "varnish", vnodes: 67 }), "ERR_INVALID_OPTION"],
  ["varnish replicas 0", (R) => new R({ strategy: "ring", nodes: NODES, compat: "varnish", replicas: 0 }), "ERR_INVALID_OPTION"],
  ["varnish replicas 2.5", (R) => new R({ strategy: "ring", nodes: NODES, compat: "varnish", replicas: 2.5 }), "ERR_INVALID_OPTION"],
  ["varnish replicas above 2^24", (R) => new R({ strategy: "ring", nodes: NODES, compat: "varnish", replicas: 16777217 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["varnish replicas as a string", (R) => new R({ strategy: "ring", nodes: NODES, compat: "varnish", replicas: "67" }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["replicas with the varnish hash director", (R) => new R({ strategy: "hash", nodes: NODES, compat: "varnish", replicas: 67 }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["replicas with compat envoy", (R) => new R({ strategy: "ring", nodes: NODES, compat: "envoy", replicas: 67 }), "ERR_UNKNOWN_OPTION"],
  // The types cannot reject this one: a "ring" member of RouterOptions (VarnishOptions) has replicas.
  ["replicas without compat", (R) => new R({ strategy: "ring", nodes: NODES, replicas: 67 }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["hash with the varnish hash director", (R) => new R({ strategy: "hash", nodes: NODES, compat: "varnish", hash: "url" }), "ERR_UNKNOWN_OPTION"],
  ["squid name given twice", (R) => new R({ strategy: "rendezvous", compat: "squid", nodes: [{ id: "cache-a:3128" }, { id: "b", name: "CACHE-A" }] }), "ERR_DUPLICATE_ID"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["compat ats with maglev", (R) => new R({ strategy: "maglev", compat: "ats", nodes: [{ id: "a:80" }] }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["ats with minRingSize", (R) => new R({ strategy: "ring", compat: "ats", nodes: [{ id: "a:80" }], minRingSize: 12 }), "ERR_UNKNOWN_OPTION"],
  ["ats parent without a port", (R) => new R({ strategy: "ring", compat: "ats", nodes: [{ id: "cache-a" }] }), "ERR_INVALID_ID"],
  ["ats parent with a list separator", (R) => new R({ strategy: "ring", compat: "ats", nodes: [{ id: "a:80;b:80" }] }), "ERR_INVALID_ID"],
  ["ats add a parent without a port", (R) => new R({ strategy: "ring", compat: "ats", nodes: [{ id: "a:80" }] }).add({ id: "b" }), "ERR_INVALID_ID"],
  ["ats weight with no points", (R) => new R({ strategy: "ring", compat: "ats", nodes: [{ id: "a:80" }, { id: "b:80", weight: 0.0004 }] }), "ERR_INVALID_WEIGHT"],
  ["ats hashString with a space", (R) => new R({ strategy: "ring", compat: "ats", nodes: [{ id: "a:80", hashString: "x y" }] }), "ERR_INVALID_ID"],
  ["hashString without ats", (R) => new R({ strategy: "ring", compat: "nginx", nodes: [{ id: "a:80", hashString: "x" }] }), "ERR_UNKNOWN_FIELD"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["hashString not a string", (R) => new R({ strategy: "ring", compat: "ats", nodes: [{ id: "a:80", hashString: 7 }] }), "ERR_INVALID_ID"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["compat envoy with rendezvous", (R) => new R({ strategy: "rendezvous", nodes: NODES, compat: "envoy" }), "ERR_INVALID_OPTION"],
  ["envoy maglev table not prime", (R) => new R({ strategy: "maglev", compat: "envoy", nodes: NODES, tableSize: 1000 }), "ERR_INVALID_OPTION"],
  ["envoy maglev table over 5000011", (R) => new R({ strategy: "maglev", compat: "envoy", nodes: NODES, tableSize: 5000101 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["envoy maglev with minRingSize", (R) => new R({ strategy: "maglev", compat: "envoy", nodes: NODES, minRingSize: 12 }), "ERR_UNKNOWN_OPTION"],
  ["envoy ring minRingSize above maxRingSize", (R) => new R({ strategy: "ring", compat: "envoy", nodes: NODES, minRingSize: 4096, maxRingSize: 1024 }), "ERR_INVALID_OPTION"],
  ["envoy ring minRingSize 0", (R) => new R({ strategy: "ring", compat: "envoy", nodes: NODES, minRingSize: 0 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["envoy ring unknown hashFunction", (R) => new R({ strategy: "ring", compat: "envoy", nodes: NODES, hashFunction: "md5" }), "ERR_INVALID_OPTION"],
  ["hashFunction without envoy", (R) => new R({ strategy: "ring", nodes: NODES, hashFunction: "xxhash" }), "ERR_UNKNOWN_OPTION"],
  ["compat envoy with vnodes", (R) => new R({ strategy: "ring", compat: "envoy", nodes: NODES, vnodes: 100 }), "ERR_INVALID_OPTION"],
  ["envoy fractional weight", (R) => new R({ strategy: "ring", compat: "envoy", nodes: [{ id: "a", weight: 1.5 }] }), "ERR_INVALID_WEIGHT"],
  ["envoy maglev setWeight fractional", (R) => new R({ strategy: "maglev", compat: "envoy", nodes: NODES }).setWeight("a", 2.5), "ERR_INVALID_WEIGHT"],
  ["envoy weights over 2^32-1 in all", (R) => new R({ strategy: "ring", compat: "envoy", nodes: Array.from({ length: 4296 }, (_, i) => ({ id: `h${i}`, weight: 1e6 })) }), "ERR_INVALID_WEIGHT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["unknown option", (R) => new R({ strategy: "ring", nodes: NODES, points: 3 }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["option of another strategy", (R) => new R({ strategy: "random", nodes: NODES, vnodes: 10 }), "ERR_UNKNOWN_OPTION"],
  ["own __proto__ key", (R) => new R(JSON.parse('{"strategy":"ring","nodes":[{"id":"a"}],"__proto__":{"x":1}}')), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["function in options", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: () => 2 }] }), "ERR_INVALID_OPTIONS"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["symbol id", (R) => new R({ strategy: "ring", nodes: [{ id: Symbol("a") }] }), "ERR_INVALID_OPTIONS"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["nodes missing", (R) => new R({ strategy: "ring" }), "ERR_NO_NODES"],
  ["nodes empty", (R) => new R({ strategy: "ring", nodes: [] }), "ERR_NO_NODES"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["nodes not an array", (R) => new R({ strategy: "ring", nodes: { a: 1 } }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["node is a string", (R) => new R({ strategy: "ring", nodes: ["a"] }), "ERR_INVALID_OPTION"],
  ["empty id", (R) => new R({ strategy: "ring", nodes: [{ id: "" }] }), "ERR_INVALID_ID"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["missing id", (R) => new R({ strategy: "ring", nodes: [{ weight: 1 }] }), "ERR_INVALID_ID"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["numeric id", (R) => new R({ strategy: "ring", nodes: [{ id: 7 }] }), "ERR_INVALID_ID"],
  ["over-long id", (R) => new R({ strategy: "ring", nodes: [{ id: "x".repeat(257) }] }), "ERR_INVALID_ID"],
  ["lone surrogate id", (R) => new R({ strategy: "ring", nodes: [{ id: lone }] }), "ERR_INVALID_ID"],
  ["lone surrogate twemproxy name", (R) => new R({ strategy: "ring", compat: "twemproxy", nodes: [{ id: "a:1", name: lone }] }), "ERR_INVALID_ID"],
  ["duplicate ids", (R) => new R({ strategy: "ring", nodes: [{ id: "a" }, { id: "a" }] }), "ERR_DUPLICATE_ID"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["unknown node field", (R) => new R({ strategy: "ring", nodes: [{ id: "a", wieght: 2 }] }), "ERR_UNKNOWN_FIELD"],
  ["weight NaN", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: NaN }] }), "ERR_INVALID_WEIGHT"],
  ["weight Infinity", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: Infinity }] }), "ERR_INVALID_WEIGHT"],
  ["weight negative", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: -1 }] }), "ERR_INVALID_WEIGHT"],
  ["weight zero", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: 0 }] }), "ERR_INVALID_WEIGHT"],
  ["weight -0", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: -0 }] }), "ERR_INVALID_WEIGHT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["weight string", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: "2" }] }), "ERR_INVALID_WEIGHT"],
  ["weight huge", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: 1e300 }] }), "ERR_INVALID_WEIGHT"],
  ["vnodes zero", (R) => new R({ strategy: "ring", nodes: NODES, vnodes: 0 }), "ERR_INVALID_OPTION"],
  ["vnodes fractional", (R) => new R({ strategy: "ring", nodes: NODES, vnodes: 1.5 }), "ERR_INVALID_OPTION"],
  ["ring too large", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: 1e6 }], vnodes: 10000 }), "ERR_TOO_LARGE"],
  ["seed negative", (R) => new R({ strategy: "ring", nodes: NODES, seed: -1 }), "ERR_INVALID_OPTION"],
  ["seed unsafe", (R) => new R({ strategy: "ring", nodes: NODES, seed: 2 ** 53 }), "ERR_INVALID_OPTION"],
  ["decayMs zero", (R) => new R({ strategy: "least-latency", nodes: NODES, decayMs: 0 }), "ERR_INVALID_OPTION"],
  ["secret too short", (R) => new R({ strategy: "ring", nodes: NODES, secret: "abc" }), "ERR_INVALID_OPTION"],
  ["secret not hex", (R) => new R({ strategy: "rendezvous", nodes: NODES, secret: "z".repeat(32) }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["secret on random", (R) => new R({ strategy: "random", nodes: NODES, secret: "0".repeat(32) }), "ERR_UNKNOWN_OPTION"],
  ["tableSize not prime", (R) => new R({ strategy: "maglev", nodes: NODES, tableSize: 65536 }), "ERR_INVALID_OPTION"],
  ["tableSize below node count", (R) => new R({ strategy: "maglev", nodes: NODES, tableSize: 3 }), "ERR_TOO_LARGE"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["tableSize on ring", (R) => new R({ strategy: "ring", nodes: NODES, tableSize: 7 }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["boundedLoad on jump", (R) => new R({ strategy: "jump", nodes: NODES, boundedLoad: true }), "ERR_UNKNOWN_OPTION"],
  ["boundedLoad of 1", (R) => new R({ strategy: "ring", nodes: NODES, boundedLoad: 1 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["boundedLoad a string", (R) => new R({ strategy: "maglev", nodes: NODES, boundedLoad: "1.25" }), "ERR_INVALID_OPTION"],
  ["jump fractional weight", (R) => new R({ strategy: "jump", nodes: [{ id: "a", weight: 1.5 }] }), "ERR_INVALID_WEIGHT"],
  ["rendezvous without key", (R) => new R({ strategy: "rendezvous", nodes: NODES }).pick(), "ERR_INVALID_KEY"],
  ["begin unknown id", (R, r) => r.begin("nope"), "ERR_UNKNOWN_NODE"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["begin non-string", (R, r) => r.begin(3), "ERR_INVALID_ID"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["end bad outcome", (R, r) => r.end("a", { ok: 1 }), "ERR_INVALID_REPORT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["acquire bad key", (R, r) => r.acquire(7), "ERR_INVALID_KEY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["health not an object", (R) => new R({ strategy: "ring", nodes: NODES, health: 3 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["health unknown field", (R) => new R({ strategy: "ring", nodes: NODES, health: { retries: 2 } }), "ERR_UNKNOWN_OPTION"],
  ["health rate above 1", (R) => new R({ strategy: "ring", nodes: NODES, health: { failureRate: 2 } }), "ERR_INVALID_OPTION"],
  ["health base above max", (R) => new R({ strategy: "ring", nodes: NODES, health: { baseEjectionMs: 9, maxEjectionMs: 5 } }), "ERR_INVALID_OPTION"],
  ["markDown unknown id", (R, r) => r.markDown("nope"), "ERR_UNKNOWN_NODE"],
  ["markDown negative time", (R, r) => r.markDown("a", -5), "ERR_INVALID_OPTION"],
  ["markDown NaN time", (R, r) => r.markDown("a", NaN), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["markUp non-string", (R, r) => r.markUp(null), "ERR_INVALID_ID"],
  ["fromJSON not JSON", (R) => R.fromJSON("{nope"), "ERR_INVALID_OPTIONS", "varies"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["fromJSON wrong format", (R) => R.fromJSON({ format: "x", options: {} }), "ERR_INVALID_OPTIONS"],
  ["fromJSON unknown node in health", (R) => R.fromJSON({ format: "edgeroute/1", options: { strategy: "ring", nodes: [{ id: "a" }] }, health: [{ id: "zz" }] }), "ERR_UNKNOWN_NODE"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pick number key", (R, r) => r.pick(42), "ERR_INVALID_KEY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pick object key", (R, r) => r.pick({ key: "a" }), "ERR_INVALID_KEY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pick null key", (R, r) => r.pick(null), "ERR_INVALID_KEY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pick ArrayBuffer key", (R, r) => r.pick(new ArrayBuffer(4)), "ERR_INVALID_KEY"],
  ["ring pick without key", (R, r) => r.pick(), "ERR_INVALID_KEY"],
  ["pick lone surrogate key", (R, r) => r.pick("ab" + lone), "ERR_INVALID_KEY"],
  ["pickN n = 0", (R, r) => r.pickN("k", 0), "ERR_INVALID_COUNT"],
  ["pickN n = -1", (R, r) => r.pickN("k", -1), "ERR_INVALID_COUNT"],
  ["pickN n = 1.5", (R, r) => r.pickN("k", 1.5), "ERR_INVALID_COUNT"],
  ["pickN n = NaN", (R, r) => r.pickN("k", NaN), "ERR_INVALID_COUNT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pickN n = '2'", (R, r) => r.pickN("k", "2"), "ERR_INVALID_COUNT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pickN n missing", (R, r) => r.pickN("k"), "ERR_INVALID_COUNT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pickN bad key", (R, r) => r.pickN(1, 2), "ERR_INVALID_KEY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pickMany not an array", (R, r) => r.pickMany("k"), "ERR_INVALID_KEY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pickMany number key", (R, r) => r.pickMany(["a", "b", 3]), "ERR_INVALID_KEY"],
  ["pickMany lone surrogate key", (R, r) => r.pickMany(["a", "ab" + lone]), "ERR_INVALID_KEY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pickMany undefined key", (R, r) => r.pickMany([undefined]), "ERR_INVALID_KEY"],
  ["add duplicate", (R, r) => r.add({ id: "a" }), "ERR_DUPLICATE_ID"],
  ["add bad weight", (R, r) => r.add({ id: "z", weight: NaN }), "ERR_INVALID_WEIGHT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["add unknown field", (R, r) => r.add({ id: "z", region: "eu" }), "ERR_UNKNOWN_FIELD"],
  ["add empty zone", (R, r) => r.add({ id: "z", zone: "" }), "ERR_INVALID_OPTION"],
  ["add priority 256", (R, r) => r.add({ id: "z", priority: 256 }), "ERR_INVALID_OPTION"],
  ["setNodes fractional priority", (R, r) => r.setNodes([{ id: "a", priority: 0.5 }]), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["node zone not a string", (R) => new R({ strategy: "ring", nodes: [{ id: "a", zone: 7 }] }), "ERR_INVALID_OPTION"],
  ["node zone over 256 bytes", (R) => new R({ strategy: "ring", nodes: [{ id: "a", zone: "z".repeat(257) }] }), "ERR_INVALID_OPTION"],
  ["node priority -1", (R) => new R({ strategy: "ring", nodes: [{ id: "a", priority: -1 }] }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["node priority a string", (R) => new R({ strategy: "ring", nodes: [{ id: "a", priority: "1" }] }), "ERR_INVALID_OPTION"],
  ["zone with compat nginx", (R) => new R({ strategy: "ring", compat: "nginx", nodes: [{ id: "10.0.0.1:80", zone: "x" }] }), "ERR_UNKNOWN_FIELD"],
  ["priority with compat haproxy", (R) => new R({ strategy: "ring", compat: "haproxy", nodes: [{ id: "s1", priority: 1 }] }), "ERR_UNKNOWN_FIELD"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["slowStartMs with ring", (R) => new R({ strategy: "ring", nodes: NODES, slowStartMs: 1000 }), "ERR_UNKNOWN_OPTION"],
  ["slowStartMs 0", (R) => new R({ strategy: "random", nodes: NODES, slowStartMs: 0 }), "ERR_INVALID_OPTION"],
  ["slowStartMs NaN", (R) => new R({ strategy: "least-latency", nodes: NODES, slowStartMs: NaN }), "ERR_INVALID_OPTION"],
  ["slowStartMinPercent without slowStartMs", (R) => new R({ strategy: "round-robin", nodes: NODES, slowStartMinPercent: 20 }), "ERR_INVALID_OPTION"],
  ["slowStartMinPercent 0", (R) => new R({ strategy: "random", nodes: NODES, slowStartMs: 10, slowStartMinPercent: 0 }), "ERR_INVALID_OPTION"],
  ["slowStartMinPercent 101", (R) => new R({ strategy: "random", nodes: NODES, slowStartMs: 10, slowStartMinPercent: 101 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pick options a string", (R, r) => r.pick("k", "eu"), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pick options null", (R, r) => r.pick("k", null), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pick unknown option", (R, r) => r.pick("k", { region: "eu" }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pick zone a number", (R, r) => r.pick("k", { zone: 1 }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pickN zone an object", (R, r) => r.pickN("k", 2, { zone: {} }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["acquire unknown option", (R, r) => r.acquire("k", { zones: "eu" }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pickMany zone a boolean", (R, r) => r.pickMany(["k"], { zone: true }), "ERR_INVALID_OPTION"],
  ["node zone with a lone surrogate", (R) => new R({ strategy: "ring", nodes: [{ id: "a", zone: lone }, { id: "b", zone: "\uDC00" }] }), "ERR_INVALID_OPTION"],
  ["add a zone with a lone surrogate", (R, r) => r.add({ id: "z", zone: "eu" + lone }), "ERR_INVALID_OPTION"],
  ["setNodes with a lone surrogate in a zone", (R, r) => r.setNodes([{ id: "a", zone: lone }]), "ERR_INVALID_OPTION"],
  ["a lone surrogate zone in a snapshot", (R) => R.fromJSON({ format: "edgeroute/1", options: { strategy: "ring", nodes: [{ id: "a", zone: lone }] }, health: [] }), "ERR_INVALID_OPTION"],
  ["a zone getter that frees the Router", (R) => {
    const q = new R({ strategy: "ring", nodes: ZONED });
    return q.pick("k", { get zone() { q.free(); return "c"; } });
  }, "ERR_FREED"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["add not an object", (R, r) => r.add("z"), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["remove non-string", (R, r) => r.remove(42), "ERR_INVALID_ID"],
  ["setWeight unknown id", (R, r) => r.setWeight("nope", 2), "ERR_UNKNOWN_NODE"],
  ["setWeight NaN", (R, r) => r.setWeight("a", NaN), "ERR_INVALID_WEIGHT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["setWeight string", (R, r) => r.setWeight("a", "3"), "ERR_INVALID_WEIGHT"],
  ["report unknown id", (R, r) => r.report("nope", { ok: true }), "ERR_UNKNOWN_NODE"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["report without ok", (R, r) => r.report("a", { latencyMs: 3 }), "ERR_INVALID_REPORT"],
  ["report negative latency", (R, r) => r.report("a", { ok: true, latencyMs: -5 }), "ERR_INVALID_REPORT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["report unknown field", (R, r) => r.report("a", { ok: true, status: 200 }), "ERR_UNKNOWN_FIELD"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["report not an object", (R, r) => r.report("a", true), "ERR_INVALID_REPORT"],
  // Numbers at the edges.
  ["weight -Infinity", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: -Infinity }] }), "ERR_INVALID_WEIGHT"],
  ["weight above 1e6", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: 1e6 + 1 }] }), "ERR_INVALID_WEIGHT"],
  ["seed NaN", (R) => new R({ strategy: "ring", nodes: NODES, seed: NaN }), "ERR_INVALID_OPTION"],
  ["seed Infinity", (R) => new R({ strategy: "ring", nodes: NODES, seed: Infinity }), "ERR_INVALID_OPTION"],
  ["vnodes Infinity", (R) => new R({ strategy: "ring", nodes: NODES, vnodes: Infinity }), "ERR_INVALID_OPTION"],
  ["decayMs huge", (R) => new R({ strategy: "least-latency", nodes: NODES, decayMs: 1e300 }), "ERR_INVALID_OPTION"],
  ["pickN n = Infinity", (R, r) => r.pickN("k", Infinity), "ERR_INVALID_COUNT"],
  ["setWeight -0", (R, r) => r.setWeight("a", -0), "ERR_INVALID_WEIGHT"],
  ["setWeight Infinity", (R, r) => r.setWeight("a", Infinity), "ERR_INVALID_WEIGHT"],
  ["report latency NaN", (R, r) => r.report("a", { ok: true, latencyMs: NaN }), "ERR_INVALID_REPORT"],
  ["report latency Infinity", (R, r) => r.report("a", { ok: false, latencyMs: Infinity }), "ERR_INVALID_REPORT"],
  ["markDown Infinity time", (R, r) => r.markDown("a", Infinity), "ERR_INVALID_OPTION"],
  ["keyPosition lone surrogate", (R, r) => r.keyPosition(lone), "ERR_INVALID_KEY"],
  // Prototype pollution, frozen, proxied and cyclic objects.
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["constructor key in options", (R) => new R({ strategy: "ring", nodes: NODES, constructor: {} }), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["constructor key in a node", (R) => new R({ strategy: "ring", nodes: [{ id: "a", constructor: 1 }] }), "ERR_UNKNOWN_FIELD"],
  ["__proto__ key in a node", (R, r) => r.add(JSON.parse('{"id":"z","__proto__":{"weight":3}}')), "ERR_UNKNOWN_FIELD"],
  ["frozen options, bad weight", (R) => new R(Object.freeze({ strategy: "ring", nodes: Object.freeze([Object.freeze({ id: "a", weight: 0 })]) })), "ERR_INVALID_WEIGHT"],
  ["proxy options, unknown key", (R) => new R(new Proxy({ strategy: "ring", nodes: NODES, extra: 1 }, {})), "ERR_UNKNOWN_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["revoked proxy options", (R) => { const p = Proxy.revocable({}, {}); p.revoke(); return new R(p.proxy); }, "ERR_INVALID_OPTIONS", "varies"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["cyclic options", (R) => { const o = { strategy: "ring", nodes: NODES }; o.self = o; return new R(o); }, "ERR_INVALID_OPTIONS"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["cyclic node", (R, r) => { const n = { id: "z" }; n.weight = [n]; return r.add(n); }, "ERR_INVALID_OPTIONS"],
  // Keys that lie, and buffers that are gone (issue 15: a lying length corrupted every Router's memory).
  ["pick a key on a detached buffer", (R, r) => r.pick(detachedKey()), "ERR_INVALID_KEY"],
  ["pickN a key on a detached buffer", (R, r) => r.pickN(detachedKey(), 2), "ERR_INVALID_KEY"],
  ["acquire a key on a detached buffer", (R, r) => r.acquire(detachedKey()), "ERR_INVALID_KEY"],
  ["keyPosition of a key on a detached buffer", (R, r) => r.keyPosition(detachedKey()), "ERR_INVALID_KEY"],
  ["pickMany with a key on a detached buffer", (R, r) => r.pickMany(["k", detachedKey()]), "ERR_INVALID_KEY"],
  ["pick a Proxy over a Uint8Array", (R, r) => r.pick(new Proxy(new Uint8Array(4), {})), "ERR_INVALID_KEY"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["pick a Uint8ClampedArray", (R, r) => r.pick(new Uint8ClampedArray(4)), "ERR_INVALID_KEY"],
  ["pickMany whose length lies", (R, r) => r.pickMany(new Proxy(["k"], { get: (t, k) => (k === "length" ? -1 : /** @type {any} */ (t)[k]) })), "ERR_INVALID_KEY"],
  ["nodes array whose length lies", (R) => new R({ strategy: "ring", nodes: new Proxy([{ id: "a" }], { get: (t, k) => (k === "length" ? 2 ** 40 : /** @type {any} */ (t)[k]) }) }), "ERR_INVALID_OPTIONS"],
  // null is a value, not an absent field; weights have a floor (subnormal weights skewed the shares).
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["weight null", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: null }] }), "ERR_INVALID_WEIGHT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["id null", (R) => new R({ strategy: "ring", nodes: [{ id: null }] }), "ERR_INVALID_ID"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["seed null", (R) => new R({ strategy: "ring", nodes: NODES, seed: null }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["health field null", (R) => new R({ strategy: "ring", nodes: NODES, health: { windowMs: null } }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["outcome latencyMs null", (R, r) => r.report("a", { ok: true, latencyMs: null }), "ERR_INVALID_REPORT"],
  ["a subnormal weight", (R) => new R({ strategy: "rendezvous", nodes: [{ id: "a", weight: 5e-324 }, { id: "b", weight: 1e-323 }] }), "ERR_INVALID_WEIGHT"],
  ["a weight below a millionth", (R) => new R({ strategy: "random", nodes: [{ id: "a", weight: 9.99e-7 }] }), "ERR_INVALID_WEIGHT"],
  ["setWeight below a millionth", (R, r) => r.setWeight("a", 1e-7), "ERR_INVALID_WEIGHT"],
  // @ts-expect-error a BigInt works at run time (read as its number), but the types ask for a number
  ["a BigInt weight above 1e6", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: 10n ** 7n }] }), "ERR_INVALID_WEIGHT"],
  // Memory: each config has a cost, refused over maxMemoryBytes before anything is allocated.
  ["a ring over the memory limit", (R) => new R({ strategy: "ring", vnodes: 10000, nodes: Array.from({ length: 1677 }, (_, i) => ({ id: `n${i}` })) }), "ERR_TOO_LARGE"],
  ["a maglev table over a lowered limit", (R) => new R({ strategy: "maglev", tableSize: 1000003, maxMemoryBytes: 1 << 20, nodes: NODES }), "ERR_TOO_LARGE"],
  ["add past the memory limit", (R) => {
    const q = new R({ strategy: "ring", vnodes: 10000, maxMemoryBytes: 1 << 20, nodes: [{ id: "a" }] });
    q.add({ id: "b", weight: 3 });
  }, "ERR_TOO_LARGE"],
  ["setWeight past the memory limit", (R) => new R({ strategy: "ring", vnodes: 10000, maxMemoryBytes: 1 << 20, nodes: [{ id: "a" }] }).setWeight("a", 5), "ERR_TOO_LARGE"],
  // setNodes(nodes): checked whole before anything changes.
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["setNodes with a string", (R, r) => r.setNodes("a"), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["setNodes with a number element", (R, r) => r.setNodes([{ id: "a" }, 7]), "ERR_INVALID_OPTION"],
  ["setNodes with a repeated id", (R, r) => r.setNodes([{ id: "a" }, { id: "b" }, { id: "a", weight: 2 }]), "ERR_DUPLICATE_ID"],
  ["setNodes with a negative weight", (R, r) => r.setNodes([{ id: "a", weight: -1 }]), "ERR_INVALID_WEIGHT"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["setNodes with an unknown field", (R, r) => r.setNodes([{ id: "a", colour: "red" }]), "ERR_UNKNOWN_FIELD"],
  ["setNodes with an empty id", (R, r) => r.setNodes([{ id: "" }]), "ERR_INVALID_ID"],
  ["setNodes with a lone surrogate in an id", (R, r) => r.setNodes([{ id: "a\ud800" }]), "ERR_INVALID_ID"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["setNodes with a function", (R, r) => r.setNodes([{ id: "a", weight: () => 1 }]), "ERR_INVALID_OPTIONS"],
  ["setNodes past the node limit", (R, r) => r.setNodes(Array.from({ length: 65537 }, (_, i) => ({ id: `n${i}` }))), "ERR_TOO_LARGE"],
  ["setNodes past the memory limit", (R) => {
    const q = new R({ strategy: "ring", vnodes: 10000, maxMemoryBytes: 1 << 20, nodes: [{ id: "a" }] });
    q.setNodes([{ id: "a" }, { id: "b", weight: 3 }]);
  }, "ERR_TOO_LARGE"],
  ["maxMemoryBytes below 1 MiB", (R) => new R({ strategy: "ring", nodes: NODES, maxMemoryBytes: 1000 }), "ERR_INVALID_OPTION"],
  ["maxMemoryBytes above 4 GiB", (R) => new R({ strategy: "ring", nodes: NODES, maxMemoryBytes: 2 ** 33 }), "ERR_INVALID_OPTION"],
  // Keys over 1 MiB (the scratch buffer they are copied into never shrinks), and `this` that is not a Router.
  ["a string key over 1 MiB", (R, r) => r.pick("k".repeat((1 << 20) + 1)), "ERR_INVALID_KEY"],
  ["a non-ASCII string key over 1 MiB of UTF-8", (R, r) => r.pick("é".repeat((1 << 19) + 1)), "ERR_INVALID_KEY"],
  ["a byte key over 1 MiB", (R, r) => r.pickN(new Uint8Array((1 << 20) + 1), 2), "ERR_INVALID_KEY"],
  ["a 2 GiB byte key", (R, r) => r.pick(new Uint8Array(2 ** 31 + 4)), "ERR_INVALID_KEY"],
  ["pickMany with a key over 1 MiB", (R, r) => r.pickMany(["k", "k".repeat((1 << 20) + 1)]), "ERR_INVALID_KEY"],
  ["a string over 64 Ki characters in options", (R) => new R({ strategy: "ring", nodes: [{ id: "x".repeat(70000) }] }), "ERR_INVALID_OPTIONS"],
  ["a method called on another object", (R, r) => R.prototype.pick.call({}, "k"), "ERR_INVALID_ARGUMENT"],
  ["free called on another object", (R) => R.prototype.free.call({}), "ERR_INVALID_ARGUMENT"],
  // @ts-expect-error a hand-made snapshot without health (toJSON always writes it; fromJSON does not need it)
  ["a lone surrogate id in a snapshot", (R) => R.fromJSON({ format: "edgeroute/1", options: { strategy: "ring", nodes: [{ id: "\uD800" }] } }), "ERR_INVALID_ID"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["snapshot health null", (R) => R.fromJSON({ format: "edgeroute/1", options: { strategy: "ring", nodes: NODES }, health: null }), "ERR_INVALID_OPTIONS"],
  // metrics() and otlpMetrics() options (docs/monitoring.md).
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["metrics options not an object", (R, r) => r.metrics(5), "ERR_INVALID_OPTIONS"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["metrics unknown option", (R, r) => r.metrics({ namespace: "x" }), "ERR_UNKNOWN_OPTION"],
  ["metrics prefix with a dash", (R, r) => r.metrics({ prefix: "edge-route" }), "ERR_INVALID_OPTION"],
  ["metrics prefix starting with a digit", (R, r) => r.metrics({ prefix: "1lb" }), "ERR_INVALID_OPTION"],
  ["metrics prefix over 128 characters", (R, r) => r.metrics({ prefix: "p".repeat(129) }), "ERR_INVALID_OPTION"],
  ["metrics label named node (the metrics' own)", (R, r) => r.metrics({ labels: { node: "x" } }), "ERR_INVALID_OPTION"],
  ["metrics label named le", (R, r) => r.metrics({ labels: { le: "x" } }), "ERR_INVALID_OPTION"],
  ["metrics label name starting with __", (R, r) => r.metrics({ labels: { __name__: "x" } }), "ERR_INVALID_OPTION"],
  ["metrics label name with a space", (R, r) => r.metrics({ labels: { "my pool": "x" } }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["metrics label value a number", (R, r) => r.metrics({ labels: { pool: 1 } }), "ERR_INVALID_OPTION"],
  ["metrics label value with a lone surrogate", (R, r) => r.metrics({ labels: { pool: "a\uD800" } }), "ERR_INVALID_OPTION"],
  ["metrics label value over 1024 characters", (R, r) => r.metrics({ labels: { pool: "v".repeat(1025) } }), "ERR_INVALID_OPTION"],
  ["metrics over 32 labels", (R, r) => r.metrics({ labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, "v"])) }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["metrics labels an array", (R, r) => r.metrics({ labels: ["pool"] }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["metrics format json", (R, r) => r.metrics({ format: "json" }), "ERR_INVALID_OPTION"],
  // @ts-expect-error a bad input on purpose: the types reject it too
  ["otlpMetrics with a format", (R, r) => r.otlpMetrics({ format: "openmetrics" }), "ERR_UNKNOWN_OPTION"],
  ["otlpMetrics resource with an empty key", (R, r) => r.otlpMetrics({ resource: { "": "x" } }), "ERR_INVALID_OPTION"],
  ["otlpMetrics resource value with a lone surrogate", (R, r) => r.otlpMetrics({ resource: { "service.name": "\uDC00" } }), "ERR_INVALID_OPTION"],
  // Every method after free().
  .../** @type {const} */ (["pick", "pickN", "pickMany", "acquire", "add", "remove", "setWeight", "report", "begin", "end", "markDown", "markUp", "nodes", "stats", "toJSON", "ringPoints", "keyPosition", "metrics", "otlpMetrics"]).map((m) => /** @type {[string, (R: RouterClass) => unknown, ErrorCode]} */ ([
    `${m} after free()`,
    (R) => {
      const q = new R({ strategy: "ring", nodes: NODES });
      q.free();
      // @ts-expect-error every method gets the same stand-in arguments: after free() none is read
      return q[m]("a", 1);
    },
    "ERR_FREED",
  ])),
];

/** Nodes in zones b and c, and one in zone "__proto__" on priority level 1. */
const ZONED = [{ id: "b1", zone: "b" }, { id: "c1", zone: "c" }, { id: "c2", zone: "c" }, { id: "p1", zone: "__proto__", priority: 1 }];

/**
 * A zoned pick through `method` while a replaced Date.now adds a node in zone "a", which sorts before "b" and
 * "c": the zone index of "c" read before the clock would now name "b". The answer must be in zone c.
 * @param {RouterClass} R @param {"least-latency" | "ring"} strategy @param {(q: RouterInstance) => unknown} call
 */
function zonedAcrossAClock(R, strategy, call) {
  const q = strategy === "ring" ? new R({ strategy, seed: 3, nodes: ZONED }) : new R({ strategy, seed: 3, nodes: ZONED });
  if (strategy === "ring") q.markDown("c2", 1e9); // a node marked down: picks read the clock
  let once = true;
  const real = Date.now;
  const got = withDateNow(() => {
    if (once) {
      once = false;
      q.add({ id: "a1", zone: "a" });
    }
    return real();
  }, () => call(q));
  const first = Array.isArray(got) ? got[0] : got && typeof got === "object" && "id" in got ? got.id : got;
  // A failure is an object: a string or an array of strings would pass as an answer.
  return typeof first === "string" && first.startsWith("c") ? first : { failed: `zone c picked ${JSON.stringify(first)}` };
}

/**
 * Edge inputs that are not errors: each must route (the same way twice) and leave the shared Router working.
 * [name, action(Router, r) => value that must be a node id or a non-empty array of ids]. A row reports its own
 * failure as an object ({ failed }), which the check refuses: a sentinel string or array would pass as an answer.
 * @type {[name: string, action: (R: RouterClass, r: RouterInstance) => unknown][]}
 */
export const EDGE_INPUTS = [
  ["empty string key", (R, r) => r.pick("")],
  ["empty byte key", (R, r) => r.pick(new Uint8Array(0))],
  ["1 MiB string key", (R, r) => r.pick("k".repeat(1 << 20))],
  ["1 MiB byte key", (R, r) => r.pick(new Uint8Array(1 << 20).fill(7))],
  ["byte key as a subarray view", (R, r) => r.pick(new Uint8Array([0, 1, 2, 3, 4, 5]).subarray(2, 5))],
  ["frozen options", (R) => new R(Object.freeze({ strategy: "ring", nodes: Object.freeze(NODES.map((n) => Object.freeze({ ...n }))) })).pick("k")],
  ["proxy options", (R) => new R(new Proxy({ strategy: "rendezvous", nodes: NODES }, {})).pick("k")],
  ["null-prototype options", (R) => new R(Object.assign(Object.create(null), { strategy: "maglev", nodes: NODES })).pick("k")],
  ["inherited options are ignored", (R) => {
    // @ts-expect-error a polluted prototype on purpose
    Object.prototype.vnodes = 5; // a polluted prototype: only own properties are read
    try {
      return new R({ strategy: "random", nodes: NODES, seed: 1 }).pick();
    } finally {
      // @ts-expect-error a polluted prototype on purpose
      delete Object.prototype.vnodes;
    }
  }],
  ["a getter that calls back into the Router", (R, r) => {
    const node = { id: "reentrant", get weight() { return r.pick("k") ? 2 : 1; } };
    r.add(node);
    r.remove("reentrant");
    return r.pick("k");
  }],
  ["pickN n far above the pool", (R, r) => r.pickN("k", 2 ** 40)],
  ["a Router call from inside a replaced Date.now", (R, r) => {
    // The clock is read in JS before the call, so this is no re-entrance: both calls just work.
    const q = new R({ strategy: "least-latency", nodes: NODES, seed: 1 });
    const p = new R({ strategy: "ring", nodes: NODES, health: false });
    return withDateNow(() => (p.pick("k") ? 1000 : 0), () => q.pick());
  }],
  ["a Date.now that returns a BigInt", (R) => {
    const q = new R({ strategy: "least-latency", nodes: NODES, seed: 1 });
    return withDateNow(() => 10n ** 12n, () => q.pick() && q.pick());
  }],
  ["a Date.now that returns an object that calls back", (R, r) => {
    const q = new R({ strategy: "least-latency", nodes: NODES, seed: 1 });
    return withDateNow(() => ({ valueOf: () => r.pick("x") }), () => q.pick());
  }],
  // @ts-expect-error a BigInt works at run time (read as its number), but the types ask for a number
  ["pickN and a BigInt n", (R, r) => r.pickN("k", 2n)],
  ["a Uint8Array subclass whose length lies", (R, r) => {
    const key = new LyingBytes(200000).fill(7);
    const got = r.pick(key);
    return got === r.pick(new Uint8Array(200000).fill(7)) && got === r.pickMany([key])[0] ? got : { failed: "mismatch" };
  }],
  ["a lying key through pickN, acquire and keyPosition", (R, r) => {
    const key = new LyingBytes(5000).fill(1);
    const real = new Uint8Array(5000).fill(1);
    const lease = defined(r.acquire(key));
    lease.end();
    const same = lease.id === r.pick(real) && r.keyPosition(key) === r.keyPosition(real) && r.pickN(key, 3).join() === r.pickN(real, 3).join();
    return same ? r.pickN(key, 3) : { failed: "mismatch" };
  }],
  ["a Uint8Array from another view of the same buffer", (R, r) => r.pick(new Uint8Array(new Uint8Array([9, 8, 7, 6, 5]).buffer, 1, 3))],
  // @ts-expect-error a BigInt works at run time (read as its number), but the types ask for a number
  ["a BigInt weight", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: 3n }, { id: "b" }] }).pick("k")],
  ["a BigInt in setWeight", (R) => {
    const q = new R({ strategy: "ring", nodes: NODES });
    // @ts-expect-error a BigInt works at run time (read as its number), but the types ask for a number
    q.setWeight("b", 5n);
    return q.nodes()[1].weight === 5 ? q.pick("k") : { failed: "not 5" };
  }],
  ["an undefined weight is absent", (R) => new R({ strategy: "ring", nodes: [{ id: "a", weight: undefined }, { id: "b" }] }).pick("k")],
  ["the smallest and largest weights", (R) => new R({ strategy: "rendezvous", nodes: [{ id: "a", weight: 1e-6 }, { id: "b", weight: 1e6 }] }).pick("k")],
  ["a raised memory limit", (R) => new R({ strategy: "maglev", tableSize: 1000003, maxMemoryBytes: 2 ** 32, nodes: NODES }).pick("k")],
  ["pickMany whose element getter removes a node", (R) => {
    const q = new R({ strategy: "ring", nodes: NODES, seed: 7 });
    const keys = new Proxy(["k1", "k2", "k3"], { get: (t, k) => (k === "1" && q.remove("a"), /** @type {any} */ (t)[k]) });
    const got = q.pickMany(keys);
    return got.every((id) => id !== "a" && q.pick("k1") === got[0]) ? got : { failed: "a removed node was named" };
  }],
  ...(/** @type {const} */ (["least-latency", "ring"])).flatMap((strategy) =>
    /** @type {[string, (q: RouterInstance) => unknown][]} */ ([
      ["pick", (q) => q.pick("k", { zone: "c" })],
      ["pickN", (q) => q.pickN("k", 3, { zone: "c" })],
      ["acquire", (q) => q.acquire("k", { zone: "c" })],
      ["pickMany", (q) => q.pickMany(["k"], { zone: "c" })],
    ]).map(([m, call]) => /** @type {[string, (R: RouterClass, r: RouterInstance) => unknown]} */ ([
    `${m} in a zone while a replaced Date.now adds a zone (${strategy})`,
    (R) => zonedAcrossAClock(R, strategy, call),
  ]))),
  ["zones named __proto__ and constructor", (R) => {
    const q = new R({ strategy: "ring", nodes: [{ id: "p1", zone: "__proto__" }, { id: "k1", zone: "constructor" }, { id: "b1", zone: "b" }] });
    const got = [q.pick("k", { zone: "__proto__" }), q.pick("k", { zone: "constructor" }), ...q.pickN("k", 5, { zone: "__proto__" })];
    return got[0] === "p1" && got[1] === "k1" && got[2] === "p1" && same(R.fromJSON(q.toJSON()).pickN("k", 5, { zone: "__proto__" }), got.slice(2)) ? got : { failed: got };
  }],
  ["zone options inherited, with symbols, or with a null prototype", (R) => {
    const q = new R({ strategy: "ring", nodes: ZONED });
    const a = q.pick("k", Object.create({ zone: "b" })); // inherited: not read, so no zone
    const b = q.pick("k", Object.assign(Object.create(null), { zone: "b" }, { [Symbol("s")]: 1 }));
    return a === q.pick("k") && b === "b1" ? [a, b] : { failed: [a, b] };
  }],
  ["a Proxy of pick options whose ownKeys trap adds a zone", (R) => {
    const q = new R({ strategy: "least-latency", seed: 3, nodes: ZONED });
    const opts = new Proxy({ zone: "c" }, { ownKeys: (t) => (q.add({ id: "a1", zone: "a" }), Reflect.ownKeys(t)) });
    const got = q.pick(undefined, opts);
    return typeof got === "string" && got.startsWith("c") ? got : { failed: `zone c picked ${got}` };
  }],
  ["a zone getter that replaces every node", (R) => {
    const q = new R({ strategy: "rendezvous", nodes: ZONED });
    const got = q.pickN("k", 5, { get zone() { q.setNodes([{ id: "x1", zone: "x", priority: 2 }, { id: "c9", zone: "c" }]); return "c"; } });
    return got.join() === "c9,x1" ? got : { failed: got };
  }],
  ["pickMany whose element getter adds nodes", (R) => {
    const q = new R({ strategy: "ring", nodes: NODES, seed: 7 });
    const keys = new Proxy(["k1", "k2"], { get: (t, k) => (k === "0" && Array.from({ length: 20 }, (_, i) => q.add({ id: `x${i}` })), /** @type {any} */ (t)[k]) });
    const got = q.pickMany(keys);
    return got.every((id) => typeof id === "string") && got[1] === q.pick("k2") ? got : ["an answer was lost"];
  }],
];

/**
 * Every bad input throws its code and, where `messages` (test-js/shared/error-messages.json, generated into
 * docs/errors.md) has one, exactly that message; then the shared Router still routes as before. Edge inputs route.
 */
/** @param {RouterClass} Router @param {ErrorClass} EdgerouteError @param {Record<string, string | null>} [messages] */
export function errorChecks(Router, EdgerouteError, messages = {}) {
  const { check, result } = recorder();
  const r = new Router({ strategy: "ring", nodes: NODES, seed: 7 });
  const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
  const before = keys.map((k) => r.pick(k));
  for (const [name, action, code] of BAD_INPUTS) {
    /** @type {any} */
    let err;
    try {
      action(Router, r);
    } catch (e) {
      err = e;
    }
    check(err !== undefined, `${name}: did not throw`);
    if (err === undefined) continue;
    check(err instanceof EdgerouteError && err instanceof Error, `${name}: not an EdgerouteError: ${err}`);
    check(err.name === "EdgerouteError", `${name}: name ${err.name}`);
    check(err.code === code, `${name}: code ${err.code}, want ${code} (${err.message})`);
    check(typeof err.message === "string" && err.message.length > 20, `${name}: message too thin: ${err.message}`);
    if (typeof messages[name] === "string") check(err.message === messages[name], `${name}: message ${JSON.stringify(err.message)}, docs/errors.md says ${JSON.stringify(messages[name])}`);
    check(same(keys.map((k) => r.pick(k)), before), `${name}: the router changed or broke`);
  }
  for (const [name, action] of EDGE_INPUTS) {
    let a;
    let b;
    try {
      a = action(Router, r);
      b = action(Router, r);
    } catch (/** @type {any} */ e) {
      check(false, `${name}: threw ${e && e.code} ${e && e.message}`);
      continue;
    }
    /** @param {unknown} v */
    const ok = (v) => (typeof v === "string" && v.length > 0) || (Array.isArray(v) && v.length > 0);
    check(ok(a) && JSON.stringify(a) === JSON.stringify(b), `${name}: routed to ${JSON.stringify(a)} then ${JSON.stringify(b)}`);
    check(same(keys.map((k) => r.pick(k)), before), `${name}: the router changed or broke`);
  }
  check(r.remove("nope") === false, "removing an unknown id returns false");
  check(same(r.nodes().map((n) => n.id), ["a", "b", "c"]), "pool unchanged after bad input");
  r.free();
  r.free();
  /** @type {any} */
  let freed;
  try {
    r.pick("k");
  } catch (e) {
    freed = e;
  }
  check(freed instanceof EdgerouteError && freed.code === "ERR_FREED", `use after free: ${freed && freed.code}`);
  return { ...result(), cases: BAD_INPUTS.length + EDGE_INPUTS.length + 2 };
}

/** Each strategy does real routing through the package. @param {RouterClass} Router */
export function strategyChecks(Router) {
  const { check, result } = recorder();
  // Smooth WRR: nginx's sequence for {5,1,1}.
  const w = new Router({ strategy: "weighted-round-robin", nodes: [{ id: "a", weight: 5 }, { id: "b" }, { id: "c" }] });
  const seq = Array.from({ length: 7 }, () => w.pick()).join(" ");
  check(seq === "a a b a c a a", `smooth WRR sequence ${seq}`);
  // Round robin cycles in order, and pickN gives the next ones.
  const rr = new Router({ strategy: "round-robin", nodes: NODES });
  check(same([rr.pick(), rr.pick(), rr.pick(), rr.pick()], ["a", "b", "c", "a"]), "round robin order");
  check(same(rr.pickN(undefined, 5), ["b", "c", "a"]), "round robin pickN");
  // Seeded random is reproducible and follows the weights.
  const seeded = () => new Router({ strategy: "random", nodes: NODES, seed: 11 });
  const r1 = seeded();
  const r2 = seeded();
  const s1 = Array.from({ length: 200 }, () => r1.pick());
  check(same(s1, Array.from({ length: 200 }, () => r2.pick())), "seeded random reproducible");
  /** @type {Record<string, number>} */
  const counts = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < 20000; i++) counts[defined(r1.pick("ignored"))]++;
  // a has weight 2 of 4: expect 10000, sd ~71; allow 6 sd.
  check(Math.abs(counts.a - 10000) < 430, `random shares ${JSON.stringify(counts)}`);
  // Unseeded random routers must be constructible and draw entropy on first pick.
  const u = new Router({ strategy: "random", nodes: NODES });
  check(["a", "b", "c"].includes(defined(u.pick())), "unseeded random picks");
  // Least latency avoids a slow node, and explores a new one.
  const ll = new Router({ strategy: "least-latency", nodes: NODES, seed: 3 });
  /** @type {Record<string, number>} */
  const lat = { a: 5, b: 5, c: 250 };
  /** @type {Record<string, number>} */
  const got = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < 2000; i++) {
    const lease = defined(ll.acquire());
    got[lease.id]++;
    lease.end({ ok: true, latencyMs: lat[lease.id] });
  }
  check(got.c < 150, `least-latency sent ${got.c} of 2000 to the slow node`);
  const st = ll.stats();
  check(st.length === 3 && st.every((s) => typeof s.ewmaMs === "number" && s.inflight === 0), "least-latency stats");
  check(defined(defined(st.find((s) => s.id === "c")).ewmaMs) > 100, "slow node's EWMA is high");
  // metrics() and otlpMetrics() in this runtime: counts as stats() has them, both text formats, OTLP's int64s.
  const text = ll.metrics({ labels: { runtime: "any" } });
  /** @param {string} id */
  const picksOf = (id) => Number((text.match(new RegExp(`^edgeroute_node_picks_total\\{runtime="any",node="${id}"\\} (\\d+)$`, "m")) ?? [])[1]);
  check(st.every((s) => picksOf(s.id) === s.picks) && text.includes("\nedgeroute_picks_total{runtime=\"any\"} 2000\n"), `metrics() picks: ${text.slice(0, 300)}`);
  check(ll.metrics({ format: "openmetrics" }).endsWith("# EOF\n"), "OpenMetrics ends with # EOF");
  const om = ll.otlpMetrics().resourceMetrics[0].scopeMetrics[0].metrics;
  const otlpPicks = defined(om.find((m) => m.name === "edgeroute.node.picks")).sum?.dataPoints.reduce((a, p) => a + Number(p.asInt), 0);
  const hist = defined(om.find((m) => m.name === "edgeroute.node.latency")).histogram?.dataPoints[0];
  check(otlpPicks === 2000 && /^\d{19}$/.test(String(hist?.timeUnixNano)) && hist?.bucketCounts.length === 12, `otlpMetrics(): ${otlpPicks} picks, ${JSON.stringify(hist)}`);
  // Ring: pickN is distinct and starts with pick; removing a node only moves its keys.
  const ring = new Router({ strategy: "ring", nodes: NODES });
  const keys = Array.from({ length: 3000 }, (_, i) => `/item/${i}`);
  const before = keys.map((k) => ring.pick(k));
  for (const k of keys.slice(0, 200)) {
    const p = ring.pickN(k, 3);
    check(p.length === 3 && new Set(p).size === 3 && p[0] === ring.pick(k), `ring pickN ${p}`);
  }
  check(ring.remove("b") === true, "remove b");
  const after = keys.map((k) => ring.pick(k));
  check(keys.every((_, i) => before[i] === "b" || before[i] === after[i]), "only b's keys moved");
  check(after.every((o) => o !== "b"), "no key still on b");
  ring.add({ id: "b" });
  check(same(keys.map((k) => ring.pick(k)), before), "re-adding b restores the mapping");
  // The modern hashing strategies route, keep pickN distinct, and move only the removed node's keys.
  for (const strategy of /** @type {const} */ (["rendezvous", "maglev", "jump"])) {
    // A strategy union needs the options typed without the compat profiles: "rendezvous" also names
    // SquidOptions and CaddyOptions, whose compat is required, and TypeScript checks a union discriminant
    // against every member it names.
    /** @type {import("edgeroute").RendezvousOptions | import("edgeroute").MaglevOptions | import("edgeroute").JumpOptions} */
    const opts = { strategy, nodes: [{ id: "a", weight: 2 }, { id: "b" }, { id: "c" }, { id: "d" }] };
    const h = new Router(opts);
    const own = keys.map((k) => h.pick(k));
    check(new Set(own).size === 4, `${strategy} uses every node`);
    const p = h.pickN(keys[0], 9);
    check(p.length === 4 && new Set(p).size === 4 && p[0] === own[0], `${strategy} pickN ${p}`);
    check(h.remove("c") === true, `${strategy} remove`);
    const moved = keys.filter((k, i) => h.pick(k) !== own[i]);
    const onC = own.filter((o) => o === "c").length;
    if (strategy === "maglev") check(moved.length <= 2 * onC, `maglev moved ${moved.length}, c had ${onC}`);
    else check(moved.every((k) => own[keys.indexOf(k)] === "c"), `${strategy} moved keys that were not on c`);
  }
  // String keys travel through a scratch buffer in wasm memory; bytes through wasm-bindgen. They must agree for
  // every length (across the buffer's growth) and character width, also after wasm memory itself has grown.
  const enc = new TextEncoder();
  const sk = new Router({ strategy: "rendezvous", nodes: NODES.concat([{ id: "d" }, { id: "e", weight: 3 }]) });
  /** @param {number} len */
  const shapes = (len) => ["x".repeat(len), "é".repeat(len), "東".repeat(len), "🎉".repeat(len >> 1), `${"a".repeat(len)}é`];
  /** @param {string} tag */
  const agree = (tag) => {
    for (const len of [0, 1, 85, 86, 255, 256, 257, 767, 768, 769, 5000, 70000]) {
      for (const s of shapes(len)) {
        check(sk.pick(s) === sk.pick(enc.encode(s)), `${tag}: string and bytes disagree at length ${s.length}`);
        check(same(sk.pickN(s, 3), sk.pickN(enc.encode(s), 3)), `${tag}: pickN disagrees at length ${s.length}`);
      }
    }
  };
  agree("scratch");
  const big = new Router({ strategy: "maglev", nodes: NODES, tableSize: 1000003 }); // grows wasm memory
  agree("after memory growth");
  big.free();
  // pickMany answers as pick does, key by key, for ASCII, UTF-8, byte and mixed batches, short keys (joined)
  // and long ones (sent singly), across the scratch buffer's growth, and counts each pick once.
  for (const strategy of /** @type {const} */ (["ring", "maglev", "rendezvous", "jump", "hash", "round-robin", "weighted-round-robin"])) {
    const opts = /** @type {import("edgeroute").RouterOptions} */ ({ strategy, nodes: NODES.concat([{ id: "d", weight: 2 }]) });
    const one = new Router(opts);
    const many = new Router(opts);
    const batches = [
      [],
      ["only"],
      keys.slice(0, 500),
      keys.concat(keys.map((k) => k.padEnd(32, "-"))), // many windows of joined keys (js/router.js WINDOW_UNITS)
      keys.slice(0, 300).map((k, i) => (i % 3 === 0 ? k + "\u00E9\u6771" : i % 3 === 1 ? enc.encode(k) : k)),
      [..."\uD83C\uDF89x\u00E9"].concat(["", "", "a".repeat(70000), "\u6771".repeat(30000)]),
    ];
    for (const batch of batches) {
      const got = many.pickMany(batch);
      const want = batch.map((k) => one.pick(k));
      check(same(got, want), `${strategy}: pickMany of ${batch.length} keys differs from pick`);
    }
    /** @param {RouterInstance} r */
    const picks = (r) => r.stats().map((s) => s.picks).join(",");
    check(picks(one) === picks(many), `${strategy}: pickMany counted ${picks(many)}, pick ${picks(one)}`);
  }
  const emptied = new Router({ strategy: "maglev", nodes: [{ id: "a" }] });
  emptied.remove("a");
  check(same(emptied.pickMany(["x", "y"]), [undefined, undefined]), "pickMany on an empty pool");
  // Inspection: the ring's points are round(vnodes × weight) per node, ascending, and a key goes to the owner of
  // the first point at or after its position (wrapping).
  const insp = new Router({ strategy: "ring", nodes: [{ id: "a", weight: 2 }, { id: "b" }, { id: "c", weight: 0.5 }], vnodes: 10 });
  const pts = defined(insp.ringPoints());
  check(pts.positions.length === 35 && pts.owners.filter((o) => o === "a").length === 20, `ring points ${pts.positions.length}`);
  check(pts.positions.every((p, i) => p >= 0 && p < 1 && (i === 0 || p >= pts.positions[i - 1])), "ring points ascending in [0, 1)");
  for (const k of keys.slice(0, 300)) {
    const at = insp.keyPosition(k);
    const i = pts.positions.findIndex((p) => p >= at);
    check(insp.pick(k) === pts.owners[i === -1 ? 0 : i], `key ${k} at ${at} goes to the next point's owner`);
  }
  check(new Router({ strategy: "maglev", nodes: NODES }).ringPoints() === null, "no ring, no points");
  // Modulo hashing: weights are slots, and a removal moves most keys (the contrast the demo shows).
  const mod = new Router({ strategy: "hash", nodes: [{ id: "a", weight: 2 }, { id: "b" }, { id: "c" }] });
  const modBefore = keys.map((k) => mod.pick(k));
  check(Math.abs(modBefore.filter((o) => o === "a").length - 1500) < 200, "hash: a owns half the slots");
  mod.remove("c");
  const modMoved = keys.filter((k, i) => mod.pick(k) !== modBefore[i]).length;
  check(modMoved > keys.length / 2, `hash moved ${modMoved} of ${keys.length} on one removal`);
  // Bounded loads: a hot key spills over once its node is at capacity, and comes home when leases end.
  const b = new Router({ strategy: "ring", nodes: [{ id: "a" }, { id: "b" }, { id: "c" }, { id: "d" }], boundedLoad: 1.25 });
  const home = b.pick("hot");
  const leases = Array.from({ length: 40 }, () => defined(b.acquire("hot")));
  const load = Object.fromEntries(b.stats().map((s) => [s.id, s.inflight]));
  check(Object.values(load).every((l) => l <= Math.ceil((1.25 * 40) / 4)), `bounded loads ${JSON.stringify(load)}`);
  check(leases[0].id === home && new Set(leases.map((l) => l.id)).size > 1, "hot key spilled over");
  check(leases.every((l) => l.end({ ok: true, latencyMs: 1 })) && !leases[0].end(), "leases end once");
  check(b.stats().every((s) => s.inflight === 0) && b.pick("hot") === home, "keys return home");
  // toJSON / fromJSON: the same mapping and health come back.
  const snapR = new Router({ strategy: "maglev", nodes: NODES, tableSize: 101, health: { baseEjectionMs: 60000 } });
  snapR.markDown("b", 120000);
  const copy = Router.fromJSON(JSON.stringify(snapR));
  check(same(keys.map((k) => copy.pick(k)), keys.map((k) => snapR.pick(k))), "fromJSON keeps the mapping");
  check(defined(copy.stats().find((s) => s.id === "b")).state === "down", "fromJSON keeps the health");
  copy.markUp("b");
  check(keys.some((k) => copy.pick(k) === "b"), "markUp brings b back");
  // A secret changes the mapping but still spreads keys.
  const sec = new Router({ strategy: "ring", nodes: NODES, secret: "00112233445566778899aabbccddeeff" });
  const secOwn = keys.map((k) => sec.pick(k));
  check(secOwn.some((o, i) => o !== before[i]) && new Set(secOwn).size === 3, "secret ring");
  // Emptying the pool: pick returns undefined.
  for (const id of ["a", "b", "c"]) ring.remove(id);
  check(ring.pick("x") === undefined && ring.pickN("x", 2).length === 0, "empty pool picks nothing");
  return result();
}
