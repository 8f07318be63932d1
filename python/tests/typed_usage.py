"""A strict consumer of the package's types (checked by test_types.py with mypy --strict, never run): the calls
docs/python.md shows type-check, and the mistakes marked `type: ignore[...]` are refused (mypy fails on an
ignore it does not need, so each line proves that the types reject it)."""

from typing import List, Optional

import redis

import edgeroute
from edgeroute import EdgerouteError, Lease, Registry, Router

r = Router(strategy="ring", nodes=[{"id": "a", "weight": 2}, {"id": "b"}], seed=7, vnodes=100)
m = Router(strategy="maglev", nodes=[{"id": "a"}], table_size=101, bounded_load=1.5, health={"consecutive_failures": 3})
h = Router(strategy="ring", compat="haproxy", hash="djb2", avalanche=True, nodes=[{"id": "s1", "server_id": 3}])
one: Optional[str] = r.pick("/user/42")
also: Optional[str] = r.pick(b"\x00\x01")
order: List[str] = r.pick_n("/user/42", 2)
many: List[Optional[str]] = r.pick_many(["a", b"b", bytearray(b"c")])
r.add("c", weight=3)
r.add({"id": "d", "weight": 1.5})
removed: bool = r.remove("c")
r.set_weight("a", 4)
r.report("a", ok=True, latency_ms=12.5)
r.mark_down("b", 30000)
r.mark_up("b")
lease: Optional[Lease] = r.acquire("/user/42")
if lease is not None:
    with lease as held:
        print(held.id)
z = Router(strategy="random", nodes=[{"id": "a", "zone": "eu"}, {"id": "b", "zone": "us", "priority": 1}], slow_start_ms=30000, slow_start_min_percent=10)
near: Optional[str] = z.pick(zone="eu")
near_n: List[str] = z.pick_n(None, 2, zone="eu")
near_many: List[Optional[str]] = r.pick_many(["a", "b"], zone="eu")
near_lease: Optional[Lease] = z.acquire(zone=None)
z.add("c", zone="eu", priority=2)
z.add({"id": "d", "zone": "us", "priority": 1})
state: str = r.stats()[0]["state"]
restored: Router = Router.from_json(r.to_json())
try:
    Router(strategy="ring", nodes=[])
except EdgerouteError as e:
    code: str = e.code
print(edgeroute.__version__, one, also, order, many, removed, state, restored, m, h, near, near_n, near_many, near_lease)

Router(strategy="fastest", nodes=[{"id": "a"}])  # type: ignore[arg-type]
Router(strategy="ring", nodes=[{"id": "a"}], tableSize=7)  # type: ignore[call-arg]
Router(strategy="ring", nodes=[{"id": "a", "wieght": 2}])  # type: ignore[typeddict-unknown-key]
r.pick(42)  # type: ignore[arg-type]
r.report("a")  # type: ignore[call-arg]
bad: int = r.pick("k")  # type: ignore[assignment]
r.pick("k", zone=3)  # type: ignore[arg-type]
r.pick("k", "eu")  # type: ignore[call-arg]
Router(strategy="random", nodes=[{"id": "a", "zone": 7}])  # type: ignore[typeddict-item]

reg = Registry(redis.Redis(), name="origins", seed=7)
version: int = reg.add("a", weight=2, meta={"zone": "eu"})
reg.set_weight("a", 3, if_version=version)
picked: Optional[str] = reg.pick("/user/42")
router: Router = reg.router()
changed: bool = reg.refresh(router)
task: Optional[str] = reg.pick_random()
Registry(redis.Redis(), name="origins", seeds=7)  # type: ignore[call-arg]
