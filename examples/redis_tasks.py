"""Task scheduling through a Redis registry (seed 004's scheduler, in Python; examples/redis-tasks.mjs is the JS one).

A producer assigns each task to a worker chosen inside Redis by weighted random selection (lua/random.lua, with
the random number drawn here and passed in ARGV), workers take tasks from their own list and report back, and the
producer checks that every task was done once and that the shares follow the weights. Then one worker is taken
out with a health key that has a TTL: while the key lives no task goes to it, and when it expires the worker is
back, with no write from anyone.

    python examples/redis_tasks.py [--port 6379] [--tasks 3000] [--ttl-ms 2000]

Prints one JSON line: per worker its weight, its expected share, the tasks it was assigned while all were up and
its share of them, and the tasks assigned to it and completed by it over the whole run; then what was assigned
while worker-d was down, and after it came back.
"""

import argparse
import json
import threading
import time

import redis

from edgeroute import Registry

WORKERS = {"worker-a": 1, "worker-b": 2, "worker-c": 3, "worker-d": 4}


def worker(port, run, id, done):
    """A worker: its own connection (BLPOP blocks it), its own queue; reports each task on the results list."""
    conn = redis.Redis(host="127.0.0.1", port=port)
    try:
        while True:
            _, task = conn.blpop([f"{run}:queue:{id}"], 0)
            if task == b"stop":
                return
            conn.rpush(done, f"{id} {task.decode()}")
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--tasks", type=int, default=3000)
    ap.add_argument("--ttl-ms", type=int, default=2000)
    args = ap.parse_args()
    run = f"run-{time.time_ns()}"
    producer = redis.Redis(host="127.0.0.1", port=args.port)
    registry = Registry(producer, name=f"tasks-{run}")
    for id, weight in WORKERS.items():
        registry.add(id, weight=weight, meta={"zone": "local"})

    done = f"{run}:results"
    threads = [threading.Thread(target=worker, args=(args.port, run, id, done)) for id in WORKERS]
    for t in threads:
        t.start()

    assigned = {id: 0 for id in WORKERS}
    n = 0

    def assign(count, tally):
        nonlocal n
        for _ in range(count):
            id = registry.pick_random()  # weighted, inside Redis; the random number comes from os.urandom
            tally[id] = tally.get(id, 0) + 1
            assigned[id] += 1
            producer.rpush(f"{run}:queue:{id}", f"task-{n}")
            n += 1

    # 1. Every worker up: the shares follow the weights.
    first = {id: 0 for id in WORKERS}
    assign(args.tasks, first)

    # 2. worker-d goes down for ttl_ms (a health key with that TTL, as a supervisor that missed its heartbeats
    # would set): pick_random skips it while the key lives.
    registry.mark_down("worker-d", args.ttl_ms)
    while_down = {}
    assign(args.tasks // 3, while_down)
    key_alive = producer.pttl(registry.keys["down_prefix"] + "worker-d") > 0

    # 3. The key expires by itself: worker-d is back.
    while registry.load()["down"]:
        time.sleep(0.05)
    after = {}
    assign(args.tasks // 10, after)

    completed = {id: 0 for id in WORKERS}
    seen = set()
    for _ in range(n):
        _, line = producer.blpop([done], 10)
        id, task = line.decode().split(" ")
        if task in seen:
            raise RuntimeError(f"{task} was done twice")
        seen.add(task)
        completed[id] += 1
    for id in WORKERS:
        producer.rpush(f"{run}:queue:{id}", "stop")
    for t in threads:
        t.join()

    total = sum(WORKERS.values())
    report = {
        id: {
            "weight": w,
            "expected": w / total,
            "assigned": first[id],
            "share": first[id] / args.tasks,
            "assigned_in_all": assigned[id],
            "completed_in_all": completed[id],
        }
        for id, w in WORKERS.items()
    }
    down = {"id": "worker-d", "ttl_ms": args.ttl_ms, "key_alive_after": key_alive, "assigned": while_down}
    print(json.dumps({"tasks": args.tasks, "workers": report, "down": down, "after": after, "done": len(seen)}))
    producer.delete(*[registry.keys[k] for k in ("nodes", "meta", "version", "stamp")])
    producer.close()


if __name__ == "__main__":
    main()
