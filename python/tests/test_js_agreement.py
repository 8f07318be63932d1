"""The Python package routes as the npm package does: thousands of ASCII, UTF-8 and byte keys under every strategy
and compat profile (js_agreement.mjs writes what the packed npm package answers), and snapshots that go both ways."""

import json

import edgeroute
from helpers import js_restore, key_of, node_kwargs, router


def apply(r, ops):
    for op in ops:
        if op["op"] == "remove":
            r.remove(op["id"])
        elif op["op"] == "add":
            r.add(node_kwargs(op["node"]))
        else:
            r.set_weight(op["id"], op["weight"])


def test_every_strategy_and_profile_picks_as_the_npm_package(js):
    keys = [key_of(k) for k in js["keys"]]
    kinds = {"str (ASCII)": 0, "str (UTF-8)": 0, "bytes": 0}
    for k in keys:
        kinds["bytes" if isinstance(k, bytes) else "str (ASCII)" if k.isascii() else "str (UTF-8)"] += 1
    assert min(kinds.values()) >= 1000
    strategies, compats, compared = set(), set(), 0
    for c in js["configs"]:
        o = c["options"]
        strategies.add(o["strategy"])
        compats.add(o.get("compat"))
        r = router(o)
        got = [r.pick(k) for k in keys]
        mism = [i for i, (a, b) in enumerate(zip(got, c["picks"])) if a != b]
        assert not mism, f"{o}: {len(mism)} of {len(keys)} picks differ, first {js['keys'][mism[0]]!r}: {got[mism[0]]} vs {c['picks'][mism[0]]}"
        assert r.pick_many(keys[:500]) == c["many"], o
        for i, want in enumerate(c["pickN"]):
            assert r.pick_n(keys[i], 1 + i % 4) == want, (o, js["keys"][i])
        apply(r, c["ops"])
        assert [r.pick(k) for k in keys[:1000]] == c["after"], (o, "after the changes")
        restored = edgeroute.Router.from_json(c["snapshot"])
        assert [restored.pick(k) for k in keys[:500]] == c["afterRestore"], (o, "restored from the JS snapshot")
        compared += len(keys) + 500 + len(c["pickN"]) + 1000 + 500
    assert strategies == {"ring", "rendezvous", "maglev", "jump", "hash", "weighted-round-robin", "round-robin", "random", "least-latency", "least-outstanding"}
    assert compats == {None, "redis", "nginx", "libketama", "twemproxy", "haproxy"}
    print(f"js agreement: {len(js['configs'])} configs x {len(keys)} keys ({kinds}); {compared} answers equal")


def test_snapshots_are_interchangeable_both_ways(js, tmp_path):
    keys = [key_of(k) for k in js["keys"]][:500]
    # JS -> Python: health (marks, an ejection) survives, and routing matches JS's.
    h = js["health"]
    r = edgeroute.Router.from_json(h["snapshot"])
    assert [s["state"] for s in r.stats()] == h["stats"]
    assert [r.pick(k) for k in keys] == h["picks"]
    assert edgeroute.Router.from_json(json.dumps(h["snapshot"])).pick_many(keys) == h["picks"]
    # Python -> JS: the same calls in Python give a snapshot JS restores to the same picks; the options and
    # counters are the ones JS wrote.
    jobs = []
    for c in js["configs"]:
        p = router(c["options"])
        [p.pick(k) for k in [key_of(k) for k in js["keys"]]]
        p.pick_many([key_of(k) for k in js["keys"]][:500])
        for i in range(len(c["pickN"])):
            p.pick_n(key_of(js["keys"][i]), 1 + i % 4)
        apply(p, c["ops"])
        [p.pick(key_of(k)) for k in js["keys"][:1000]]
        snap = p.to_json()
        assert snap["options"] == c["snapshot"]["options"], c["options"]
        assert snap["counters"]["nodes"] == c["snapshot"]["counters"]["nodes"], c["options"]
        jobs.append({"snapshot": json.loads(json.dumps(snap)), "keys": js["keys"][:500]})
    back = js_restore(jobs, tmp_path)
    for job, got in zip(jobs, back):
        restored = edgeroute.Router.from_json(job["snapshot"])
        assert got["picks"] == [restored.pick(key_of(k)) for k in job["keys"]], job["snapshot"]["options"]
        assert got["snapshot"]["options"] == job["snapshot"]["options"]
