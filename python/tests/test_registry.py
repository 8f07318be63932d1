"""The Registry against a real redis-server: the layout and scripts of the JS package, pick.lua agreeing with the
Router for thousands of keys, writers racing with if_version, and Redis's own errors as coded errors."""

import itertools
import threading

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import edgeroute
from edgeroute import Registry
from helpers import js_registry, key_of

NODES = [("a", 1), ("b", 2.5), ("東京", 1 / 3), ("c", 3), ("d", 4), ("origin-5.example:8080", 0.75)]
names = (f"test-{i}" for i in itertools.count())


@pytest.fixture
def client(redis_server):
    c = redis_server.client()
    yield c
    c.close()


def fill(reg):
    for id, w in NODES:
        reg.add(id, weight=w, meta={"zone": "eu"} if id == "a" else None)


def agree(reg, router, keys, pick_n=100):
    """pick.lua in Redis and the Router: the same id for every key, the same failover lists for some."""
    redis_picks = [reg.pick(k) for k in keys]
    assert redis_picks == router.pick_many(keys)
    for k in keys[:pick_n]:
        assert reg.pick_n(k, 3) == router.pick_n(k, 3), k
    return len(keys) + pick_n


def test_pick_lua_agrees_with_the_router(client, js):
    keys = [key_of(k) for k in js["keys"]]
    checked = 0
    for seed in (0, 7, 4294967295):
        reg = Registry(client, name=next(names), seed=seed)
        fill(reg)
        router = reg.router()
        assert router.to_json()["options"]["compat"] == "redis"
        checked += agree(reg, router, keys if seed == 7 else keys[::3])
        # Health keys: a mark with a TTL and one until mark_up, seen by pick.lua and, after refresh, the Router.
        reg.mark_down("c", 60000)
        reg.mark_down("d")
        assert reg.refresh(router) is True and reg.refresh(router) is False
        checked += agree(reg, router, keys[:1000])
        assert "c" not in router.pick_many(keys[:1000])
        reg.mark_up("c")
        reg.mark_up("d")
        reg.remove("b")
        reg.set_weight("a", 9)
        reg.add("e", weight=0.001)
        assert reg.refresh(router) is True
        checked += agree(reg, router, keys[:1000])
    print(f"pick.lua agreement: {checked} picks and pick_n lists equal across 3 seeds, marks and changes")


def js_interop(client, js, tmp_path, count, port=None, cluster=None):
    """Python writes a registry; the JS Registry (on one server's port, or on the cluster's ports) loads it, picks
    in Redis and by its Router what Python picks, and adds a node that Python then reads."""
    name = next(names)
    reg = Registry(client, name=name, seed=3)
    fill(reg)
    reg.mark_down("d", 120000)
    mine = reg.load()
    keys = [key_of(k) for k in js["keys"][:count]]
    picks, router_picks, lists = [reg.pick(k) for k in keys], reg.router().pick_many(keys), [reg.pick_n(k, 3) for k in keys[:50]]
    out = js_registry(port, name, 3, js["keys"][:count], tmp_path, cluster=cluster)
    assert out["loaded"]["version"] == mine["version"] and out["loaded"]["stamp"] == mine["stamp"]
    assert out["loaded"]["nodes"] == mine["nodes"]
    assert [d["id"] for d in out["loaded"]["down"]] == ["d"] == [d["id"] for d in mine["down"]]
    assert out["inRedis"] == out["byRouter"] == picks == router_picks
    assert out["pickN"] == lists
    assert reg.version() == out["version"] == mine["version"] + 1
    assert {"id": "added-by-js", "weight": 2.5, "meta": {"zone": "js"}} in reg.load()["nodes"]


def test_the_js_registry_reads_what_python_wrote_and_the_other_way(client, redis_server, js, tmp_path):
    js_interop(client, js, tmp_path, 600, port=redis_server.port)


def race(connect, name, writers, each):
    """`writers` threads, each with its own client from connect(), doing `each` writes with if_version and retrying
    on ERR_REGISTRY_CONFLICT. Checks no write was lost; returns the number of conflicts."""
    versions, conflicts, failures, clients = [], [0], [], []
    lock = threading.Lock()

    def client():
        c = connect()
        with lock:
            clients.append(c)
        return c

    Registry(client(), name=name).add("a", weight=1)
    start = Registry(client(), name=name).version()

    def writer(i):
        try:
            reg = Registry(client(), name=name)
            done = 0
            while done < each:
                seen = reg.version()
                try:
                    v = reg.set_weight("a", 1 + (i * each + done) % 100, if_version=seen)
                except edgeroute.EdgerouteError as e:
                    assert e.code == "ERR_REGISTRY_CONFLICT", e
                    with lock:
                        conflicts[0] += 1
                    continue
                assert v == seen + 1
                with lock:
                    versions.append(v)
                done += 1
        except BaseException as e:  # a thread's failure fails the test, not only its thread
            failures.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures
        # Every write that succeeded moved the version by one from the version its writer read: none was lost.
        assert sorted(versions) == list(range(start + 1, start + 1 + writers * each))
        assert Registry(client(), name=name).version() == start + writers * each
    finally:
        for c in clients:
            c.close()
    return conflicts[0]


def test_concurrent_writers_with_if_version(redis_server):
    name = next(names)
    writers, each = 8, 25
    conflicts = race(redis_server.client, name, writers, each)
    print(f"if_version: {writers} writers x {each} writes, {conflicts} conflicts retried, no write lost")
    # if_stamp: a write against a stale stamp is refused too.
    reg = Registry(redis_server.client(), name=name)
    rev = reg.revision()
    reg.mark_down("a", 1000, if_stamp=rev["stamp"])
    with pytest.raises(edgeroute.EdgerouteError) as info:
        reg.mark_up("a", if_stamp=rev["stamp"])
    assert info.value.code == "ERR_REGISTRY_CONFLICT"


def test_pick_random_follows_the_weights(client):
    reg = Registry(client, name=next(names))
    for id, w in (("w1", 1), ("w2", 3)):
        reg.add(id, weight=w)
    assert reg.pick_random(0.0) == "w1" and reg.pick_random(0.2499) == "w1" and reg.pick_random(0.25) == "w2"
    assert reg.pick_random(0.9999999999999999) == "w2"
    counts = {"w1": 0, "w2": 0}
    for _ in range(2000):
        counts[reg.pick_random()] += 1
    assert abs(counts["w1"] - 500) < 5 * (2000 * 0.25 * 0.75) ** 0.5
    reg.mark_down("w1")
    reg.mark_down("w2")
    assert reg.pick_random() is None and reg.pick("k") is None and reg.pick_n("k", 2) == []


def coded(code, f, *args, **kw):
    with pytest.raises(edgeroute.EdgerouteError) as info:
        f(*args, **kw)
    assert info.value.code == code, (info.value.code, str(info.value))
    return str(info.value)


def test_errors(client):
    name = next(names)
    reg = Registry(client, name=name)
    coded("ERR_REGISTRY_MISSING", reg.pick, "k")
    reg.add("a", weight=2)
    coded("ERR_DUPLICATE_ID", reg.add, "a")
    coded("ERR_UNKNOWN_NODE", reg.set_weight, "zz", 2)
    coded("ERR_INVALID_WEIGHT", reg.add, "b", weight=0)
    coded("ERR_INVALID_WEIGHT", reg.add, "b", weight=True)
    coded("ERR_INVALID_ID", reg.add, "")
    coded("ERR_INVALID_ID", reg.remove, "\ud800")
    coded("ERR_REGISTRY_BAD_META", reg.add, "b", meta={"region": "x"})
    coded("ERR_UNKNOWN_FIELD", reg.add, {"id": "b", "zone": "eu"})
    coded("ERR_INVALID_KEY", reg.pick, 42)
    coded("ERR_INVALID_KEY", reg.pick, "a\udc00")
    coded("ERR_INVALID_KEY", reg.pick, b"k" * ((1 << 20) + 1))
    coded("ERR_INVALID_COUNT", reg.pick_n, "k", 0)
    coded("ERR_INVALID_OPTION", reg.pick_random, 1.0)
    coded("ERR_INVALID_OPTION", reg.mark_down, "a", 0)
    coded("ERR_INVALID_OPTION", reg.set_weight, "a", 2, if_version=-1)
    coded("ERR_INVALID_OPTION", reg.set_weight, "a", 2, if_stamp="no")
    assert "version 1" in coded("ERR_REGISTRY_CONFLICT", reg.set_weight, "a", 3, if_version=0)
    coded("ERR_INVALID_OPTION", Registry, client, name="a{b}")
    coded("ERR_INVALID_OPTION", Registry, client, name="x", seed=-1)
    coded("ERR_INVALID_OPTION", Registry, object(), name="x")
    coded("ERR_INVALID_OPTION", reg.router, nodes=[])
    coded("ERR_INVALID_OPTION", reg.router, seed=3)
    coded("ERR_INVALID_OPTION", reg.refresh, edgeroute.Router(strategy="ring", nodes=[{"id": "a"}]))
    # What Redis itself holds or says: wrong types, bad versions, a busy or read-only server.
    client.set(reg.keys["version"], "01")
    coded("ERR_REGISTRY_BAD_VERSION", reg.version)
    coded("ERR_REGISTRY_BAD_VERSION", reg.add, "b")
    client.delete(reg.keys["version"])
    client.delete(reg.keys["nodes"])
    client.set(reg.keys["nodes"], "x")
    coded("ERR_REGISTRY_WRONG_TYPE", reg.pick, "k")
    coded("ERR_REGISTRY_WRONG_TYPE", reg.load)
    client.delete(reg.keys["nodes"])
    client.zadd(reg.keys["nodes"], {"a": 0})
    coded("ERR_REGISTRY_BAD_WEIGHT", reg.pick, "k")
    client.zadd(reg.keys["nodes"], {"a": 1})
    client.config_set("min-replicas-to-write", 1)
    try:
        assert "NOREPLICAS" in coded("ERR_REGISTRY_REDIS", reg.add, "b")
    finally:
        client.config_set("min-replicas-to-write", 0)
    # A failure that is no Redis reply propagates as the client raised it.
    dead = Registry(redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)), name="x")
    with pytest.raises(redis.exceptions.ConnectionError):
        dead.pick("k")


def test_scripts_load_again_after_a_flush_and_str_replies_work(redis_server):
    c = redis_server.client(decode_responses=True)
    reg = Registry(c, name=next(names), seed=5)
    fill(reg)
    router = reg.router()
    c.script_flush()
    keys = [f"k{i}" for i in range(200)] + ["ключ", b"\xff\x00"]
    assert [reg.pick(k) for k in keys] == router.pick_many(keys)
    assert {"id": "a", "weight": 1.0, "meta": {"zone": "eu"}} in reg.load()["nodes"]
    empty = Registry(c, name=next(names))
    empty.add("x")
    empty.remove("x")
    r = empty.router()
    assert len(r) == 0 and r.pick("k") is None and empty.pick("k") is None
    empty.add("y", weight=2)
    assert empty.refresh(r) and r.pick("k") == "y" == empty.pick("k")


# A 3-master Redis Cluster (conftest.redis_cluster), through redis-py's RedisCluster: every key of a registry is in
# one slot (the hash tag {name}), so each script runs on the master holding that slot.


@pytest.fixture
def cluster_client(redis_cluster):
    c = redis_cluster.client()
    yield c
    c.close()


def spread(client, count):
    """Names of `count` registries whose slots are on `count` different masters."""
    by_master = {}
    while len(by_master) < count:
        name = next(names)
        by_master.setdefault(client.get_node_from_key(f"edgeroute:{{{name}}}:nodes").port, name)
    return list(by_master.values())


def test_cluster_one_slot_per_registry_and_pick_lua_agrees(cluster_client, redis_cluster, js):
    keys = [key_of(k) for k in js["keys"][::5]]
    checked = 0
    for seed, name in zip((0, 7, 4294967295), spread(cluster_client, 3)):
        reg = Registry(cluster_client, name=name, seed=seed)
        own = {cluster_client.cluster_keyslot(k) for k in [*reg.keys.values(), reg.keys["down_prefix"] + "東京"]}
        assert len(own) == 1, (name, own)
        fill(reg)
        reg.mark_down("c", 60000)
        router = reg.router()
        assert [d["id"] for d in reg.load()["down"]] == ["c"]
        checked += agree(reg, router, keys, pick_n=50)
        reg.remove("b")
        reg.set_weight("a", 9)
        reg.mark_up("c")
        reg.mark_down("d")
        assert reg.refresh(router) is True and reg.refresh(router) is False
        checked += agree(reg, router, keys[:300], pick_n=20)
        assert reg.pick_random() in {"a", "c", "東京", "origin-5.example:8080"}
    # Scripts flushed from every master: EVALSHA's NOSCRIPT, then EVAL, on whichever master holds the slot.
    for port in redis_cluster.ports:
        redis.Redis(port=port).script_flush()
    checked += agree(reg, router, keys[:100], pick_n=10)
    print(f"cluster: 3 registries on 3 masters, {checked} picks and pick_n lists equal to the Router's")


def test_cluster_registry_follows_its_slot_to_another_master(cluster_client, redis_cluster):
    name = next(names)
    reg = Registry(cluster_client, name=name, seed=11)
    fill(reg)
    reg.mark_down("d", 60000)
    router = reg.router()
    before = reg.load()
    slot = cluster_client.cluster_keyslot(reg.keys["nodes"])
    src = cluster_client.get_node_from_key(reg.keys["nodes"]).port
    dst = next(p for p in redis_cluster.ports if p != src)
    redis.Redis(port=dst).script_flush()
    redis_cluster.move_slot(slot, src, dst)
    # The client follows MOVED; the scripts load on the new master (NOSCRIPT, then EVAL); the health key kept its TTL.
    keys = [f"/moved/{i}" for i in range(200)]
    assert [reg.pick(k) for k in keys] == router.pick_many(keys)
    after = reg.load()
    assert (after["version"], after["stamp"], after["nodes"]) == (before["version"], before["stamp"], before["nodes"])
    assert [d["id"] for d in after["down"]] == ["d"] and 0 < after["down"][0]["for_ms"] <= 60000
    assert reg.set_weight("a", 2, if_version=before["version"]) == before["version"] + 1
    assert cluster_client.get_node_from_key(reg.keys["nodes"]).port == dst
    assert reg.refresh(router) and [reg.pick(k) for k in keys] == router.pick_many(keys)


def test_cluster_the_js_registry_reads_what_python_wrote_and_the_other_way(cluster_client, redis_cluster, js, tmp_path):
    js_interop(cluster_client, js, tmp_path, 300, cluster=redis_cluster.ports)


def test_cluster_concurrent_writers_with_if_version(redis_cluster):
    writers, each = 4, 15
    conflicts = race(redis_cluster.client, next(names), writers, each)
    print(f"cluster if_version: {writers} writers x {each} writes, each with its own RedisCluster, {conflicts} conflicts retried, no write lost")
