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


class RedisServer:
    """A redis-server on a free loopback port in a temporary folder, as test-js/shared/redis-server.mjs starts it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="edgeroute-py-redis-")
        for _ in range(20):
            self.port = free_port()
            args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir]
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
            if self._wait():
                return
            self.proc.kill()
            self.proc.wait()
        raise RuntimeError("could not start redis-server")

    def _wait(self):
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # the port was taken meanwhile
            try:
                info = redis.Redis(port=self.port, socket_timeout=1).info("server")
                return info["process_id"] == self.proc.pid
            except Exception:
                time.sleep(0.05)
        return False

    def client(self, **kw):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def js_registry(port, name, seed, keys, tmp):
    """The JS Registry on a registry in Redis (js_agreement.mjs registry): load(), picks, and one add of its own."""
    src, dst = Path(tmp) / "registry-in.json", Path(tmp) / "registry-out.json"
    src.write_text(json.dumps({"port": port, "name": name, "seed": seed, "keys": keys}))
    node_js("registry", src, dst)
    return json.loads(dst.read_text())
