"""The Python API around the core: health, leases, inspection, the package as installed."""

import json
import re

import pytest

import edgeroute
from helpers import PKG, ROOT, key_of

NODES = [{"id": "a", "weight": 2}, {"id": "b"}, {"id": "c"}]


def test_the_installed_wheel_is_tested():
    assert "site-packages" in edgeroute.__file__, edgeroute.__file__
    version = re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
    assert edgeroute.__version__ == version
    assert edgeroute._edgeroute.__file__.endswith(".abi3.so")
    package = __import__("pathlib").Path(edgeroute.__file__).parent
    for f in ("py.typed", "_edgeroute.pyi", "__init__.py", "registry.py"):
        assert (package / f).exists(), f


def test_the_lua_scripts_are_the_npm_packages():
    scripts = edgeroute._edgeroute._scripts()
    assert sorted(scripts) == ["pick", "random", "read", "write"]
    for name, source in scripts.items():
        assert source == (PKG / "lua" / f"{name}.lua").read_text(), name


def test_inspection_as_js(js):
    r = edgeroute.Router(strategy="ring", nodes=[{"id": f"origin-{i + 1}.example:8080", "weight": w} for i, w in enumerate([1, 2, 1])], seed=5, vnodes=20)
    assert r.ring_points() == js["inspect"]["points"]
    assert [r.key_position(key_of(k)) for k in js["keys"][:300]] == js["inspect"]["positions"]
    assert edgeroute.Router(strategy="random", nodes=NODES).ring_points() is None


def test_ats_hash_string_and_envoy_ring_options():
    r = edgeroute.Router(strategy="ring", compat="ats", nodes=[{"id": "10.0.0.1:80", "hash_string": "cache-a"}])
    r.add("10.0.0.2:80", weight=0.5, hash_string="cache-b")
    assert r.nodes() == [
        {"id": "10.0.0.1:80", "weight": 1, "hash_string": "cache-a"},
        {"id": "10.0.0.2:80", "weight": 0.5, "hash_string": "cache-b"},
    ]
    e = edgeroute.Router(strategy="ring", compat="envoy", min_ring_size=12, hash_function="murmur2", nodes=[{"id": "127.0.0.1:80"}, {"id": "127.0.0.1:81"}])
    # The JS package answers the same: golden case envoy-ring-murmur2 pins that ring.
    assert e.pick("envoy-0") in ("127.0.0.1:80", "127.0.0.1:81")
    m = edgeroute.Router(strategy="maglev", compat="envoy", table_size=7, nodes=[{"id": f"127.0.0.1:{p}"} for p in range(90, 96)])
    assert len(set(m.pick(f"k{i}") for i in range(50))) > 1

def test_surface():
    r = edgeroute.Router(strategy="ring", compat="haproxy", nodes=[{"id": "s1", "weight": 2, "server_id": 4}, {"id": "s2"}])
    assert r.strategy == "ring" and len(r) == 2 and "ring" in repr(r)
    assert r.nodes() == [{"id": "s1", "weight": 2, "server_id": 4}, {"id": "s2", "weight": 1}]
    r.add("s3", weight=3, server_id=9)
    r.add({"id": "s4", "server_id": 10})
    assert [n["id"] for n in r.nodes()] == ["s1", "s2", "s3", "s4"]
    assert r.remove("s4") is True and r.remove("s4") is False
    t = edgeroute.Router(strategy="ring", compat="twemproxy", nodes=[{"id": "10.0.0.1:11211", "name": "cache-a"}])
    assert t.nodes() == [{"id": "10.0.0.1:11211", "weight": 1, "name": "cache-a"}]
    stats = edgeroute.Router(strategy="ring", nodes=NODES).stats()
    assert set(stats[0]) == {"id", "weight", "effective_weight", "picks", "successes", "failures", "inflight", "ewma_ms", "state", "ejected_until", "down_until", "ejections", "ejections_total", "consecutive_failures"}
    empty = edgeroute.Router(strategy="random", nodes=[{"id": "x"}])
    empty.remove("x")
    assert empty.pick() is None and empty.pick_n(None, 3) == [] and len(empty) == 0
    assert edgeroute.Router.from_json(empty.to_json()).pick() is None


def test_health_marks_and_ejection():
    r = edgeroute.Router(strategy="rendezvous", nodes=NODES, seed=1, health={"consecutive_failures": 2, "base_ejection_ms": 60000})
    keys = [f"k{i}" for i in range(300)]
    home = r.pick_many(keys)
    r.mark_down("a")
    assert "a" not in r.pick_many(keys)
    assert {s["id"]: s["state"] for s in r.stats()}["a"] == "down"
    r.mark_up("a")
    assert r.pick_many(keys) == home
    r.mark_down("b", 60000)
    assert {s["id"]: s["down_until"] is not None for s in r.stats()}["b"]
    r.mark_up("b")
    r.report("c", ok=False, latency_ms=3)
    r.report("c", ok=False)
    state = {s["id"]: s for s in r.stats()}["c"]
    assert state["state"] == "ejected" and state["ejections_total"] == 1
    assert "c" not in r.pick_many(keys)
    snap = json.loads(json.dumps(r.to_json()))
    assert [h for h in snap["health"] if h["id"] == "c"][0]["ejectedUntil"] > 0
    assert edgeroute.Router.from_json(snap).pick_many(keys) == r.pick_many(keys)
    r.mark_up("c")
    assert r.pick_many(keys) == home


def test_leases():
    r = edgeroute.Router(strategy="ring", nodes=NODES, bounded_load=1.25, seed=2)
    lease = r.acquire("k")
    assert isinstance(lease, edgeroute.Lease) and lease.id in "abc"
    assert {s["id"]: s["inflight"] for s in r.stats()}[lease.id] == 1
    assert lease.end(ok=True, latency_ms=4) is True and lease.end() is False
    with pytest.raises(RuntimeError):
        with r.acquire("k") as held:
            raise RuntimeError("the request failed")
    assert {s["id"]: s["failures"] for s in r.stats()}[held.id] == 1
    gone = r.acquire("k")
    r.remove(gone.id)
    r.add(gone.id)
    assert gone.end(ok=True) is False  # its node was removed (and a new one of that id added) meanwhile
    r.begin("a")
    r.end("a", ok=True, latency_ms=2.5)
    assert all(s["inflight"] == 0 for s in r.stats())
