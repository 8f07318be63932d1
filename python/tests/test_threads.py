"""One Router shared by threads: every answer is one a single thread could have got, no count is lost, and long
work (a large build, a large snapshot, a large batch) runs without the GIL so other threads keep going."""

import threading
import time

import edgeroute

NODES = [{"id": f"n{i}", "weight": 1 + i % 3} for i in range(8)]
KEYS = [f"key-{i}" for i in range(2000)]


def run_threads(n, target):
    errors = []

    def guarded(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_picks_from_many_threads_while_the_pool_changes():
    r = edgeroute.Router(strategy="ring", nodes=NODES, seed=3)
    home = {k: r.pick(k) for k in KEYS}
    stop = threading.Event()
    picks = [0] * 6

    def churn():
        while not stop.is_set():
            r.add("tmp", weight=2)
            r.remove("tmp")

    def picker(i):
        for _ in range(5):
            for k, got in zip(KEYS, r.pick_many(KEYS)):
                assert got in (home[k], "tmp"), (k, got)
            for k in KEYS[i::7]:
                assert r.pick(k) in (home[k], "tmp")
                picks[i] += 1
            picks[i] += len(KEYS)

    changer = threading.Thread(target=churn)
    changer.start()
    try:
        run_threads(6, picker)
    finally:
        stop.set()
        changer.join()
    assert {k: r.pick(k) for k in KEYS} == home
    # Every pick counted once: a removed node's picks go to the removed totals, which to_json carries.
    counted = sum(s["picks"] for s in r.stats()) + r.to_json()["counters"]["removed"][0]
    assert counted == sum(picks) + 2 * len(KEYS)  # and the picks of `home` and of the last check


def test_leases_from_many_threads_leave_nothing_in_flight():
    r = edgeroute.Router(strategy="least-outstanding", nodes=NODES, seed=1)

    def worker(i):
        for j in range(500):
            with r.acquire() as lease:
                assert lease.id.startswith("n")
            lease2 = r.acquire()
            assert lease2.end(ok=j % 5 != 0, latency_ms=1.5) is True
            assert lease2.end() is False

    run_threads(8, worker)
    stats = r.stats()
    assert all(s["inflight"] == 0 for s in stats)
    assert sum(s["successes"] + s["failures"] for s in stats) == 8 * 500 * 2


def progress_during(work):
    """How many times this thread counted while another thread ran `work` (0 if `work` held the GIL)."""
    inside, done = threading.Event(), threading.Event()
    out = {}

    def target():
        inside.set()
        t = time.perf_counter()
        out["result"] = work()
        out["seconds"] = time.perf_counter() - t
        done.set()

    t = threading.Thread(target=target)
    t.start()
    inside.wait()
    count = 0
    while not done.is_set():
        count += 1
    t.join()
    return count, out["seconds"], out["result"]


def test_the_gil_is_released_during_long_work():
    big = [{"id": f"origin-{i}", "weight": 1} for i in range(20000)]
    count, seconds, r = progress_during(
        lambda: edgeroute.Router(strategy="ring", nodes=big, vnodes=160, max_memory_bytes=2**31)
    )
    print(f"building a 3.2M-point ring took {seconds * 1000:.0f} ms; meanwhile another thread counted to {count}")
    assert seconds > 0.05 and count > 10000
    snapshot = r.to_json()
    count, seconds, restored = progress_during(lambda: edgeroute.Router.from_json(snapshot))
    assert count > 10000 and restored.pick("k") == r.pick("k")
    keys = [f"k{i}" for i in range(300000)]
    count, seconds, got = progress_during(lambda: r.pick_many(keys))
    assert count > 0 and got[:100] == [r.pick(k) for k in keys[:100]]
    count, seconds, _ = progress_during(lambda: r.add("one-more", weight=3))
    assert "one-more" in {n["id"] for n in r.nodes()}
