"""Pick throughput of the Python package against uhashring (pure Python), on the same nodes and keys.

    scripts/python.sh bench [--nodes 10] [--keys 100000] [--rounds 7]

Two pairings: uhashring's default ring against edgeroute's default ring (each its own mapping), and uhashring's
ketama mode against edgeroute's compat "libketama" (the same mapping: the script checks every key agrees). For
each, a loop of single picks (`[r.pick(k) for k in keys]`) and edgeroute's batch call (`r.pick_many(keys)`).
Prints a table of ns per key (best of the rounds) and the ratios; docs/performance.md has the figures.
"""

import argparse
import platform
import sys
import time

from uhashring import HashRing

import edgeroute


def best(f, rounds):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--keys", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    ids = [f"10.0.0.{i + 1}:11211" for i in range(a.nodes)]
    keys = [f"/user/{i}/profile" for i in range(a.keys)]
    pairs = [
        ("default rings", HashRing(nodes=ids), edgeroute.Router(strategy="ring", nodes=[{"id": i} for i in ids])),
        ("ketama / libketama", HashRing(nodes=ids, hash_fn="ketama"), edgeroute.Router(strategy="ring", compat="libketama", nodes=[{"id": i} for i in ids])),
    ]
    _, hr, r = pairs[1]
    same = sum(hr.get_node(k) == p for k, p in zip(keys, r.pick_many(keys)))
    assert same == len(keys), f"ketama and libketama disagree on {len(keys) - same} keys"
    print(f"Python {platform.python_version()} ({sys.platform}), edgeroute {edgeroute.__version__}, {a.nodes} nodes, {a.keys} keys, best of {a.rounds}")
    print(f"ketama / libketama: {same} of {len(keys)} keys on the same node")
    print(f"| pairing | uhashring get_node | edgeroute pick | edgeroute pick_many | pick speed-up | pick_many speed-up |")
    print(f"|---|---|---|---|---|---|")
    for name, hr, r in pairs:
        get = hr.get_node
        pick = r.pick
        u = best(lambda: [get(k) for k in keys], a.rounds)
        e = best(lambda: [pick(k) for k in keys], a.rounds)
        m = best(lambda: r.pick_many(keys), a.rounds)
        ns = lambda s: f"{s / len(keys) * 1e9:.0f} ns"
        print(f"| {name} | {ns(u)} | {ns(e)} | {ns(m)} | {u / e:.1f}x | {u / m:.1f}x |")


if __name__ == "__main__":
    main()
