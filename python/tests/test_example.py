"""examples/redis_tasks.py end to end against the test's redis-server: every task done once, shares within 5 sigma
of the weights, nothing to a worker while its health key lives, and the worker back when the key expires."""

import json
import subprocess
import sys

from helpers import ROOT


def test_the_task_scheduler_example(redis_server):
    p = subprocess.run(
        [sys.executable, str(ROOT / "examples/redis_tasks.py"), "--port", str(redis_server.port), "--tasks", "3000", "--ttl-ms", "1500"],
        capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    n = out["tasks"]
    for id, w in out["workers"].items():
        mean, sd = n * w["expected"], (n * w["expected"] * (1 - w["expected"])) ** 0.5
        assert abs(w["assigned"] - mean) <= 5 * sd, (id, w)
        assert w["completed_in_all"] == w["assigned_in_all"], (id, w)
    assert out["done"] == sum(w["assigned_in_all"] for w in out["workers"].values())
    down = out["down"]
    assert down["key_alive_after"] and down["id"] not in down["assigned"] and sum(down["assigned"].values()) == n // 3
    assert out["after"].get(down["id"], 0) > 0
    print("redis_tasks.py:", {id: round(w["share"], 3) for id, w in out["workers"].items()})
