"""A pool of nodes kept in Redis, as the JS package's Registry keeps it (js/registry.js, docs/registry.md).

The same layout (a sorted set of id -> weight, a hash of metadata, a version counter, a stamp and per-node health
keys with a TTL, all under the hash tag `{name}`), and the same Lua scripts: the npm package's `lua/*.lua` with
`lua/lib.lua` in front, embedded in the native module at build time. A Registry written by Python is read by JS
and the other way round, and `pick` inside Redis agrees with `router()`'s Router bit for bit.

It talks to Redis through a redis-py client (sync): `client.execute_command(...)`. Any object with that method and
redis-py's reply shapes works. Safe to share between threads (redis-py clients are). A `redis.cluster.RedisCluster`
works as it is: every command and script names its keys (EVALSHA/EVAL with numkeys), all in the registry's one slot,
so the client sends each to the master holding that slot and follows MOVED when the slot moves.
"""

import hashlib
import json
import os
import re
import threading
import weakref
from typing import Any, Dict, List, Optional, Tuple, Union

from ._edgeroute import EdgerouteError, Router, _scripts

__all__ = ["Registry"]

_SCRIPTS: Dict[str, Tuple[str, str]] = {
    name: (source, hashlib.sha1(source.encode("utf-8")).hexdigest()) for name, source in _scripts().items()
}
# The codes the scripts raise, as "ERR_<CODE> message" error replies.
_SCRIPT_CODES = frozenset(re.findall(r"'(ERR_[A-Z_]+)'", "".join(source for source, _ in _SCRIPTS.values())))

_MIN_WEIGHT, _MAX_WEIGHT, _WEIGHT_RANGE = 1e-6, 1e6, "from 1e-6 to 1e6"
_MAX_SEED = 4294967295
_MAX_SAFE = 2**53 - 1
_MAX_KEY_BYTES = 1 << 20
_META_FIELDS = ("url", "zone")
# A version, as lua/lib.lua parse_version reads it, and a stamp, as is_stamp reads it.
_VERSION = re.compile(r"(?:0|[1-9][0-9]{0,15})\Z")
_STAMP = re.compile(r"[0-9A-Za-z_-]{8,64}\Z")
# What Redis appends to a script's error: " script: <sha>, on @user_script:<line>." (7.0) or "(call to f_<sha>)".
_SCRIPT_SUFFIX = re.compile(r"\s*(?:script: [0-9a-f]{40}, on @user_script:\d+\.|\(call to f_[0-9a-f]{40}\).*)\s*\Z", re.S)
# A Redis error reply starts with an upper-case error code: ERR, WRONGTYPE, BUSY, OOM, READONLY, NOSCRIPT...
_REDIS_ERROR = re.compile(r"[A-Z][A-Z_]*(?:\s|\Z)")
# The id of the one node router() builds an empty Router with and removes at once (a unix socket path, which every
# compat profile accepts as an id).
_PLACEHOLDER = "/edgeroute-placeholder"


def _coded(code: str, message: str) -> EdgerouteError:
    err = EdgerouteError(message)
    err.code = code
    return err


def _fail(code: str, message: str) -> EdgerouteError:
    return _coded(code, f"Registry: {message}")


def _describe(v: Any) -> str:
    return "None" if v is None else type(v).__name__


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_id(id: Any) -> str:
    if not isinstance(id, str) or id == "":
        raise _fail("ERR_INVALID_ID", f"id must be a non-empty string, got {_describe(id)}")
    try:
        id.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail("ERR_INVALID_ID", "id contains a lone UTF-16 surrogate, which has no UTF-8 form") from None
    return id


def _check_weight(w: Any) -> float:
    if not _is_number(w) or not (_MIN_WEIGHT <= w <= _MAX_WEIGHT):
        raise _fail("ERR_INVALID_WEIGHT", f"a weight must be a number {_WEIGHT_RANGE}, got {w if _is_number(w) else _describe(w)}")
    return w


def _check_meta(meta: Any, where: str) -> Dict[str, str]:
    if not isinstance(meta, dict):
        raise _fail("ERR_REGISTRY_BAD_META", f"{where} must be a dict like {{'url': ..., 'zone': ...}}, got {_describe(meta)}")
    for k, v in meta.items():
        if k not in _META_FIELDS:
            raise _fail("ERR_REGISTRY_BAD_META", f"{where} has unknown field {json.dumps(k)}; node metadata has only url and zone")
        if not isinstance(v, str):
            raise _fail("ERR_REGISTRY_BAD_META", f"{where}.{k} must be a string, got {_describe(v)}")
    return meta


def _key_bytes(key: Any) -> bytes:
    """A key checked as Router.pick checks it (the same code and words), as the bytes Redis gets."""
    if isinstance(key, str):
        try:
            b = key.encode("utf-8")
        except UnicodeEncodeError:
            raise _fail("ERR_INVALID_KEY", "the key contains a lone UTF-16 surrogate, which has no UTF-8 form; fix the string or pass its bytes") from None
    elif isinstance(key, (bytes, bytearray, memoryview)):
        b = bytes(key)
    else:
        raise _fail("ERR_INVALID_KEY", f"a key must be a str or bytes, got {type(key).__name__}")
    if len(b) > _MAX_KEY_BYTES:
        raise _fail("ERR_INVALID_KEY", f"the key is {len(b)} bytes; keys are at most {_MAX_KEY_BYTES} bytes (1 MiB): route by a shorter key, such as a hash of it")
    return b


def _write_options(if_version: Any, if_stamp: Any) -> Tuple[str, str]:
    if if_version is not None and not (isinstance(if_version, int) and not isinstance(if_version, bool) and 0 <= if_version <= _MAX_SAFE):
        raise _fail("ERR_INVALID_OPTION", f"if_version must be a whole number >= 0 (a version from load() or a write), got {if_version!r}")
    # "" is the stamp of a registry no write has stamped yet: it matches any, as the script reads it.
    if if_stamp is not None and not (isinstance(if_stamp, str) and (if_stamp == "" or _STAMP.match(if_stamp))):
        raise _fail("ERR_INVALID_OPTION", f"if_stamp must be the stamp of a load() or revision(), got {if_stamp!r}")
    return ("" if if_version is None else str(if_version), if_stamp or "")


def _is_reply_error(e: BaseException) -> bool:
    """An error reply of Redis, as the client raised it (redis-py's ResponseError and its subclasses)."""
    return any(c.__name__ == "ResponseError" for c in type(e).__mro__)


def _reply_text(e: BaseException) -> str:
    # redis-py takes the error code off the messages it knows ("ERR ...", "OOM ...") and keeps it in status_code.
    code = getattr(e, "status_code", None)
    message = str(e)
    return f"{code} {message}" if code and not message.startswith(code) else message


def _adopt_reply(e: BaseException, what: str) -> BaseException:
    """An error reply becomes an EdgerouteError: our scripts' `ERR_<CODE> message` keeps its code, WRONGTYPE is
    ERR_REGISTRY_WRONG_TYPE, any other (BUSY, OOM, READONLY, a Lua error) ERR_REGISTRY_REDIS. Anything else (the
    connection failed) is returned unchanged, to propagate as the client raised it."""
    if not _is_reply_error(e):
        return e
    text = _reply_text(e)
    ours = re.match(r"(ERR_[A-Z_]+) (.*)\Z", text, re.S)
    if ours and ours.group(1) in _SCRIPT_CODES:
        return _coded(ours.group(1), _SCRIPT_SUFFIX.sub("", ours.group(2)))
    if text.startswith("WRONGTYPE"):
        return _fail("ERR_REGISTRY_WRONG_TYPE", f"{what}: a registry key holds another Redis type ({text})")
    if _REDIS_ERROR.match(text):
        return _fail("ERR_REGISTRY_REDIS", f"Redis failed {what}: {text}")
    return e


def _bad_reply(what: str, reply: Any) -> EdgerouteError:
    return _fail("ERR_REGISTRY_BAD_REPLY", f"{what}: unexpected reply {reply!r}; the client must return Redis replies (lists, bytes or str, ints, None)")


def _text(v: Any, what: str) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray)):
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            raise _bad_reply(what, v) from None
    raise _bad_reply(what, v)


def _parse_version(v: Any, key: str) -> int:
    if v is None:
        return 0
    s = _text(v, key)
    if not _VERSION.match(s) or int(s) > _MAX_SAFE:
        raise _fail("ERR_REGISTRY_BAD_VERSION", f"{key} holds {json.dumps(s[:100])}, not a version (a decimal integer from 0 to 2^53-1 without sign, spaces, fraction or exponent); DEL it or SET it to one")
    return int(s)


def _parse_stamp(v: Any, key: str) -> str:
    if v is None:
        return ""
    s = _text(v, key)
    if not _STAMP.match(s):
        raise _fail("ERR_REGISTRY_BAD_VERSION", f"{key} holds {json.dumps(s[:100])}, not a stamp (8 to 64 letters, digits, - or _); DEL it")
    return s


class Registry:
    """A pool of nodes in Redis: `Registry(redis.Redis(), name="origins")`. The keys are
    `<prefix>:{<name>}:nodes|meta|version|stamp|down:<id>`; `seed` is the seed of keyed selection, shared by `pick`
    in Redis and by `router()`."""

    def __init__(self, client: Any, *, name: str, prefix: str = "edgeroute", seed: int = 0) -> None:
        if not callable(getattr(client, "execute_command", None)):
            raise _fail("ERR_INVALID_OPTION", f"the first argument must be a redis-py client (an object with execute_command), got {_describe(client)}")
        for k, v in (("name", name), ("prefix", prefix)):
            ok = isinstance(v, str) and v != "" and "{" not in v and "}" not in v
            if ok:
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:
                    ok = False
            if not ok:
                raise _fail("ERR_INVALID_OPTION", f"{k} must be a non-empty string without {{ or }} (the name becomes the hash tag), got {v!r}")
        if not (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= _MAX_SEED):
            raise _fail("ERR_INVALID_OPTION", f"seed must be a whole number from 0 to {_MAX_SEED}, got {seed!r}")
        self._client = client
        self._seed = seed
        base = f"{prefix}:{{{name}}}:"
        self._keys = {"nodes": f"{base}nodes", "meta": f"{base}meta", "version": f"{base}version", "stamp": f"{base}stamp", "down_prefix": f"{base}down:"}
        self._lock = threading.Lock()
        # The revision each Router from router() was last brought to, and the ids it holds marked down.
        self._revisions: "weakref.WeakKeyDictionary[Router, Tuple[int, str]]" = weakref.WeakKeyDictionary()
        self._marked: "weakref.WeakKeyDictionary[Router, set]" = weakref.WeakKeyDictionary()

    @property
    def keys(self) -> Dict[str, str]:
        """The Redis keys of this registry: nodes, meta, version, stamp and down_prefix (of the health keys)."""
        return dict(self._keys)

    @property
    def seed(self) -> int:
        return self._seed

    def _send(self, what: str, *args: Any) -> Any:
        try:
            return self._client.execute_command(*args)
        except Exception as e:
            err = _adopt_reply(e, what)
            if err is e:
                raise
            raise err from e

    def _run(self, name: str, keys: List[str], args: List[Any]) -> Any:
        source, sha1 = _SCRIPTS[name]
        argv = [len(keys), *keys, *args]
        try:
            return self._client.execute_command("EVALSHA", sha1, *argv)
        except Exception as e:
            if not (_is_reply_error(e) and _reply_text(e).startswith("NOSCRIPT")):
                err = _adopt_reply(e, f"{name}.lua")
                if err is e:
                    raise
                raise err from e
        return self._send(f"{name}.lua", "EVAL", source, *argv)

    def _all_keys(self) -> List[str]:
        k = self._keys
        return [k["nodes"], k["meta"], k["version"], k["stamp"]]

    def _write(self, op: str, id: Any, arg: str, meta: str, if_version: Any, if_stamp: Any) -> int:
        expect, expect_stamp = _write_options(if_version, if_stamp)
        stamp = os.urandom(16).hex()
        v = self._run("write", self._all_keys(), [op, _check_id(id), arg, meta, expect, self._keys["down_prefix"], stamp, expect_stamp])
        if not isinstance(v, int) or isinstance(v, bool):
            raise _bad_reply("write", v)
        return v

    def version(self) -> int:
        """The version counter (0 before the first change). One GET. Compare revision()s to notice every change,
        even when Redis lost data and a version repeats."""
        return _parse_version(self._send("GET version", "GET", self._keys["version"]), self._keys["version"])

    def revision(self) -> Dict[str, Any]:
        """`{"version": int, "stamp": str}` in one MGET; every write replaces the stamp with a fresh random one."""
        reply = self._send("MGET version stamp", "MGET", self._keys["version"], self._keys["stamp"])
        if not isinstance(reply, list) or len(reply) != 2:
            raise _bad_reply("MGET", reply)
        return {"version": _parse_version(reply[0], self._keys["version"]), "stamp": _parse_stamp(reply[1], self._keys["stamp"])}

    def load(self) -> Dict[str, Any]:
        """One consistent snapshot: `{"version", "stamp", "nodes": [{"id", "weight", "meta"?}], "down": [{"id", "for_ms"}]}`
        (`for_ms` None: down until mark_up)."""
        reply = self._run("read", self._all_keys(), [self._keys["down_prefix"]])
        if not isinstance(reply, list) or len(reply) != 3 or not isinstance(reply[2], list):
            raise _bad_reply("read", reply)
        version = _parse_version(reply[0], self._keys["version"])
        stamp = _parse_stamp(reply[1], self._keys["stamp"])
        nodes: List[Dict[str, Any]] = []
        down: List[Dict[str, Any]] = []
        for row in reply[2]:
            if not isinstance(row, list) or len(row) != 4:
                raise _bad_reply("read", row)
            id = _text(row[0], "read")
            w_text = _text(row[1], "read")
            try:
                weight = float(w_text)
            except ValueError:
                weight = float("nan")
            if not (_MIN_WEIGHT <= weight <= _MAX_WEIGHT):
                raise _fail("ERR_REGISTRY_BAD_WEIGHT", f"{self._keys['nodes']} gives node {json.dumps(id)} the weight {json.dumps(w_text)}; weights must be numbers {_WEIGHT_RANGE}")
            node: Dict[str, Any] = {"id": id, "weight": weight}
            if row[2] is not None:
                raw = _text(row[2], "read")
                try:
                    meta = json.loads(raw)
                except ValueError as e:
                    raise _fail("ERR_REGISTRY_BAD_META", f"{self._keys['meta']} holds {json.dumps(raw)} for {json.dumps(id)}, which is not JSON ({e})") from None
                node["meta"] = _check_meta(meta, f"the meta of {json.dumps(id)} in {self._keys['meta']}")
            nodes.append(node)
            ttl = row[3]
            if ttl == -1:
                down.append({"id": id, "for_ms": None})
            elif isinstance(ttl, int) and ttl > 0:
                down.append({"id": id, "for_ms": ttl})
        return {"version": version, "stamp": stamp, "nodes": nodes, "down": down}

    def add(
        self,
        node: Union[str, Dict[str, Any]],
        weight: Optional[float] = None,
        meta: Optional[Dict[str, str]] = None,
        *,
        if_version: Optional[int] = None,
        if_stamp: Optional[str] = None,
    ) -> int:
        """Adds a node (`add("a", weight=2, meta={"zone": "eu"})`, or a dict with id, weight and meta); refuses an
        id that is there (ERR_DUPLICATE_ID). Returns the new version."""
        if isinstance(node, dict):
            if weight is not None or meta is not None:
                raise _fail("ERR_INVALID_OPTION", "add(node, ...): give weight and meta inside the node dict, or pass the id as a str")
            for k in node:
                if k not in ("id", "weight", "meta"):
                    raise _fail("ERR_UNKNOWN_FIELD", f"add: unknown field {json.dumps(k)}; a node has id, weight and meta")
            id, weight, meta = node.get("id"), node.get("weight"), node.get("meta")
        else:
            id = node
        w = _check_weight(1 if weight is None else weight)
        m = "" if meta is None else json.dumps(_check_meta(meta, "meta"))
        return self._write("add", id, repr(float(w)) if isinstance(w, float) else str(w), m, if_version, if_stamp)

    def remove(self, id: str, *, if_version: Optional[int] = None, if_stamp: Optional[str] = None) -> int:
        """Removes a node, its metadata and its health key."""
        return self._write("remove", id, "", "", if_version, if_stamp)

    def set_weight(self, id: str, weight: float, *, if_version: Optional[int] = None, if_stamp: Optional[str] = None) -> int:
        w = _check_weight(weight)
        return self._write("weight", id, repr(float(w)) if isinstance(w, float) else str(w), "", if_version, if_stamp)

    def mark_down(self, id: str, for_ms: Optional[int] = None, *, if_version: Optional[int] = None, if_stamp: Optional[str] = None) -> int:
        """Marks a node down for every reader: a health key with a TTL of `for_ms`, or until mark_up."""
        if for_ms is not None and not (isinstance(for_ms, int) and not isinstance(for_ms, bool) and 1 <= for_ms <= 10**12):
            raise _fail("ERR_INVALID_OPTION", f"for_ms must be a whole number of ms from 1 to 1e12, got {for_ms!r}")
        return self._write("down", id, "" if for_ms is None else str(for_ms), "", if_version, if_stamp)

    def mark_up(self, id: str, *, if_version: Optional[int] = None, if_stamp: Optional[str] = None) -> int:
        return self._write("up", id, "", "", if_version, if_stamp)

    def pick(self, key: Union[str, bytes]) -> Optional[str]:
        """The node for `key`, chosen inside Redis (pick.lua): the node router()'s Router picks."""
        got = self.pick_n(key, 1)
        return got[0] if got else None

    def pick_n(self, key: Union[str, bytes], n: int) -> List[str]:
        """Up to n distinct nodes for `key` in failover order, chosen inside Redis (as the Router's pick_n)."""
        b = _key_bytes(key)
        if not (isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 65536):
            raise _fail("ERR_INVALID_COUNT", f"pick_n needs a whole n from 1 to 65536, got {n!r}")
        k = self._keys
        reply = self._run("pick", [k["nodes"], k["version"]], [b, str(n), str(self._seed), k["down_prefix"]])
        if not isinstance(reply, list):
            raise _bad_reply("pick", reply)
        return [_text(v, "pick") for v in reply]

    def pick_random(self, r: Optional[float] = None) -> Optional[str]:
        """A weighted random node (task scheduling), chosen inside Redis with the random number r in [0, 1); by
        default r is drawn from os.urandom (Redis's own math.random is no source of randomness). None when no node
        is usable."""
        if r is None:
            r = (int.from_bytes(os.urandom(8), "little") >> 11) / 2**53
        elif not (_is_number(r) and 0 <= r < 1):
            raise _fail("ERR_INVALID_OPTION", f"pick_random takes a number in [0, 1), got {r!r}")
        k = self._keys
        # 17 significant digits, so Lua's tonumber reads back exactly this double.
        reply = self._run("random", [k["nodes"], k["version"]], [format(r, ".17g"), k["down_prefix"]])
        return None if reply is None else _text(reply, "random")

    def router(self, **options: Any) -> Router:
        """A Router over the registry's nodes and marks. Without `strategy` it is weighted rendezvous with
        compat "redis" and this registry's seed: it picks exactly what pick/pick_n pick inside Redis. Keep it
        current with refresh(router)."""
        if "nodes" in options:
            raise _fail("ERR_INVALID_OPTION", "router(): the nodes come from the registry; remove nodes")
        if options.get("strategy") is None and (options.get("seed") is not None or options.get("compat") is not None):
            raise _fail("ERR_INVALID_OPTION", "router(): without strategy the Router mirrors pick.lua, so its seed and compat come from the registry; set the seed in Registry(client, seed=...)")
        snap = self.load()
        base: Dict[str, Any] = {"strategy": "rendezvous", "compat": "redis", "seed": self._seed} if options.get("strategy") is None else {}
        nodes = [{"id": n["id"], "weight": n["weight"]} for n in snap["nodes"]]
        # Router() refuses an empty list (ERR_NO_NODES catches a forgotten one), but an emptied registry is a state
        # refresh() and pick() handle: build such a Router the way refresh() would, by removing its nodes.
        router = Router(**{**base, **options, "nodes": nodes or [{"id": _PLACEHOLDER}]})
        if not nodes:
            router.remove(_PLACEHOLDER)
        with self._lock:
            self._revisions[router] = (snap["version"], snap["stamp"])
            self._apply_marks(router, snap["down"])
        return router

    def _apply_marks(self, router: Router, down: List[Dict[str, Any]]) -> None:
        before = self._marked.get(router, set())
        now = set()
        for d in down:
            router.mark_down(d["id"], d["for_ms"])
            now.add(d["id"])
        for id in before - now:
            try:
                router.mark_up(id)
            except EdgerouteError as e:
                if e.code != "ERR_UNKNOWN_NODE":  # removed from the registry since
                    raise
        self._marked[router] = now

    def refresh(self, router: Router) -> bool:
        """Brings a Router from router() up to date: one MGET when nothing changed; otherwise one read and only
        the differences (removed, added and reweighted nodes, marks), so unchanged keys stay where they are.
        Returns True when the registry had changed."""
        with self._lock:
            known = self._revisions.get(router)
        if known is None:
            raise _fail("ERR_INVALID_OPTION", "refresh() takes a Router made by this registry's router()")
        now = self.revision()
        if (now["version"], now["stamp"]) == known:
            return False
        snap = self.load()
        with self._lock:
            # One batch, checked whole (a refusal changes nothing, and the next refresh retries), as the npm
            # package's refresh does.
            router.set_nodes([{"id": n["id"], "weight": n["weight"]} for n in snap["nodes"]])
            self._apply_marks(router, snap["down"])
            self._revisions[router] = (snap["version"], snap["stamp"])
        return True
