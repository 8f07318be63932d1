"""Types of the native module (python/src/): Router, Lease, EdgerouteError."""

import sys
from types import TracebackType
from typing import Any, Dict, Iterable, List, Optional, Type, Union, final

if sys.version_info >= (3, 11):
    from typing import Literal, Required, TypedDict
else:  # the names exist for type checkers on every version they check
    from typing_extensions import Literal, Required, TypedDict

__all__ = ["EdgerouteError", "Lease", "Router", "__version__", "_scripts"]

__version__: str

Key = Union[str, bytes, bytearray, memoryview]
"""A routing key: a str is hashed as its UTF-8 bytes; bytes-like keys as they are."""

Strategy = Literal[
    "ring",
    "rendezvous",
    "maglev",
    "jump",
    "hash",
    "weighted-round-robin",
    "round-robin",
    "random",
    "least-latency",
    "least-outstanding",
]
Compat = Literal["redis", "nginx", "twemproxy", "libketama", "haproxy", "squid", "caddy", "varnish", "ats", "envoy"]
TwemproxyHash = Literal[
    "one_at_a_time", "md5", "crc16", "crc32", "crc32a", "fnv1_64", "fnv1a_64", "fnv1_32", "fnv1a_32", "hsieh", "murmur", "jenkins"
]
HaproxyHash = Literal["sdbm", "djb2", "wt6", "crc32"]

class NodeSpec(TypedDict, total=False):
    """A node: `id` (1 to 256 UTF-8 bytes), `weight` (1e-6 to 1e6, default 1), `name` (compat twemproxy),
    `server_id` (compat haproxy), `hash_string` (compat ats), `zone` (1 to 256 UTF-8 bytes) and `priority` (a
    whole number 0 to 255; 0, the default, is primary), the last two without a compat profile
    (docs/traffic.md)."""

    id: Required[str]
    weight: float
    name: str
    server_id: int
    hash_string: str
    zone: str
    priority: int

class HealthOptions(TypedDict, total=False):
    consecutive_failures: int
    failure_rate: float
    min_requests: int
    window_ms: float
    base_ejection_ms: float
    max_ejection_ms: float
    max_ejected_share: float
    panic_threshold: float
    probe_timeout_ms: float

class NodeStats(TypedDict):
    id: str
    weight: float
    effective_weight: float
    picks: int
    successes: int
    failures: int
    inflight: int
    ewma_ms: Optional[float]
    state: Literal["healthy", "ejected", "probing", "down"]
    ejected_until: Optional[float]
    down_until: Optional[float]
    ejections: int
    ejections_total: int
    consecutive_failures: int

class RingPoints(TypedDict):
    positions: List[float]
    owners: List[str]

class EdgerouteError(ValueError):
    """Bad input or a refused call; `code` is the JS package's code for the same input."""

    code: str

@final
class Lease:
    """One request in flight, from `Router.acquire`. `end()` finishes it once; as a context manager, the block's
    end does (ok unless it raised, with its duration as the latency)."""

    @property
    def id(self) -> str: ...
    def end(self, ok: Optional[bool] = None, latency_ms: Optional[float] = None) -> bool: ...
    def __enter__(self) -> "Lease": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

@final
class Router:
    """Routes keys and requests to nodes, as the JS package's Router does (docs/python.md). Safe to share between
    threads: each call runs under the Router's lock, long work without the GIL."""

    def __new__(
        cls,
        *,
        strategy: Strategy,
        nodes: List[NodeSpec],
        seed: Optional[int] = None,
        vnodes: Optional[int] = None,
        decay_ms: Optional[float] = None,
        secret: Optional[str] = None,
        table_size: Optional[int] = None,
        bounded_load: Union[bool, float, None] = None,
        health: Union[bool, HealthOptions, None] = None,
        max_memory_bytes: Optional[int] = None,
        compat: Optional[Compat] = None,
        hash: Union[TwemproxyHash, HaproxyHash, None] = None,
        avalanche: Optional[bool] = None,
        min_ring_size: Optional[int] = None,
        max_ring_size: Optional[int] = None,
        hash_function: Optional[Literal["xxhash", "murmur2"]] = None,
        replicas: Optional[int] = None,
        slow_start_ms: Optional[float] = None,
        slow_start_min_percent: Optional[float] = None,
    ) -> "Router": ...
    @classmethod
    def from_json(cls, snapshot: Union[Dict[str, Any], str, bytes, bytearray]) -> "Router": ...
    @property
    def strategy(self) -> Strategy: ...
    def pick(self, key: Optional[Key] = None, *, zone: Optional[str] = None) -> Optional[str]: ...
    def pick_n(self, key: Optional[Key], n: int, *, zone: Optional[str] = None) -> List[str]: ...
    def pick_many(self, keys: Iterable[Key], *, zone: Optional[str] = None) -> List[Optional[str]]: ...
    def acquire(self, key: Optional[Key] = None, *, zone: Optional[str] = None) -> Optional[Lease]: ...
    def begin(self, id: str) -> None: ...
    def end(self, id: str, ok: Optional[bool] = None, latency_ms: Optional[float] = None) -> None: ...
    def add(
        self, node: Union[str, NodeSpec], weight: Optional[float] = None, *, name: Optional[str] = None, server_id: Optional[int] = None,
        hash_string: Optional[str] = None, zone: Optional[str] = None, priority: Optional[int] = None
    ) -> None: ...
    def remove(self, id: str) -> bool: ...
    def set_weight(self, id: str, weight: float) -> None: ...
    def set_nodes(self, nodes: Iterable[Union[str, NodeSpec]]) -> Dict[str, int]: ...
    def report(self, id: str, ok: bool, latency_ms: Optional[float] = None) -> None: ...
    def mark_down(self, id: str, for_ms: Optional[float] = None) -> None: ...
    def mark_up(self, id: str) -> None: ...
    def nodes(self) -> List[NodeSpec]: ...
    def stats(self) -> List[NodeStats]: ...
    def to_json(self) -> Dict[str, Any]: ...
    def ring_points(self) -> Optional[RingPoints]: ...
    def key_position(self, key: Key) -> float: ...
    def __len__(self) -> int: ...

def _scripts() -> Dict[str, str]: ...
