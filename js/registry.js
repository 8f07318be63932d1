// Registry: a pool of origins kept in Redis (a sorted set of id -> weight, metadata, a version counter and
// health keys), read into Routers and changed atomically by the Lua scripts in lua/. It talks to Redis only
// through a command function `(cmd, ...args) => Promise<reply>`, so any client works: ioredis
// (`(...a) => redis.call(...a)`), node-redis (`(...a) => client.sendCommand(a)`), or an HTTP or socket client
// in a worker. Every argument it gets is a string, except a byte key, which is a Buffer (or what options.bytes
// makes of it where there is no Buffer). The build copies this file to registry.cjs for require(), rewriting its
// import and export lines.
import { ERROR_CODES, coded } from "./errors.js";
import { ownKey } from "./router.js";
import { registryScripts } from "./scripts.js";

const OPTIONS = ["name", "prefix", "seed", "bytes"];
// Node's Buffer where the runtime has one (Node, Bun, Deno, workerd with nodejs_compat). Clients send a Buffer
// argument as its bytes; a plain Uint8Array they may not: ioredis sends String(u8) ("104,105"), node-redis
// throws. Read once, at load, as the bare global (Deno gives npm packages a Buffer that is not globalThis's).
const NodeBuffer = typeof Buffer === "function" && typeof Buffer.from === "function" ? Buffer : undefined;
/** The default of options.bytes: a Buffer over the key's own copy (made by ownKey, so nothing else holds it). */
const asBuffer = NodeBuffer && ((key) => NodeBuffer.from(key.buffer, key.byteOffset, key.byteLength));
const META_FIELDS = ["url", "zone"];
const MAX_SEED = 4294967295;
// The id of the one node router() builds an empty Router with, and removes at once: shaped as a unix socket
// path, which every compat profile accepts as an id (twemproxy wants "host:port" or "/path").
const PLACEHOLDER = "/edgeroute-placeholder";
// The weight range of the Router (src/base/limits.rs MIN_WEIGHT, MAX_WEIGHT) and of lua/lib.lua.
const MIN_WEIGHT = 1e-6;
const MAX_WEIGHT = 1e6;
const WEIGHT_RANGE = "from 1e-6 to 1e6";
// The one version syntax, as lua/lib.lua parse_version reads it: a canonical decimal integer from 0 to 2^53 - 1.
const VERSION = /^(?:0|[1-9][0-9]{0,15})$/;
// A stamp, as lua/lib.lua is_stamp reads it; the Registry writes 32 random hex digits.
const STAMP = /^[0-9A-Za-z_-]{8,64}$/;
// Redis appends where a script failed: " script: <sha>, on @user_script:<line>." (7.0) or "(call to f_<sha>)".
const SCRIPT_SUFFIX = /\s*(?:script: [0-9a-f]{40}, on @user_script:\d+\.|\(call to f_[0-9a-f]{40}\)[^]*)\s*$/;
// A Redis error reply starts with an upper-case error code: ERR, WRONGTYPE, BUSY, OOM, READONLY, NOSCRIPT...
const REDIS_ERROR = /^[A-Z][A-Z_]*(?:\s|$)/;

/** An EdgerouteError whose message starts with "Registry: " (js/errors.js lists the codes). */
function fail(code, message) {
  return coded(code, `Registry: ${message}`);
}

function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}

function checkId(id, what = "id") {
  if (typeof id !== "string" || id.length === 0) {
    throw fail("ERR_INVALID_ID", `${what} must be a non-empty string, got ${describe(id)}`);
  }
  if (!id.isWellFormed()) {
    throw fail("ERR_INVALID_ID", `${what} contains a lone UTF-16 surrogate, which has no UTF-8 form`);
  }
  return id;
}

const isWeight = (w) => w >= MIN_WEIGHT && w <= MAX_WEIGHT;

function checkWeight(w) {
  if (typeof w !== "number" || !isWeight(w)) {
    throw fail("ERR_INVALID_WEIGHT", `a weight must be a number ${WEIGHT_RANGE}, got ${typeof w === "number" ? w : describe(w)}`);
  }
  return w;
}

function checkMs(ms, what) {
  if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 1 || ms > 1e12) {
    throw fail("ERR_INVALID_OPTION", `${what} must be a whole number of ms from 1 to 1e12, got ${typeof ms === "number" ? ms : describe(ms)}`);
  }
  return ms;
}

function checkMeta(meta, where) {
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) {
    throw fail("ERR_REGISTRY_BAD_META", `${where} must be an object like { url, zone }, got ${describe(meta)}`);
  }
  for (const [k, v] of Object.entries(meta)) {
    if (!META_FIELDS.includes(k)) {
      throw fail("ERR_REGISTRY_BAD_META", `${where} has unknown field ${JSON.stringify(k)}; node metadata has only ${META_FIELDS.join(" and ")}`);
    }
    if (typeof v !== "string") throw fail("ERR_REGISTRY_BAD_META", `${where}.${k} must be a string, got ${describe(v)}`);
  }
  return meta;
}

/** Checks `{ ifVersion?, ifStamp? }`, the options of every write; resolves to the script's two arguments. */
function writeOptions(o) {
  if (o === undefined) return ["", ""];
  if (o === null || typeof o !== "object") {
    throw fail("ERR_INVALID_OPTION", `write options must be an object like { ifVersion: 7, ifStamp: "..." }, got ${describe(o)}`);
  }
  for (const k of Object.keys(o)) {
    if (k !== "ifVersion" && k !== "ifStamp") throw fail("ERR_UNKNOWN_OPTION", `unknown write option ${JSON.stringify(k)}; the options are ifVersion and ifStamp`);
  }
  const { ifVersion, ifStamp } = o;
  if (ifVersion !== undefined && !(Number.isSafeInteger(ifVersion) && ifVersion >= 0)) {
    throw fail("ERR_INVALID_OPTION", `ifVersion must be a whole number >= 0 (a version from load() or a write), got ${String(ifVersion)}`);
  }
  // "" is the stamp of a registry no write has stamped yet: it matches any, as the script reads it.
  if (ifStamp !== undefined && !(typeof ifStamp === "string" && (ifStamp === "" || STAMP.test(ifStamp)))) {
    throw fail("ERR_INVALID_OPTION", `ifStamp must be the stamp of a load() or revision(), got ${typeof ifStamp === "string" ? JSON.stringify(ifStamp) : describe(ifStamp)}`);
  }
  return [ifVersion === undefined ? "" : String(ifVersion), ifStamp ?? ""];
}

/** A fresh stamp: 128 random bits as 32 hex digits. */
function newStamp() {
  return Array.from(crypto.getRandomValues(new Uint32Array(4)), (u) => u.toString(16).padStart(8, "0")).join("");
}

/**
 * Turns a rejection of the command function into an EdgerouteError: an error raised by our scripts
 * (`ERR_<CODE> message`, a code of js/errors.js) keeps its code; any other Redis error reply (a script killed by
 * SCRIPT KILL, BUSY, OOM, READONLY, a Lua runtime error, an ERR_ code we do not know...) becomes
 * ERR_REGISTRY_REDIS, or ERR_REGISTRY_WRONG_TYPE for WRONGTYPE.
 * The original error is the cause. Anything else (the connection failed, a bug in the command function) is not
 * a Redis reply and propagates unchanged.
 */
function adoptReply(e, what) {
  const message = e instanceof Error && typeof e.message === "string" ? e.message : "";
  const ours = /^(ERR_[A-Z_]+) ([^]*)$/.exec(message);
  let err;
  if (ours && Object.hasOwn(ERROR_CODES, ours[1])) err = coded(ours[1], ours[2].replace(SCRIPT_SUFFIX, ""));
  else if (/^WRONGTYPE\b/.test(message)) err = fail("ERR_REGISTRY_WRONG_TYPE", `${what}: a registry key holds another Redis type (${message})`);
  else if (REDIS_ERROR.test(message)) err = fail("ERR_REGISTRY_REDIS", `Redis failed ${what}: ${message}`);
  else return e;
  err.cause = e;
  return err;
}

/** A version from a reply (null: absent, 0), read with the one version syntax. */
function parseVersion(v, key) {
  if (v === null || v === undefined) return 0;
  const s = text(v, key);
  if (!VERSION.test(s) || Number(s) > Number.MAX_SAFE_INTEGER) {
    throw fail("ERR_REGISTRY_BAD_VERSION", `${key} holds ${JSON.stringify(s.slice(0, 100))}, not a version (a decimal integer from 0 to 2^53-1 without sign, spaces, fraction or exponent); DEL it or SET it to one`);
  }
  return Number(s);
}

/** A stamp from a reply (null: absent, ""). */
function parseStamp(v, key) {
  if (v === null || v === undefined) return "";
  const s = text(v, key);
  if (!STAMP.test(s)) throw fail("ERR_REGISTRY_BAD_VERSION", `${key} holds ${JSON.stringify(s.slice(0, 100))}, not a stamp (8 to 64 letters, digits, - or _); DEL it`);
  return s;
}

function badReply(what, reply) {
  return fail("ERR_REGISTRY_BAD_REPLY", `${what}: unexpected reply ${JSON.stringify(reply)}; the command function must resolve to the Redis reply (arrays, strings, integers, null)`);
}

/** A reply string (clients may hand bulk strings back as strings or as Buffers/Uint8Arrays). */
function text(v, what) {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return new TextDecoder("utf-8", { fatal: true }).decode(v);
  throw badReply(what, v);
}

/** Makes the Registry class for one entry point's Router class. */
function bindRegistry(Router) {
  class Registry {
    #command;
    #bytes;
    #keys;
    #seed;
    /** The revision `{ version, stamp }` each Router from router() was last brought to. */
    #revisions = new WeakMap();
    #marked = new WeakMap();

    /**
     * @param command `(cmd, ...args) => Promise<reply>`
     * @param options `{ name, prefix = "edgeroute", seed = 0, bytes }`: the keys are `<prefix>:{<name>}:...`;
     *   `bytes(key)` turns a byte key (a Uint8Array copy) into the argument the command function sends as
     *   those bytes: a Buffer by default where Buffer exists; elsewhere required for byte keys.
     */
    constructor(command, options) {
      if (typeof command !== "function") {
        throw fail("ERR_INVALID_OPTION", `the first argument must be a command function (cmd, ...args) => Promise<reply>, got ${describe(command)}`);
      }
      if (options === null || typeof options !== "object") {
        throw fail("ERR_INVALID_OPTIONS", `options must be an object like { name: "origins" }, got ${describe(options)}`);
      }
      for (const k of Object.keys(options)) {
        if (!OPTIONS.includes(k)) throw fail("ERR_UNKNOWN_OPTION", `unknown option ${JSON.stringify(k)}; the options are ${OPTIONS.join(", ")}`);
      }
      const { name, prefix = "edgeroute", seed = 0, bytes = asBuffer } = options;
      for (const [k, v] of [["name", name], ["prefix", prefix]]) {
        if (typeof v !== "string" || v.length === 0 || /[{}]/.test(v) || !v.isWellFormed()) {
          throw fail("ERR_INVALID_OPTION", `options.${k} must be a non-empty string without { or } (the name becomes the hash tag), got ${typeof v === "string" ? JSON.stringify(v) : describe(v)}`);
        }
      }
      if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
        throw fail("ERR_INVALID_OPTION", `options.seed must be a whole number from 0 to ${MAX_SEED}, got ${String(seed)}`);
      }
      if (bytes !== undefined && typeof bytes !== "function") {
        throw fail("ERR_INVALID_OPTION", `options.bytes must be a function (key: Uint8Array) => the argument your client sends as those bytes, got ${describe(bytes)}`);
      }
      this.#command = command;
      this.#seed = seed;
      this.#bytes = bytes;
      const base = `${prefix}:{${name}}:`;
      this.#keys = Object.freeze({ nodes: `${base}nodes`, meta: `${base}meta`, version: `${base}version`, stamp: `${base}stamp`, downPrefix: `${base}down:` });
    }

    /** The Redis keys of this registry: nodes, meta, version, stamp and the prefix of health keys. */
    get keys() {
      return this.#keys;
    }

    /** The seed of keyed selection, shared by `pick` in Redis and by `router()`. */
    get seed() {
      return this.#seed;
    }

    /** Sends one command; Redis error replies become EdgerouteErrors (see adoptReply). */
    async #send(what, args) {
      try {
        return await this.#command(...args);
      } catch (e) {
        throw adoptReply(e, what);
      }
    }

    async #run(name, keys, args) {
      const { source, sha1 } = registryScripts[name];
      // Callers pass strings, and pickN a byte key as options.bytes made it.
      const argv = [String(keys.length), ...keys, ...args];
      try {
        return await this.#command("EVALSHA", sha1, ...argv);
      } catch (e) {
        if (!(e instanceof Error && /^NOSCRIPT/.test(e.message))) throw adoptReply(e, `${name}.lua`);
      }
      return this.#send(`${name}.lua`, ["EVAL", source, ...argv]);
    }

    #selectKeys() {
      return [this.#keys.nodes, this.#keys.version];
    }

    #allKeys() {
      return [this.#keys.nodes, this.#keys.meta, this.#keys.version, this.#keys.stamp];
    }

    async #write(op, id, arg, meta, options) {
      const [expect, expectStamp] = writeOptions(options);
      const args = [op, checkId(id), arg, meta, expect, this.#keys.downPrefix, newStamp(), expectStamp];
      const v = await this.#run("write", this.#allKeys(), args);
      const n = Number(v);
      if (!Number.isSafeInteger(n)) throw badReply("write", v);
      return n;
    }

    /**
     * The version counter (0 before the first change). One GET. A version can repeat when Redis loses data (a
     * restart without persistence, FLUSHALL, a failover that lost writes): to notice every change, compare
     * `revision()`s instead.
     */
    async version() {
      return parseVersion(await this.#send("GET version", ["GET", this.#keys.version]), this.#keys.version);
    }

    /**
     * `{ version, stamp }` in one MGET. Every write replaces the stamp with a fresh random one, so two reads with
     * equal revisions saw the same registry, even across lost data; this is what `refresh` polls.
     */
    async revision() {
      const reply = await this.#send("MGET version stamp", ["MGET", this.#keys.version, this.#keys.stamp]);
      if (!Array.isArray(reply) || reply.length !== 2) throw badReply("MGET", reply);
      return { version: parseVersion(reply[0], this.#keys.version), stamp: parseStamp(reply[1], this.#keys.stamp) };
    }

    /** One consistent snapshot: `{ version, stamp, nodes: [{ id, weight, meta? }], down: [{ id, forMs }] }`. */
    async load() {
      const reply = await this.#run("read", this.#allKeys(), [this.#keys.downPrefix]);
      if (!Array.isArray(reply) || reply.length !== 3 || !Array.isArray(reply[2])) throw badReply("read", reply);
      const version = parseVersion(reply[0], this.#keys.version);
      const stamp = parseStamp(reply[1], this.#keys.stamp);
      const nodes = [];
      const down = [];
      for (const row of reply[2]) {
        if (!Array.isArray(row) || row.length !== 4) throw badReply("read", row);
        const id = text(row[0], "read");
        const weight = Number(text(row[1], "read"));
        if (!isWeight(weight)) {
          throw fail("ERR_REGISTRY_BAD_WEIGHT", `${this.#keys.nodes} gives node ${JSON.stringify(id)} the weight ${JSON.stringify(row[1])}; weights must be numbers ${WEIGHT_RANGE}`);
        }
        const node = { id, weight };
        if (row[2] !== null && row[2] !== undefined) {
          let meta;
          try {
            meta = JSON.parse(text(row[2], "read"));
          } catch (e) {
            throw fail("ERR_REGISTRY_BAD_META", `${this.#keys.meta} holds ${JSON.stringify(row[2])} for ${JSON.stringify(id)}, which is not JSON (${e.message})`);
          }
          node.meta = checkMeta(meta, `the meta of ${JSON.stringify(id)} in ${this.#keys.meta}`);
        }
        nodes.push(node);
        const ttl = Number(row[3]);
        if (ttl === -1) down.push({ id, forMs: null });
        else if (ttl > 0) down.push({ id, forMs: ttl });
      }
      return { version, stamp, nodes, down };
    }

    /** Adds a node; fails with ERR_DUPLICATE_ID if it is there. Resolves to the new version. */
    async add(node, options) {
      if (node === null || typeof node !== "object") throw fail("ERR_INVALID_OPTION", `add takes { id, weight?, meta? }, got ${describe(node)}`);
      for (const k of Object.keys(node)) {
        if (!["id", "weight", "meta"].includes(k)) throw fail("ERR_UNKNOWN_FIELD", `add: unknown field ${JSON.stringify(k)}; a node has id, weight and meta`);
      }
      const weight = checkWeight(node.weight ?? 1);
      const meta = node.meta === undefined ? "" : JSON.stringify(checkMeta(node.meta, "meta"));
      return this.#write("add", node.id, String(weight), meta, options);
    }

    /** Removes a node, its metadata and its health key. */
    async remove(id, options) {
      return this.#write("remove", id, "", "", options);
    }

    async setWeight(id, weight, options) {
      return this.#write("weight", id, String(checkWeight(weight)), "", options);
    }

    /** Marks a node down for every reader, for `forMs` (a health key with that TTL) or until `markUp`. */
    async markDown(id, forMs, options) {
      return this.#write("down", id, forMs === undefined ? "" : String(checkMs(forMs, "forMs")), "", options);
    }

    async markUp(id, options) {
      return this.#write("up", id, "", "", options);
    }

    /** The node for `key`, chosen inside Redis: the same node as `router()`'s Router picks. */
    async pick(key) {
      const [id] = await this.pickN(key, 1);
      return id;
    }

    /** Up to `n` distinct nodes for `key` in failover order, chosen inside Redis (as the Router's pickN). */
    async pickN(key, n) {
      // Checked as router.pick checks it (the same code and words); a byte key is copied.
      let arg;
      try {
        arg = ownKey(key);
      } catch (e) {
        throw fail(e.code, e.message);
      }
      if (!Number.isInteger(n) || n < 1 || n > 65536) throw fail("ERR_INVALID_COUNT", `pickN needs a whole n from 1 to 65536, got ${String(n)}`);
      if (typeof arg !== "string") {
        if (this.#bytes === undefined) {
          throw fail("ERR_INVALID_OPTION", "a Uint8Array key must reach Redis as its bytes, and this runtime has no Buffer, which every client sends as bytes; set options.bytes to (key) => what your command function sends as those bytes (the Uint8Array itself for a client that writes one as bytes), or pick by a string key");
        }
        arg = this.#bytes(arg);
      }
      const reply = await this.#run("pick", this.#selectKeys(), [arg, String(n), String(this.#seed), this.#keys.downPrefix]);
      if (!Array.isArray(reply)) throw badReply("pick", reply);
      return reply.map((v) => text(v, "pick"));
    }

    /**
     * A weighted random node (task scheduling), chosen inside Redis with the random number `r` in [0, 1); by
     * default `r` comes from crypto.getRandomValues. Resolves to undefined when no node is usable.
     */
    async pickRandom(r) {
      if (r === undefined) {
        const u = crypto.getRandomValues(new Uint32Array(2));
        r = (u[0] * 2 ** 21 + (u[1] >>> 11)) / 2 ** 53;
      } else if (typeof r !== "number" || !(r >= 0 && r < 1)) {
        throw fail("ERR_INVALID_OPTION", `pickRandom takes a number in [0, 1), got ${typeof r === "number" ? r : describe(r)}`);
      }
      // 17 significant digits so Lua's tonumber reads back exactly this double.
      const reply = await this.#run("random", this.#selectKeys(), [r.toPrecision(17), this.#keys.downPrefix]);
      if (reply === null || reply === undefined) return undefined;
      return text(reply, "random");
    }

    /**
     * A Router over the registry's nodes and marks. Without `options.strategy` it is weighted rendezvous with
     * `compat: "redis"` and this registry's seed: it picks exactly what `pick`/`pickN` pick inside Redis.
     * Keep it current with `refresh(router)`.
     */
    async router(options = {}) {
      if (options === null || typeof options !== "object") throw fail("ERR_INVALID_OPTIONS", `router options must be an object, got ${describe(options)}`);
      if ("nodes" in options) throw fail("ERR_INVALID_OPTION", "router(): the nodes come from the registry; remove options.nodes");
      if (options.strategy === undefined && (options.seed !== undefined || options.compat !== undefined)) {
        throw fail("ERR_INVALID_OPTION", "router(): without options.strategy the Router mirrors pick.lua, so its seed and compat come from the registry; set the seed in new Registry(command, { seed })");
      }
      const snap = await this.load();
      const base = options.strategy === undefined ? { strategy: "rendezvous", compat: "redis", seed: this.#seed } : {};
      const nodes = snap.nodes.map(({ id, weight }) => ({ id, weight }));
      // new Router refuses an empty list (ERR_NO_NODES catches a forgotten one), but an emptied registry is a
      // state refresh() and pick() handle: build such a Router the way refresh() would, by removing its nodes.
      const router = new Router({ ...base, ...options, nodes: nodes.length > 0 ? nodes : [{ id: PLACEHOLDER }] });
      if (nodes.length === 0) router.remove(PLACEHOLDER);
      this.#revisions.set(router, { version: snap.version, stamp: snap.stamp });
      this.#applyMarks(router, snap.down);
      return router;
    }

    #applyMarks(router, down) {
      const before = this.#marked.get(router) ?? new Set();
      const now = new Set();
      for (const { id, forMs } of down) {
        router.markDown(id, forMs ?? undefined);
        now.add(id);
      }
      for (const id of before) {
        if (now.has(id)) continue;
        try {
          router.markUp(id);
        } catch (e) {
          if (e.code !== "ERR_UNKNOWN_NODE") throw e; // removed from the registry since
        }
      }
      this.#marked.set(router, now);
    }

    /**
     * Brings a Router from `router()` up to date: one MGET when nothing changed (the revision: version and
     * stamp); otherwise one read and only the differences (removed, added and reweighted nodes, marks), so
     * unchanged keys stay where they are. Resolves to true when the registry changed.
     */
    async refresh(router) {
      const known = this.#revisions.get(router);
      if (known === undefined) throw fail("ERR_INVALID_OPTION", "refresh() takes a Router made by this registry's router()");
      const now = await this.revision();
      if (now.version === known.version && now.stamp === known.stamp) return false;
      const snap = await this.load();
      // One batch: checked whole (nothing changes if any of it is refused, so the next refresh retries), and a
      // strategy that rebuilds its table (maglev, the compat rings) rebuilds once instead of once per change.
      router.setNodes(snap.nodes.map(({ id, weight }) => ({ id, weight })));
      this.#applyMarks(router, snap.down);
      this.#revisions.set(router, { version: snap.version, stamp: snap.stamp });
      return true;
    }
  }
  return Registry;
}

export { bindRegistry, registryScripts };
