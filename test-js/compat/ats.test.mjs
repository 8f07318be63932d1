// compat "ats" against Debian's Apache Traffic Server 9.2 on loopback: parent.config round_robin=consistent_hash
// (weights, hash_string, 3 to 10 parents, one removed, two parents on one host, qstring=ignore, a parent whose
// origin is down) sends every key where Router.pick does, and a failed first parent's keys where pickN(key, 2)[1]
// says; the counts are printed.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Router } from "edgeroute";
import { freePort, makeKeys, stopAll } from "./daemons.mjs";
import { startOrigin, startTrafficServer, stop, stopOrigins, ask } from "./proxies.mjs";

after(async () => {
  stopOrigins();
  await stopAll();
});

const N = Number(process.env.COMPAT_KEYS ?? 1800);

/**
 * The string ATS hashes for a request target (ParentConsistentHash::getPathHash): "/", the path without its
 * leading slashes (ATS's URL keeps none: "//a" and "///a" hash as "/a") up to its first ";", then "?" and the
 * query when the target has a "?" (even an empty one); never a "#fragment". With `qstring=ignore`, no query.
 */
function atsKey(target, ignoreQuery = false) {
  const t = target.split("#")[0];
  const q = t.indexOf("?");
  const path = (q < 0 ? t : t.slice(0, q)).split(";")[0].replace(/^\/+/, "/");
  return ignoreQuery || q < 0 ? path : `${path}?${t.slice(q + 1)}`;
}

/**
 * Request targets from the shared keys: ATS answers 400 to raw bytes ≥ 0x80 and to spaces, so UTF-8 arrives
 * percent-encoded; punctuation stays raw in a third of them (";" starts path parameters, "#" a fragment), and
 * some carry a query or path parameters of their own.
 */
function targets(n) {
  return makeKeys(n).map((k, i) => {
    const enc =
      i % 3 === 0
        ? encodeURI(k)
        : i % 3 === 1
          ? k.replace(/[^\x21-\x7e]|%/gu, (c) => encodeURIComponent(c))
          : encodeURIComponent(k);
    const tail = ["", "?v=" + i, ";p=" + i, "?", "?a=1;b=2&c=%C3%A9"][i % 5];
    return `/${enc}${tail}`;
  });
}

function agree(router, keys, observed, what) {
  const bad = [];
  for (let i = 0; i < keys.length; i++) {
    const got = router.pick(keys[i]);
    if (got !== observed[i]) bad.push(`${JSON.stringify(keys[i])}: ATS ${observed[i]}, Router ${got}`);
  }
  const ws = router.nodes().map((x) => x.weight).join(",");
  console.log(`${what}: ${keys.length - bad.length}/${keys.length} keys agree, ${bad.length} differ (${router.nodes().length} parents, weights ${ws})`);
  assert.equal(bad.length, 0, `${what}: ${bad.length} of ${keys.length} keys disagree, e.g.\n${bad.slice(0, 5).join("\n")}`);
  assert.ok(new Set(observed).size > 1, `${what}: all keys went to one parent`);
}

const HOSTS = Array.from({ length: 11 }, (_, i) => `127.0.3.${10 + i}`);

test("ats: parent.config consistent_hash, weights, hash_string, 3 to 10 parents, one removed, one host twice, qstring=ignore, a parent down", async () => {
  const port = await freePort();
  const port2 = await freePort();
  const origins = new Map();
  for (const h of HOSTS) origins.set(`${h}:${port}`, await startOrigin(`${h}:${port}`, h, port));
  await startOrigin(`${HOSTS[0]}:${port2}`, HOSTS[0], port2);
  const reqs = targets(N);
  const at = (k, p = port) => `${HOSTS[k]}:${p}`;
  const scenarios = [
    { what: "3 parents", nodes: [0, 1, 2].map((k) => ({ id: at(k) })) },
    { what: "10 parents, weights", nodes: [...Array(10).keys()].map((k) => ({ id: at(k), weight: [1, 2, 0.5, 3, 1, 1, 2.25, 1, 4, 1.5][k] })) },
    { what: "10 minus one", nodes: [...Array(10).keys()].filter((k) => k !== 3).map((k) => ({ id: at(k) })) },
    { what: "hash_string, 5 parents", nodes: [0, 1, 2, 3, 4].map((k) => ({ id: at(k), hashString: ["alpha", "βeta", "ガンマ", "🎉", "e:80"][k], weight: 1 + (k % 2) })) },
    // The hostname is hashed, not the port: the second parent on 127.0.3.10 has the first one's points, and
    // std::map keeps the first.
    { what: "one host twice", nodes: [{ id: at(0) }, { id: at(0, port2) }, { id: at(1) }, { id: at(2) }], never: at(0, port2) },
    { what: "qstring=ignore, 4 parents", qstring: true, nodes: [4, 5, 6, 7].map((k) => ({ id: at(k) })) },
    { what: "a parent's origin down, 6 parents", down: 2, nodes: [0, 1, 2, 3, 4, 5].map((k) => ({ id: at(k), weight: 1 + (k % 3) })) },
  ];
  for (const s of scenarios.filter((x) => !process.env.ATS_ONLY || x.what.includes(process.env.ATS_ONLY))) {
    const list = s.nodes.map((n) => `${n.id}|${n.weight ?? 1}${n.hashString ? `&${n.hashString}` : ""}`).join(";");
    const line = `dest_domain=. parent="${list}" round_robin=consistent_hash go_direct=false parent_is_proxy=false${s.qstring ? " qstring=ignore" : ""}`;
    const r = new Router({ strategy: "ring", compat: "ats", nodes: s.nodes });
    const keys = reqs.map((t) => atsKey(t, s.qstring));
    if (s.down !== undefined) {
      const down = at(s.down);
      const o = origins.get(down);
      o.close();
      for (const c of o.conns) c.destroy();
    }
    const ap = await freePort();
    const proc = await startTrafficServer(ap, line);
    const observed = await ask(ap, reqs.map((p) => ({ path: p })));
    if (s.down !== undefined) {
      const down = at(s.down);
      const firsts = keys.filter((k) => r.pick(k) === down).length;
      const bad = keys.filter((k, i) => r.pick(k) === down && r.pickN(k, 2)[1] !== observed[i]);
      console.log(`ats ${s.what}: ${firsts} keys had ${down} first; ${firsts - bad.length} went to pickN(key, 2)[1], ${bad.length} differ`);
      assert.equal(bad.length, 0, bad.slice(0, 5).join("\n"));
      assert.ok(firsts > N / 20);
      r.markDown(down);
      agree(r, keys, observed, `ats ${s.what}, marked down`);
    } else {
      agree(r, keys, observed, `ats ${s.what}`);
    }
    if (s.never) {
      assert.ok(!observed.includes(s.never), `${s.never} shares its host's points and never wins`);
      console.log(`ats ${s.what}: ${s.never} took 0 keys (its host's points went to ${at(0)})`);
    }
    r.free();
    await stop(proc);
  }
});
