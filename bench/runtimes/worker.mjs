// bench/runtimes.mjs runs this in workerd (Miniflare, nodejs_compat). One request = one contender × shape × round,
// so the host can time each from outside: GET /run?s=<shape index>&c=<contender>&reps=<n> runs `reps` passes of the
// contender over the shape's keys and answers { sink, ms } (ms: this isolate's own performance.now() across the
// passes, kept as a cross-check: deployed Workers freeze it within a request). GET /empty answers at once (the
// host's baseline). GET /check?s=<i> builds the shape's keys and asserts pick ≡ pickMany. GET /info: the setup.
import { Router } from "./workerd.js";
import { HashRing, ConsistentHash } from "./peers.mjs";
import { SHAPES, makeContenders, shapeKeys, batchesOf, checkSame, pass, WARMUP_KEYS } from "./core.mjs";

let built;
const shapes = new Map();
const contenders = () => (built ??= makeContenders({ Router, HashRing, ConsistentHash }));
function shape(i) {
  if (!shapes.has(i)) {
    shapes.clear(); // one shape's keys at a time
    const keys = shapeKeys(SHAPES[i]);
    const warmKeys = keys.slice(0, WARMUP_KEYS);
    shapes.set(i, { keys, chunks: batchesOf(keys), warmKeys, warmChunks: batchesOf(warmKeys) });
  }
  return shapes.get(i);
}
const json = (v) => new Response(JSON.stringify(v), { headers: { "content-type": "application/json" } });

export default {
  async fetch(req) {
    const u = new URL(req.url);
    const q = (k) => u.searchParams.get(k);
    try {
      switch (u.pathname) {
        case "/empty":
          return new Response("0");
        case "/info": {
          const { contenders: c, skipped } = contenders();
          return json({ contenders: Object.keys(c), skipped });
        }
        case "/check": {
          const s = shape(Number(q("s")));
          return json({ checked: checkSame(contenders().contenders, s.keys, s.chunks), keys: s.keys.length });
        }
        case "/warm": {
          const s = shape(Number(q("s")));
          for (const f of Object.values(contenders().contenders)) pass(f, s.warmKeys, s.warmChunks);
          return json({ ok: true });
        }
        case "/run": {
          const s = shape(Number(q("s")));
          const f = contenders().contenders[q("c")];
          const reps = Number(q("reps") ?? 1);
          const t = performance.now();
          const sink = pass(f, s.keys, s.chunks, reps);
          return json({ sink, ms: performance.now() - t });
        }
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      return new Response(String(e?.stack ?? e), { status: 500 });
    }
  },
};
