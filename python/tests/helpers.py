"""Shared by the tests: the repository's paths, JS-shaped data in Python form, and a redis-server."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import edgeroute

ROOT = Path(__file__).resolve().parents[2]
PKG = Path(os.environ.get("EDGEROUTE_PKG", ROOT / "pkg"))
AGREEMENT = Path(__file__).with_name("js_agreement.mjs")

SPECIAL = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf"), "-0": -0.0}


def snake(name):
    """`tableSize` -> `table_size`: the Python keyword of a JS option name."""
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


def decode(v):
    """The bad-input table's JSON: {"$": "NaN"} and friends as the floats JSON cannot hold."""
    if isinstance(v, list):
        return [decode(x) for x in v]
    if isinstance(v, dict):
        if set(v) == {"$"}:
            return SPECIAL[v["$"]]
        return {k: decode(x) for k, x in v.items()}
    return v


def key_of(k):
    """A fixture key: a str, or bytes written as {"hex": ...}."""
    if k is None or isinstance(k, str):
        return k
    return bytes.fromhex(k["hex"])


def node_kwargs(node):
    """A JS node spec as Python gives it: serverId -> server_id."""
    return {snake(k): v for k, v in node.items()} if isinstance(node, dict) else node


def router_kwargs(options):
    """JS Router options as the Python Router's keyword arguments."""
    out = {}
    for k, v in options.items():
        if k == "nodes" and isinstance(v, list):
            v = [node_kwargs(n) for n in v]
        elif k == "health" and isinstance(v, dict):
            v = {snake(h): x for h, x in v.items()}
        out[snake(k)] = v
    return out


def refused(code, f, *args, **kw):
    """Calls f, which must raise EdgerouteError with this code; returns the message. (pytest is imported here:
    abi3_smoke.py imports this module in a venv that has only the wheel.)"""
    import pytest

    with pytest.raises(edgeroute.EdgerouteError) as info:
        f(*args, **kw)
    assert info.value.code == code, (info.value.code, str(info.value))
    return str(info.value)


def router(options):
    return edgeroute.Router(**router_kwargs(options))


def replay_golden():
    """tests/golden/vectors.json through the Python Router: every pick and pick_n as pinned. Returns the count."""
    golden = json.loads((ROOT / "tests/golden/vectors.json").read_text())
    checked = 0
    for case in golden["cases"]:
        r = router(case["options"])
        for op in case["ops"]:
            if op["op"] == "add":
                r.add(node_kwargs(op["node"]))
            elif op["op"] == "remove":
                assert r.remove(op["id"]) is True, case["name"]
            else:
                r.set_weight(op["id"], op["weight"])
        for k, want in case["picks"]:
            assert r.pick(key_of(k)) == want, (case["name"], k)
            checked += 1
        for k, n, want in case["pickN"]:
            assert r.pick_n(key_of(k), n) == want, (case["name"], k, n)
            checked += 1
    return len(golden["cases"]), checked


def node_js(*args):
    """Runs js_agreement.mjs with the npm package (pkg/, built by make test)."""
    if not (PKG / "node.mjs").exists():
        raise RuntimeError(f"{PKG}/node.mjs is missing: build the npm package first (node scripts/build-pkg.mjs)")
    subprocess.run(["node", str(AGREEMENT), *map(str, args)], check=True, cwd=ROOT)


def js_restore(jobs, tmp):
    """Picks of JS Routers restored from snapshots: jobs = [{"snapshot": ..., "keys": [...]}]."""
    src, dst = Path(tmp) / "restore-in.json", Path(tmp) / "restore-out.json"
    src.write_text(json.dumps(jobs))
    node_js("restore", src, dst)
    return json.loads(dst.read_text())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(dir, cluster=False):
    """A redis-server on a free loopback port with its files in `dir`: (port, process). The server answering must
    be this process, as test-js/shared/redis-server.mjs checks: another may have taken the port meanwhile. With
    `cluster`, a cluster-enabled node whose bus port is free too (the default, port + 10000, is past 65535 for a
    port over 55535, and such a server takes seconds to give up)."""
    for _ in range(20):
        port = free_port()
        args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir]
        if cluster:
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000", "--cluster-port", str(free_port())]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        if _answers(port, proc):
            return port, proc
        proc.kill()
        proc.wait()
    raise RuntimeError("could not start redis-server")


def _answers(port, proc):
    import redis

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False  # the port was taken meanwhile
        try:
            info = redis.Redis(port=port, socket_timeout=1).info("server")
            return info["process_id"] == proc.pid
        except Exception:
            time.sleep(0.05)
    return False


class RedisServer:
    """A redis-server on a free loopback port in a temporary folder, as test-js/shared/redis-server.mjs starts it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="edgeroute-py-redis-")
        self.port, self.proc = start_redis(self.dir)

    def client(self, **kw):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisCluster:
    """A 3-master Redis Cluster on loopback, as test-js/shared/redis-server.mjs startCluster builds it: cluster-enabled
    servers in folders of their own, `redis-cli --cluster create`, then every node at cluster_state:ok. A failed
    start kills what it started; stop() kills every node (the conftest fixture calls it whatever the tests did)."""

    def __init__(self, masters=3):
        self.dir = tempfile.mkdtemp(prefix="edgeroute-py-cluster-")
        self.procs = []
        self.ports = []
        try:
            for i in range(masters):
                d = os.path.join(self.dir, str(i))
                os.mkdir(d)
                port, proc = start_redis(d, cluster=True)
                self.procs.append(proc)
                self.ports.append(port)
            subprocess.run(
                ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports), "--cluster-yes"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
            )
            self._wait_ok()
        except BaseException:
            self.stop()
            raise

    def _wait_ok(self):
        import redis

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if all(redis.Redis(port=p, socket_timeout=1).cluster("INFO")["cluster_state"] == "ok" for p in self.ports):
                    return
            except Exception:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the cluster on {self.ports} did not reach cluster_state:ok in 20 s")

    def client(self, **kw):
        """A redis-py RedisCluster client, discovering the cluster from its first node."""
        from redis.cluster import RedisCluster

        return RedisCluster(host="127.0.0.1", port=self.ports[0], **kw)

    def move_slot(self, slot, src, dst):
        """Moves a hash slot and its keys from the master on port src to the one on dst, as a resharding does:
        IMPORTING/MIGRATING, MIGRATE of every key (TTLs kept), then SETSLOT NODE on every master."""
        import redis

        nodes = {p: redis.Redis(port=p) for p in self.ports}
        try:
            ids = {p: nodes[p].execute_command("CLUSTER", "MYID").decode() for p in self.ports}
            nodes[dst].execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[src])
            nodes[src].execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[dst])
            while True:
                keys = nodes[src].execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100)
                if not keys:
                    break
                nodes[src].execute_command("MIGRATE", "127.0.0.1", dst, "", 0, 5000, "KEYS", *keys)
            for p in [dst, src] + [p for p in self.ports if p not in (src, dst)]:
                nodes[p].execute_command("CLUSTER", "SETSLOT", slot, "NODE", ids[dst])
        finally:
            for n in nodes.values():
                n.close()

    def stop(self):
        for proc in self.procs:
            proc.kill()
        for proc in self.procs:
            proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def js_registry(port, name, seed, keys, tmp, cluster=None):
    """The JS Registry on a registry in Redis (js_agreement.mjs registry): load(), picks, and one add of its own;
    with `cluster` (the ports of a Redis Cluster), through ioredis's Redis.Cluster instead of one server."""
    src, dst = Path(tmp) / "registry-in.json", Path(tmp) / "registry-out.json"
    src.write_text(json.dumps({"port": port, "name": name, "seed": seed, "keys": keys, "cluster": cluster}))
    node_js("registry", src, dst)
    return json.loads(dst.read_text())
