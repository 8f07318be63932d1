"""edgeroute: request routing from the Rust core of the edgeroute npm package.

`Router` routes keys and requests to nodes exactly as the JS package does (same strategies, options, answers and
error codes); `Registry` keeps a pool in Redis and selects inside Redis with the package's Lua scripts. See
docs/python.md.
"""

from typing import TYPE_CHECKING

from ._edgeroute import EdgerouteError, Lease, Router, __version__
from .registry import Registry

if TYPE_CHECKING:  # names for annotations; at run time they are plain dicts, strs and lists
    from ._edgeroute import Compat, HealthOptions, Key, NodeSpec, NodeStats, RingPoints, Strategy  # noqa: F401

__all__ = ["EdgerouteError", "Lease", "Registry", "Router", "__version__"]
