"""Zones, priority levels and slow start (docs/traffic.md) through the Python package: the `zone=` keyword of the
picks against the model's own formula (computed here, not read from the core), backups, slow start's ramp in
stats(), bad inputs, and the same ids as the npm package for the same configuration, keys and zones."""

import time

import pytest

import edgeroute
from helpers import key_of, refused, router

KEYED = ["ring", "rendezvous", "maglev", "jump", "hash"]
KEYLESS = ["random", "round-robin", "weighted-round-robin", "least-latency", "least-outstanding"]
KEYS = [f"user:{i}" for i in range(20_000)]


def model_share(healthy):
    """The local share of a caller's picks: min(1, 1.4 x the zone's healthy share), 0 with no healthy local node
    (1.4 is Envoy's overprovisioning factor)."""
    return min(1.0, 1.4 * healthy) if healthy > 0 else 0.0


def zoned(strategy, per=4, **options):
    """Zones a, b, c with `per` nodes each ("a0", "a1", ...), all primaries."""
    nodes = [{"id": f"{z}{i}", "zone": z} for z in "abc" for i in range(per)]
    return edgeroute.Router(strategy=strategy, nodes=nodes, seed=7, **options)


def picks(r, strategy, zone, n=len(KEYS)):
    """n picks with the caller in `zone`: keyed strategies by KEYS (pick_many), keyless ones without a key."""
    if strategy in KEYED:
        return r.pick_many(KEYS[:n], zone=zone)
    return [r.pick(zone=zone) for _ in range(n)]


def share(ids, prefix):
    return sum(1 for i in ids if i is not None and i.startswith(prefix)) / len(ids)


@pytest.mark.parametrize("strategy", KEYED + KEYLESS)
def test_zone_spill_matches_the_model_at_every_local_health(strategy):
    r = zoned(strategy)
    for down in range(5):
        if down:
            r.mark_down(f"a{down - 1}")
        got = picks(r, strategy, "a")
        want = model_share((4 - down) / 4)
        local = share(got, "a")
        assert abs(local - want) < 0.02, f"{strategy}: {down} of 4 local nodes down: local share {local}, model {want}"
        assert not any(i in {f"a{j}" for j in range(down)} for i in got), "a node marked down was picked"
        if down == 4:
            assert local == 0.0
        assert abs(share(got, "b") + share(got, "c") - (1 - want)) < 0.02, "the rest spills to the other zones"


# "hash" is left out: its modulo hands the key of a node it may not pick to the next node in table order, so its
# spill is uneven by design (as its failover is without zones).
SPREAD = [s for s in KEYED + KEYLESS if s != "hash"]


@pytest.mark.parametrize(
    "strategy",
    SPREAD,
)
def test_spilled_picks_spread_evenly_over_the_other_zones_and_the_local_nodes(strategy):
    r = zoned(strategy)
    r.mark_down("a0")
    r.mark_down("a1")  # 50 % healthy: 70 % local, 30 % spilled
    got = picks(r, strategy, "a")
    per = {i: got.count(i) / len(got) for i in sorted(set(got))}
    for i in ("a2", "a3"):
        assert abs(per.get(i, 0) - 0.35) < 0.03, (strategy, per)
    for z in "bc":
        for j in range(4):
            assert abs(per.get(f"{z}{j}", 0) - 0.3 / 8) < 0.015, (strategy, per)


@pytest.mark.parametrize("strategy", KEYED)
def test_keyed_picks_in_a_zone_agree_with_pick_pick_n_and_acquire(strategy):
    r = zoned(strategy)
    r.mark_down("a0")
    r.mark_down("a1")  # 50 % healthy: 70 % of a's keys stay local
    keys = KEYS[:300]
    many = r.pick_many(keys, zone="a")
    assert [r.pick(k, zone="a") for k in keys] == many
    assert [r.pick_n(k, 3, zone="a")[0] for k in keys] == many
    leases = [r.acquire(k, zone="a") for k in keys]
    assert [lease.id for lease in leases if lease] == many
    for lease in leases:
        assert lease is not None and lease.end(ok=True)
    assert all(s["inflight"] == 0 for s in r.stats())


@pytest.mark.parametrize("strategy", KEYED)
def test_no_zone_and_an_unknown_zone_pick_as_without_zones(strategy):
    r = zoned(strategy, per=3)
    plain = edgeroute.Router(strategy=strategy, nodes=[{"id": n["id"]} for n in r.nodes()], seed=7)
    keys = KEYS[:2000]
    want = plain.pick_many(keys)
    assert r.pick_many(keys) == want
    assert r.pick_many(keys, zone=None) == want
    assert r.pick_many(keys, zone="mars") == want  # a zone no node is in is not an error
    assert r.pick_many(keys, zone="") == want  # no zone is named "" (1 to 256 bytes)
    assert r.pick_many(keys, zone="a\ud800") == want  # nor holds a lone surrogate
    assert [r.pick(k, zone="mars") for k in keys[:200]] == want[:200]
    assert [r.pick_n(k, 4, zone="mars") for k in keys[:200]] == [plain.pick_n(k, 4) for k in keys[:200]]
    lease = r.acquire(keys[0], zone="mars")
    assert lease is not None and lease.id == want[0] and lease.end()


@pytest.mark.parametrize("strategy", KEYED + KEYLESS)
def test_pick_n_takes_the_callers_zone_first_and_backups_last(strategy):
    nodes = [
        {"id": "a0", "zone": "a"},
        {"id": "a1", "zone": "a"},
        {"id": "b0", "zone": "b"},
        {"id": "n0"},
        {"id": "x0", "zone": "a", "priority": 1},
        {"id": "x1", "priority": 1},
    ]
    r = edgeroute.Router(strategy=strategy, nodes=nodes, seed=5)
    for k in KEYS[:200]:
        key = k if strategy in KEYED else None
        ids = r.pick_n(key, 6, zone="a")
        assert sorted(ids) == ["a0", "a1", "b0", "n0", "x0", "x1"], (strategy, ids)
        assert {ids[0], ids[1]} == {"a0", "a1"}, (strategy, "local first", ids)
        assert ids[4:] == ["x0", "x1"], (strategy, "backups last, the local one first", ids)
        if strategy in KEYED:
            assert r.pick(k, zone="a") == ids[0]


@pytest.mark.parametrize("strategy", KEYED + KEYLESS)
def test_backups_get_nothing_while_primaries_are_healthy(strategy):
    nodes = [{"id": f"p{i}"} for i in range(4)] + [{"id": f"b{i}", "priority": 1} for i in range(2)]
    r = edgeroute.Router(strategy=strategy, nodes=nodes, seed=3)
    assert [n.get("priority", 0) for n in r.nodes()] == [0, 0, 0, 0, 1, 1]
    assert share(picks(r, strategy, None), "b") == 0.0
    assert all(s["picks"] == 0 for s in r.stats() if s["id"].startswith("b"))
    # Level 0 keeps min(1, 1.4 x its healthy share); the backups take the rest.
    for down in range(1, 5):
        r.mark_down(f"p{down - 1}")
        want = 1 - model_share((4 - down) / 4)
        got = share(picks(r, strategy, None), "b")
        assert abs(got - want) < 0.02, f"{strategy}: {down} primaries down: backups {got}, model {want}"
    for i in range(4):
        r.mark_up(f"p{i}")
    assert share(picks(r, strategy, None), "b") == 0.0, "traffic returns when the primaries recover"


def test_slow_start_ramps_a_new_nodes_effective_weight():
    # A long window: right after the add, the new node carries its floor, 10 % of its weight.
    r = edgeroute.Router(strategy="random", nodes=[{"id": f"n{i}"} for i in range(3)], seed=11, slow_start_ms=600_000, slow_start_min_percent=10)
    assert [s["effective_weight"] for s in r.stats()] == [1, 1, 1], "nodes given at construction do not ramp"
    r.add("new")
    r.pick()  # the ramp begins at the first pick after the add
    ids = [r.pick() for _ in range(40_000)]
    want = 0.1 / 3.1
    assert abs(share(ids, "new") - want) < 0.01, share(ids, "new")
    ew = {s["id"]: s["effective_weight"] for s in r.stats()}
    assert 0.1 <= ew["new"] < 0.101 and ew["n0"] == 1, ew

    # A short window, read against the wall clock (Python passes whole milliseconds since the epoch, as JS's
    # Date.now()): Envoy's ramp with aggression 1, max(floor, elapsed / window), then the full weight.
    window, floor = 400, 0.2
    r = edgeroute.Router(strategy="least-outstanding", nodes=[{"id": "a"}, {"id": "b"}], seed=1, slow_start_ms=window, slow_start_min_percent=floor * 100)
    r.add({"id": "c", "zone": "x"})
    before = time.time() * 1000
    r.pick(zone="x")
    after = time.time() * 1000
    seen = []
    while True:
        t0 = time.time() * 1000
        ew = next(s["effective_weight"] for s in r.stats() if s["id"] == "c")
        t1 = time.time() * 1000
        lo = max(floor, (t0 - after - 2) / window)
        hi = max(floor, (t1 - before + 2) / window)
        assert min(lo, 1) - 1e-9 <= ew <= min(hi, 1) + 1e-9, (ew, lo, hi)
        seen.append(ew)
        if ew == 1:
            break
        time.sleep(0.05)
    # Each reading is bounded by the clock around it (above), so how long the loop took does not matter: a
    # loaded machine may sleep longer and see fewer steps.
    assert seen == sorted(seen) and len(set(seen)) >= 2, seen

    # A node marked up ramps back from its floor.
    r.mark_down("a")
    r.pick()
    r.mark_up("a")
    r.pick()
    ew = next(s["effective_weight"] for s in r.stats() if s["id"] == "a")
    assert floor <= ew < 0.5, ew


def test_zones_priorities_and_slow_start_in_nodes_snapshots_and_set_nodes():
    r = edgeroute.Router(
        strategy="least-outstanding",
        seed=1,
        slow_start_ms=500,
        slow_start_min_percent=25,
        nodes=[{"id": "a", "zone": "x"}, {"id": "b", "zone": "y", "priority": 2}, {"id": "c"}],
    )
    assert r.nodes() == [{"id": "a", "weight": 1, "zone": "x"}, {"id": "b", "weight": 1, "zone": "y", "priority": 2}, {"id": "c", "weight": 1}]
    snap = r.to_json()
    assert snap["options"]["slowStartMs"] == 500 and snap["options"]["slowStartMinPercent"] == 25
    assert edgeroute.Router.from_json(snap).to_json() == snap
    # A lease of a node whose zone changes ends False: set_nodes replaced that node (removed and added), as JS's
    # Router sees it.
    lease = r.acquire(zone="x")
    assert lease is not None and lease.id == "a"
    nodes = r.nodes()
    nodes[0]["zone"] = "y"
    assert r.set_nodes(nodes) == {"added": 1, "removed": 1, "reweighted": 0}
    assert lease.end(ok=True) is False
    assert [s["inflight"] for s in r.stats()] == [0, 0, 0]
    assert next(s["effective_weight"] for s in r.stats() if s["id"] == "a") == 0.25, "the rejoined node ramps from 25 %"
    # add's keywords, as a node dict's fields.
    r.add("d", zone="x", priority=1)
    r.add({"id": "e", "zone": "x", "priority": 1})
    assert r.nodes()[-2:] == [{"id": "d", "weight": 1, "zone": "x", "priority": 1}, {"id": "e", "weight": 1, "zone": "x", "priority": 1}]


def test_bad_inputs():
    r = zoned("ring")
    before = r.pick_many(KEYS[:100], zone="a")
    counts = [s["picks"] for s in r.stats()]
    for bad in (3, 1.5, True, b"a", ["a"], {"zone": "a"}):
        msg = refused("ERR_INVALID_OPTION", r.pick, "k", zone=bad)
        assert msg.startswith("pick(key, zone): zone must be a zone name (a str) or None, got "), msg
        assert "pickN(key, n, zone)" in refused("ERR_INVALID_OPTION", r.pick_n, "k", 2, zone=bad)
        assert "pickMany(keys, zone)" in refused("ERR_INVALID_OPTION", r.pick_many, ["k"], zone=bad)
        assert "acquire(key, zone)" in refused("ERR_INVALID_OPTION", r.acquire, "k", zone=bad)
    assert refused("ERR_INVALID_OPTION", r.pick, "k", zone=3).endswith("got the number 3")
    # A bad key is still the key's error; the zone is read after it.
    refused("ERR_INVALID_KEY", r.pick, 7, zone="a")
    assert [s["picks"] for s in r.stats()] == counts, "a refused pick counts nothing"
    assert r.pick_many(KEYS[:100], zone="a") == before
    # An unknown zone is no error: it picks from every zone.
    assert r.pick("k", zone="mars") == r.pick("k")
    # zone is keyword-only, and the picks take no other option: Python's own TypeError, as for any bad keyword.
    with pytest.raises(TypeError):
        r.pick("k", "a")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        r.pick("k", region="a")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        r.pick_n("k", 2, "a")  # type: ignore[call-arg]
    # Node fields and options, checked by the core with JS's codes.
    R = edgeroute.Router
    refused("ERR_INVALID_OPTION", r.add, "z", zone="")
    refused("ERR_INVALID_OPTION", r.add, "z", zone=7)
    refused("ERR_INVALID_OPTION", r.add, "z", priority=256)
    refused("ERR_INVALID_OPTION", r.add, "z", priority=-1)
    refused("ERR_INVALID_OPTION", r.add, "z", priority=1.5)
    refused("ERR_INVALID_OPTION", r.add, "z", zone="z" * 257)
    refused("ERR_INVALID_OPTION", r.add, {"id": "z"}, zone="x")  # give zone inside the dict
    refused("ERR_INVALID_OPTION", r.set_nodes, [{"id": "a0", "priority": "1"}])
    refused("ERR_UNKNOWN_FIELD", R, strategy="ring", compat="nginx", nodes=[{"id": "10.0.0.1:80", "zone": "x"}])
    refused("ERR_UNKNOWN_OPTION", R, strategy="ring", nodes=[{"id": "a"}], slow_start_ms=1000)  # keyed strategies do not ramp
    assert "slow_start_ms" in refused("ERR_UNKNOWN_OPTION", R, strategy="random", nodes=[{"id": "a"}], slowStartMs=1000)
    refused("ERR_INVALID_OPTION", R, strategy="random", nodes=[{"id": "a"}], slow_start_ms=0)
    refused("ERR_INVALID_OPTION", R, strategy="random", nodes=[{"id": "a"}], slow_start_min_percent=20)
    refused("ERR_INVALID_OPTION", R, strategy="random", nodes=[{"id": "a"}], slow_start_ms=10, slow_start_min_percent=101)
    assert len(r) == 12


def replay(r, step, keys, keyless, held):
    """One step of js_agreement.mjs's ZONE_STEPS, as zoneStep runs it in JS. Leases go into `held`: as in JS,
    they stay in flight, and the in-flight counts weigh on least-outstanding's later picks."""
    zone = step.get("zone")
    ks = keys if "count" not in step else keys[: step["count"]]
    op = step["op"]
    if op == "pick":
        return [r.pick(k, zone=zone) for k in ks]
    if op == "pickNoKey":
        return [r.pick(zone=zone) for _ in ks] if keyless else None
    if op == "pickMany":
        return r.pick_many(ks, zone=zone)
    if op == "pickN":
        return [r.pick_n(k, step["n"], zone=zone) for k in ks]
    if op == "acquire":
        leases = [r.acquire(k, zone=zone) for k in ks]
        held.extend(leases)
        return [lease.id if lease else None for lease in leases]
    if op == "markDown":
        for i in step["ids"]:
            r.mark_down(i)
        return None
    raise AssertionError(f"unknown step {op}")


def test_zone_picks_agree_with_the_npm_package(js):
    strategies, compared = set(), 0
    for c in js["zones"]:
        o = c["options"]
        strategies.add(o["strategy"])
        keys = [key_of(k) for k in c["keys"]]
        r = router(o)
        keyless, held = o["strategy"] in KEYLESS, []
        assert len(c["steps"]) == len(c["results"])
        for i, (step, want) in enumerate(zip(c["steps"], c["results"])):
            got = replay(r, step, keys, keyless, held)
            if want is not None:
                mism = [j for j, (a, b) in enumerate(zip(got, want)) if a != b]
                assert len(got) == len(want) and not mism, f"{o['strategy']}: step {i} {step}: {len(mism)} differ, first {mism[:1]}: {got[mism[0]] if mism else ''} vs {want[mism[0]] if mism else ''}"
                compared += len(want)
        snap = r.to_json()
        assert snap["options"] == c["snapshot"]["options"], o
        restored = edgeroute.Router.from_json(c["snapshot"])
        assert restored.pick_many(keys, zone="a") == c["afterRestore"], (o, "restored from the JS snapshot")
        compared += len(keys)
    assert strategies == set(KEYED + KEYLESS)
    print(f"zones: {len(js['zones'])} configs, {compared} zone picks equal to the npm package's")
