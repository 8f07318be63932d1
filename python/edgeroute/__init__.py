"""edgeroute: request routing from the Rust core of the edgeroute npm package.

`Router` routes keys and requests to nodes exactly as the JS package does (same strategies, options, answers and
error codes); `Registry` keeps a pool in Redis and selects inside Redis with the package's Lua scripts. See
docs/python.md.
"""

from ._edgeroute import EdgerouteError, Lease, Router, __version__
from .registry import Registry

__all__ = ["EdgerouteError", "Lease", "Registry", "Router", "__version__"]
