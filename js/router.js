// The public Router class, shared by every entry point of the package.
//
// It wraps the wasm-bindgen class `WasmRouter` (src/wasm/mod.rs), which does all validation and routing. This layer
// only dispatches keys by type, caches node ids so a pick returns a cached string (nothing is decoded per
// call), and turns thrown errors into `EdgerouteError` instances (js/errors.js). The protocol with the wasm side
// (sentinels, limits, the scratch layout) is js/protocol.js. The build copies this file to router.cjs for
// require(), rewriting its import and export lines.
import { EdgerouteError, coded as fail } from "./errors.js";
import { metricsOptions, renderText, renderOtlp, RECORD_REQUEST } from "./metrics.js";
import { checkView } from "./checks.js";
import { NONE, FAILED, NEED_CLOCK, NEED_ENTROPY, MAX_DEPTH, MAX_ARRAY, MAX_STRING, MAX_KEY_BYTES, MAX_BATCH, NO_KEY, align4 } from "./protocol.js";

/** The ERR_INTERNAL errors edgeroute itself made from a trap (a caller's error with that code is not one). */
const TRAPS = new WeakSet();

/**
 * Errors from the wasm side are plain `Error`s named EdgerouteError; give them our prototype. A trap (a panic,
 * which is a bug) becomes ERR_INTERNAL, with the panic's message where the build kept one (debug builds).
 */
function adopt(e, glue) {
  if (e instanceof EdgerouteError) return e;
  if (e instanceof Error && e.name === "EdgerouteError" && typeof e.code === "string") {
    Object.setPrototypeOf(e, EdgerouteError.prototype);
    return e;
  }
  if (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) {
    let panic;
    try {
      panic = glue?.take_panic_message?.();
    } catch {}
    const err = fail(
      "ERR_INTERNAL",
      `edgeroute hit an internal error (${panic ?? e.message}). This is a bug: please report it with this message. ` +
        "This Router can no longer be used: create a new Router (if errors persist, reload the module).",
    );
    err.cause = e;
    TRAPS.add(err);
    return err;
  }
  return e;
}

/**
 * The caller's clock, as a number: whatever a replaced Date.now returns that is not one, or NaN, reads as 0 (the
 * core then clamps it). NaN must not pass: to a pick export it means "JS did not read the clock" (NEED_CLOCK).
 */
function nowMs() {
  const t = Date.now();
  return typeof t === "number" && t === t ? t : 0;
}

/** 64 bits of entropy in an array of our own (never a view of wasm memory), for an unseeded random Router. */
function entropyWords() {
  const w = new Uint32Array(2);
  try {
    globalThis.crypto.getRandomValues(w);
  } catch {
    w[0] = Math.random() * 2 ** 32;
    w[1] = Math.random() * 2 ** 32;
  }
  return w;
}

/**
 * A plain-data copy of an options-like value: own enumerable string keys of objects, elements of arrays, and
 * primitives as they are (a BigInt as the number it holds). Getters and Proxy traps run here, once each, in JS,
 * before anything enters wasm: code of the caller's that ran inside a wasm call (a getter that throws, or calls
 * back into the Router) would unwind through wasm frames and leave the instance borrowed for good. A property
 * whose value is `undefined` is absent, as in JSON; `null` is a value (and no option accepts it). Objects are
 * copied without a prototype, so nothing inherited can be read later.
 */
function plain(v, path, depth = 0) {
  if (typeof v === "function" || typeof v === "symbol") {
    throw fail("ERR_INVALID_OPTIONS", `${path} is a ${typeof v}; pass plain data: numbers, strings, booleans, null, arrays and objects`);
  }
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.length > MAX_STRING) {
    throw fail("ERR_INVALID_OPTIONS", `${path} is a string of ${v.length} characters; strings in options are at most ${MAX_STRING}`);
  }
  if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
  if (depth >= MAX_DEPTH) {
    throw fail("ERR_INVALID_OPTIONS", `${path} nests deeper than ${MAX_DEPTH} levels (a cycle?); pass plain data`);
  }
  let keys;
  try {
    keys = Array.isArray(v) ? null : Object.keys(v);
  } catch (e) {
    const err = fail("ERR_INVALID_OPTIONS", `${path} is an object whose keys cannot be read (a revoked Proxy?): ${e.message}`);
    err.cause = e;
    throw err;
  }
  if (keys === null) {
    const n = v.length;
    if (!(Number.isSafeInteger(n) && n >= 0 && n <= MAX_ARRAY)) {
      throw fail("ERR_INVALID_OPTIONS", `${path} is an array of length ${String(n)}; at most ${MAX_ARRAY} elements are read`);
    }
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = plain(v[i], `${path}[${i}]`, depth + 1);
    return out;
  }
  const out = Object.create(null);
  for (const k of keys) {
    const x = plain(v[k], `${path}.${k}`, depth + 1);
    if (x !== undefined) out[k] = x;
  }
  return out;
}

const isWellFormed = String.prototype.isWellFormed;
const stringify = JSON.stringify;

/**
 * Packs what `plain` made as one text and its numbers (src/base/packed.rs): JSON with each number written `#`,
 * the numbers in a Float64Array in the same order, so NaN, ±Infinity and -0 cross exactly and wasm reads the
 * whole object in one call instead of one boundary call per value. Undefined when the data holds what only the
 * value-by-value reader names in its messages (a string with a lone surrogate, a typed array): that reader then
 * takes it, so every message stays the same.
 */
function pack(data) {
  const numbers = [];
  const enc = (v) => {
    if (v === null || v === undefined) return "null";
    switch (typeof v) {
      case "number":
        numbers.push(v);
        return "#";
      case "string":
        if (!isWellFormed.call(v)) throw pack;
        return stringify(v);
      case "boolean":
        return v ? "true" : "false";
    }
    if (ArrayBuffer.isView(v)) throw pack;
    if (Array.isArray(v)) {
      let s = "[";
      for (let i = 0; i < v.length; i++) s += (i ? "," : "") + enc(v[i]);
      return `${s}]`;
    }
    let s = "{";
    let first = true;
    for (const k of Object.keys(v)) {
      if (!isWellFormed.call(k)) throw pack;
      s += `${first ? "" : ","}${stringify(k)}:${enc(v[k])}`;
      first = false;
    }
    return `${s}}`;
  };
  try {
    const text = enc(data);
    return { text, numbers: new Float64Array(numbers) };
  } catch (e) {
    if (e === pack) return undefined;
    throw e;
  }
}

/** Whether `v` is what options or a snapshot must at least be (a plain object), for `pack`. */
const packable = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v);

// Engine intrinsics, taken once at load. A key's type, real byte length and bytes are read through them, never
// through properties a subclass or Proxy can fake (`class K extends Uint8Array { get length() { return 1 } }`).
const TypedArray = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayTag = Object.getOwnPropertyDescriptor(TypedArray, Symbol.toStringTag).get;
const typedArrayByteLength = Object.getOwnPropertyDescriptor(TypedArray, "byteLength").get;
const typedArraySet = TypedArray.set;
const encodeInto = TextEncoder.prototype.encodeInto;
const charCodeAt = String.prototype.charCodeAt;
const NO_BYTES = new Uint8Array(0);

/**
 * String keys up to this many UTF-16 units are encoded into the scratch buffer by a loop here instead of one
 * TextEncoder.encodeInto call. Speed only: both write the key's UTF-8 bytes (the key was checked well-formed, so
 * every surrogate is paired), and a test compares them for every width and length. encodeInto is a binding call
 * that costs about 270 ns in Chromium and workerd, where the loop wins up to about 64 units; in Node and Bun it
 * costs 50-90 ns and the loop wins only for the shortest keys (docs/performance.md).
 */
const LOOP_UNITS = /^(Node\.js|Bun)\//.test(globalThis.navigator?.userAgent ?? "Node.js/") ? 8 : 64;

/** The kind of typed array `v` really is ("Uint8Array", ...), or undefined for anything else (a Proxy too). */
const typedArrayKind = (v) => typedArrayTag.call(v);

/** The real byte length of `v` if it is a real Uint8Array (a subclass or Node Buffer too) whose bytes can be
 * read, else -1. */
function bytesLength(v) {
  if (typedArrayKind(v) !== "Uint8Array") return -1;
  const n = typedArrayByteLength.call(v);
  if (n !== 0) return n;
  // Length 0: empty, or on a detached (transferred) or shrunk buffer, which set() refuses.
  try {
    typedArraySet.call(NO_BYTES, v);
    return 0;
  } catch {
    return -1;
  }
}

/**
 * Checks a key (a well-formed string, or a readable Uint8Array) and its size: at most MAX_KEY_BYTES (a string's
 * UTF-8 has at least one byte per UTF-16 unit; Scratch.write checks the rest). Returns a byte key's length.
 */
function checkKey(key) {
  if (typeof key === "string") {
    if (!key.isWellFormed()) throw badKey(key);
    if (key.length > MAX_KEY_BYTES) throw keyTooLong(key.length);
    return key.length;
  }
  return checkBytesKey(key);
}

/**
 * `checkKey` for `pick` and `acquire`, which write the key right after: a string short enough for
 * `Scratch.write`'s loop is checked for lone surrogates by that loop as it encodes it, which saves
 * `isWellFormed`'s pass (5-20 ns a pick in Node, measured on 8- and 32-unit keys).
 */
function checkPickKey(key) {
  if (typeof key === "string" && key.length <= LOOP_UNITS) return key.length;
  return checkKey(key);
}

function checkBytesKey(key) {
  const n = bytesLength(key);
  if (n < 0) throw badKey(key);
  if (n > MAX_KEY_BYTES) throw keyTooLong(n);
  return n;
}

/**
 * A key checked as pick checks it, for the Registry, which sends it to Redis: a string as it is (its UTF-8
 * length checked too), or a copy of a byte key's bytes in a fresh Uint8Array, read through the intrinsics, so
 * a caller changing or detaching the key later changes nothing.
 */
function ownKey(key) {
  const n = checkKey(key);
  if (typeof key === "string") {
    if (n * 3 > MAX_KEY_BYTES) {
      const bytes = new TextEncoder().encode(key).length;
      if (bytes > MAX_KEY_BYTES) throw keyTooLong(bytes);
    }
    return key;
  }
  const copy = new Uint8Array(n);
  typedArraySet.call(copy, key);
  return copy;
}

function keyTooLong(n) {
  return fail("ERR_INVALID_KEY", `the key is at least ${n} bytes; keys are at most ${MAX_KEY_BYTES} bytes (1 MiB): route by a shorter key, such as a hash of it`);
}

function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  const kind = typedArrayKind(v);
  if (kind !== undefined) return `a ${kind}`;
  if (ArrayBuffer.isView(v)) return "a DataView";
  return typeof v;
}

function badKey(key) {
  if (typeof key === "string") {
    return fail(
      "ERR_INVALID_KEY",
      "the key contains a lone UTF-16 surrogate, which has no UTF-8 form; fix the string or pass its bytes as a Uint8Array",
    );
  }
  if (typedArrayKind(key) === "Uint8Array") {
    return fail(
      "ERR_INVALID_KEY",
      "the key is a Uint8Array whose ArrayBuffer was detached (transferred) or shrunk out of bounds; pass a key whose bytes can be read",
    );
  }
  return fail("ERR_INVALID_KEY", `a key must be a string or a Uint8Array, got ${describe(key)}`);
}

/** A pick export answered what the protocol (js/protocol.js) does not allow there: a bug, never the caller's. */
function unexpected(r) {
  return fail("ERR_INTERNAL", `edgeroute hit an internal error (a pick export returned ${r}). This is a bug: please report it with this message.`);
}

function reentrant() {
  return fail(
    "ERR_REENTRANT",
    "a Router method was called while another Router call was still running (from code that runs inside it: a replaced Date.now or crypto.getRandomValues, or a setter on Object.prototype); make the call after the first one returns",
  );
}

/** One request in flight, from `router.acquire(key)`. `end()` finishes it once; later calls do nothing. */
class Lease {
  #id;
  #end;
  #open = true;
  /** `end(outcome)` ends the request on its Router; it returns false if the node was removed since. */
  constructor(id, end) {
    this.#id = id;
    this.#end = end;
  }
  /** The node serving this request. */
  get id() {
    return this.#id;
  }
  /** Ends the request, reporting `outcome` if given. Returns false if it had ended or its node was removed. */
  end(outcome) {
    if (!this.#open) return false;
    // Read the outcome (its getters run here) before closing: a getter that ends this lease wins, once.
    const o = outcome === undefined ? undefined : plain(outcome, "the outcome");
    if (!this.#open) return false;
    this.#open = false;
    try {
      return this.#end(o);
    } catch (e) {
      this.#open = true; // a bad outcome or a freed Router: the request is still in flight
      throw e;
    }
  }
}

/**
 * Makes the Router class over a wasm-bindgen glue module. `getGlue()` returns the glue once the wasm is ready
 * (the web entry throws ERR_NOT_INITIALIZED from it until `init()` has run).
 */
const FROM_SNAPSHOT = Symbol("fromSnapshot");

/** wasm memory is little-endian; typed arrays use the platform's order (big-endian only on e.g. s390x). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const le32 = LITTLE_ENDIAN ? (x) => x : (x) => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);

/**
 * The wasm module's scratch buffer (src/wasm/scratch.rs `scratch`), as byte and word views of wasm memory. String keys
 * are written into it as UTF-8 with TextEncoder.encodeInto, so a pick makes one wasm call and allocates nothing
 * in wasm (wasm-bindgen's own string passing allocates, copies and frees: about 80 ns more per pick). pickN
 * and pickMany read their node indices back from it.
 */
class Scratch {
  #glue;
  #memory = null;
  #encoder = new TextEncoder();
  bytes = new Uint8Array(0);
  words = new Uint32Array(0);
  cap = 0;
  constructor(glue) {
    this.#glue = glue;
  }
  /** Makes the buffer hold `len` bytes (keeping what it holds) and refreshes views detached by memory growth. */
  reserve(len) {
    if (this.bytes.byteLength !== 0 && len <= this.cap) return;
    if (len > this.cap) this.cap = align4(Math.max(len, 2 * this.cap, 256));
    const ptr = this.#glue.scratch(this.cap);
    if (ptr === 0) {
      this.cap = this.bytes.byteLength;
      throw fail("ERR_TOO_LARGE", `out of memory: the key buffer could not grow to ${len} bytes (the module's memory is full: free Routers you no longer use)`);
    }
    this.#memory ??= this.#glue.wasm_memory();
    this.bytes = new Uint8Array(this.#memory.buffer, ptr, this.cap);
    this.words = new Uint32Array(this.#memory.buffer, ptr, this.cap >> 2);
  }
  /**
   * Writes `s` (at most MAX_KEY_BYTES units; well-formed if longer than LOOP_UNITS) as UTF-8 at the start;
   * returns its length in bytes. The loop for short strings throws `badKey` on a lone surrogate.
   */
  write(s) {
    // A UTF-16 unit takes up to 3 UTF-8 bytes; ASCII takes one, so try with room for that first.
    const n = s.length;
    if (this.bytes.byteLength === 0 || n > this.cap) this.reserve(n);
    if (n <= LOOP_UNITS) {
      if (3 * n > this.cap) this.reserve(3 * n);
      const b = this.bytes;
      let j = 0;
      for (let i = 0; i < n; i++) {
        let c = charCodeAt.call(s, i);
        if (c < 0x80) {
          b[j++] = c;
        } else if (c < 0x800) {
          b[j++] = 0xc0 | (c >> 6);
          b[j++] = 0x80 | (c & 0x3f);
        } else if (c >= 0xd800 && c < 0xdc00) {
          const d = charCodeAt.call(s, ++i); // NaN past the end
          if (!(d >= 0xdc00 && d < 0xe000)) throw badKey(s);
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          b[j++] = 0xf0 | (c >> 18);
          b[j++] = 0x80 | ((c >> 12) & 0x3f);
          b[j++] = 0x80 | ((c >> 6) & 0x3f);
          b[j++] = 0x80 | (c & 0x3f);
        } else {
          if (c >= 0xdc00 && c < 0xe000) throw badKey(s); // a trail surrogate with no lead
          b[j++] = 0xe0 | (c >> 12);
          b[j++] = 0x80 | ((c >> 6) & 0x3f);
          b[j++] = 0x80 | (c & 0x3f);
        }
      }
      return j;
    }
    const r = encodeInto.call(this.#encoder, s, this.bytes);
    if (r.read === s.length) return r.written;
    this.reserve(3 * s.length);
    const written = encodeInto.call(this.#encoder, s, this.bytes).written;
    if (written > MAX_KEY_BYTES) throw keyTooLong(written);
    return written;
  }
  /** Copies a Uint8Array key's `n` bytes (its real length, from `checkKey`) to the start; returns `n`. */
  writeBytes(key, n) {
    if (this.bytes.byteLength === 0 || n > this.cap) this.reserve(n);
    try {
      typedArraySet.call(this.bytes, key);
    } catch {
      throw badKey(key); // detached since it was checked (by a replaced crypto.getRandomValues, say)
    }
    return n;
  }
  /**
   * Writes the string keys `keys[from..to]` (well-formed) back to back from the start, then at `align4(bytes)`
   * their byte lengths as words; returns `bytes`. The keys are joined and encoded with one encodeInto; when that
   * writes one byte per UTF-16 unit every key is ASCII and its length is its own, otherwise each key's UTF-8
   * length is counted.
   */
  writeMany(keys, from, to, units) {
    const n = to - from;
    this.reserve(align4(3 * units) + 4 * n);
    const joined = keys.slice(from, to).join("");
    const written = encodeInto.call(this.#encoder, joined, this.bytes).written;
    const at = align4(written) >> 2;
    const ascii = written === joined.length;
    for (let i = 0; i < n; i++) this.words[at + i] = le32(ascii ? keys[from + i].length : utf8Length(keys[from + i]));
    return written;
  }
}

/** UTF-8 length of a well-formed string: 1 byte below U+0080, 2 below U+0800, 3 above, 4 per surrogate pair. */
function utf8Length(s) {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/**
 * pickMany joins runs of string keys of at most SHORT_KEY UTF-16 units, up to WINDOW_UNITS per wasm call (so the
 * joined string stays a small young object). Longer keys and byte keys go one at a time, as `pick` sends them:
 * for them the encode call's fixed cost is small next to copying the key twice.
 */
const SHORT_KEY = 32;
const WINDOW_UNITS = 8192;

/** The node ids in index order, sliced out of one string (decoding one string per id costs more). */
function idsOf(w) {
  const joined = w.ids_joined();
  const lengths = w.id_lengths();
  const ids = new Array(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) ids[i] = joined.slice(at, (at += lengths[i]));
  return ids;
}

function withIndex(err, i) {
  err.message = `pickMany(keys): keys[${i}]: ${err.message}`;
  return err;
}

/** Picks made with the clock before a Router that once needed it tries again without (a healthy pool never does). */
const CLOCK_HINT_PICKS = 256;

function bindRouter(getGlue) {
  let scratch;
  const scratchOf = () => (scratch ??= new Scratch(getGlue()));
  /** The shadow stack pointer at rest (no wasm frame live), read before the module's first call. */
  let restingStack;
  /** A call was cut short inside wasm since the last call: put the shadow stack pointer back first. */
  let recoverPending = false;
  /**
   * A call that did not return normally (the JS stack ran out inside wasm, or a trap) unwound the wasm frames
   * without their epilogues, so the shadow stack pointer stayed lowered; each such call would leak stack until
   * the module's stack overflowed into its data. Run at the start of the next call (where the JS stack is
   * healthy again and no wasm frame is live, as calls never nest), it puts the pointer back at rest.
   */
  const recover = (glue) => {
    const sp = glue.stack_pointer?.();
    if (sp !== undefined && restingStack !== undefined) sp.value = restingStack;
    recoverPending = false;
  };
  /**
   * True while any Router of this module is inside a wasm call. All Routers share one wasm instance and one
   * scratch buffer, so a call that starts while another runs (possible only from code that runs inside wasm:
   * a setter on Object.prototype) is refused with ERR_REENTRANT instead of corrupting either.
   */
  let busy = false;
  class Router {
    #w;
    #ids;
    /** Zone name → index for the pick exports; undefined until a pick names a zone, and after membership changes. */
    #zones;
    #strategy;
    /** The ERR_INTERNAL error this Router hit, after which it refuses every call. */
    #broken;
    /** Pass the clock to picks: least-latency always; others for a while after the core asked for it. */
    #clockAlways = false;
    #clockPicks = 0;
    /**
     * Each live node's incarnation (made on the first acquire): a lease of a node that was removed ends with
     * false, even when a node of the same id was added since, instead of ending that node's request.
     */
    #serials;
    #nextSerial = 0;

    constructor(options, snapshot) {
      const glue = getGlue();
      const data = options === FROM_SNAPSHOT ? plain(snapshot, "the snapshot") : plain(options, "options");
      const p = packable(data) ? pack(data) : undefined;
      const now = nowMs();
      if (busy) throw reentrant();
      restingStack ??= glue.stack_pointer?.().value;
      if (recoverPending) recover(glue);
      busy = true;
      try {
        if (options === FROM_SNAPSHOT) {
          this.#w = p ? glue.WasmRouter.from_snapshot_packed(p.text, p.numbers, now) : glue.WasmRouter.from_snapshot(data, now);
        } else {
          this.#w = p ? glue.WasmRouter.new_packed(p.text, p.numbers) : new glue.WasmRouter(data);
        }
        this.#ids = idsOf(this.#w);
        this.#strategy = this.#w.strategy();
      } catch (e) {
        const err = adopt(e, glue);
        if (!(err instanceof EdgerouteError) || TRAPS.has(err)) recoverPending = true;
        throw err;
      } finally {
        busy = false;
      }
      this.#clockAlways = this.#strategy === "least-latency";
    }

    /** Bytes of WebAssembly memory the module holds (it grows, never shrinks): watch it for leaks. */
    static wasmMemoryBytes() {
      return getGlue().wasm_memory_bytes();
    }

    /** Rebuilds a Router from `toJSON()`'s value (or its JSON text): options, nodes and health. */
    static fromJSON(snapshot) {
      if (typeof snapshot === "string") {
        try {
          snapshot = JSON.parse(snapshot);
        } catch (e) {
          throw fail("ERR_INVALID_OPTIONS", `Router.fromJSON: the text is not JSON (${e.message})`);
        }
      }
      return new Router(FROM_SNAPSHOT, snapshot);
    }

    /** Options, nodes and health as plain JSON data, to persist in KV or share between isolates. */
    toJSON() {
      Router.#live(this);
      return this.#call((w) => w.snapshot());
    }

    /** Takes a node out of rotation for `forMs`, or until `markUp`. */
    markDown(id, forMs) {
      Router.#live(this);
      const ms = typeof forMs === "bigint" ? Number(forMs) : forMs;
      const now = nowMs();
      this.#call((w) => w.mark_down(id, ms, now));
    }

    /** Puts a node back at once, clearing a mark or an ejection. */
    markUp(id) {
      Router.#live(this);
      const now = nowMs();
      this.#call((w) => w.mark_up(id, now));
    }

    /**
     * Adopts an error from a wasm call; a trap leaves this Router unusable, so remember it. No code of the
     * caller's runs inside a call, so anything else that is not ours (a RangeError when the JS stack ran out
     * inside wasm, wasm-bindgen's "recursive use" errors after one) means the call was cut short mid-way: the
     * Router is retired the same way, with a coded error, and the others keep working.
     */
    #fail(e) {
      let err = adopt(e, getGlue());
      if (!(err instanceof EdgerouteError)) {
        err = fail(
          "ERR_INTERNAL",
          `a call into this Router was cut short inside wasm (${err?.message ?? String(err)}), as when the JS stack runs out; this Router can no longer be used: create a new Router`,
        );
        err.cause = e;
        TRAPS.add(err);
      }
      if (TRAPS.has(err)) {
        this.#broken = err;
        recoverPending = true;
      }
      return err;
    }

    /** The live WasmRouter of `r`, or the coded reason there is none (static: a private method called on an
     * object that is not a Router would throw the engine's TypeError before any check could run). */
    static #live(r) {
      if (!(#w in r)) {
        throw fail("ERR_INVALID_ARGUMENT", "a Router method was called on an object that is not a Router; call it on a Router (mind `this` when passing a method as a callback)");
      }
      if (r.#broken !== undefined) {
        throw fail("ERR_INTERNAL", `this Router hit an internal error earlier and can no longer be used; create a new Router. (${r.#broken.message})`);
      }
      if (r.#w === undefined) {
        throw fail("ERR_FREED", "this Router was freed; create a new Router to keep routing");
      }
      if (busy) throw reentrant();
      return r.#w;
    }

    /**
     * Runs `f` on the live WasmRouter, marked busy, turning what it throws into EdgerouteErrors. Callers read
     * and copy every argument of the caller's (and the clock) before this, so no caller code runs inside.
     */
    #call(f) {
      const w = Router.#live(this);
      if (recoverPending) recover(getGlue());
      busy = true;
      try {
        return f(w);
      } catch (e) {
        throw this.#fail(e);
      } finally {
        busy = false;
      }
    }

    /**
     * Runs a pick export, `send(w, now)`, which writes its key into the scratch and returns what the export
     * returned (its results read from the scratch inside `send`). When the core asks for the clock or for
     * entropy, they are fetched here, outside the busy region (a replaced Date.now or crypto.getRandomValues
     * is the caller's code), and the pick is sent again, key and all: that code may have used the scratch.
     * `send` gets the index of zone `zone` (a name, or undefined) as its third argument, resolved before each
     * send, after that code ran: it may have changed the Router's zones.
     */
    #pick(send, clock = false, zone = undefined) {
      let now = clock || this.#clockAlways || this.#clockPicks > 0 ? nowMs() : NaN;
      if (this.#clockPicks > 0) this.#clockPicks--;
      for (;;) {
        const z = this.#zoneIndex(zone);
        const r = this.#call((w) => {
          const r = send(w, now, z);
          if (r === FAILED) throw w.take_error();
          return r;
        });
        if (r > NEED_CLOCK) return r;
        if (r === NEED_CLOCK) {
          this.#clockPicks = CLOCK_HINT_PICKS;
          now = nowMs();
        } else if (r === NEED_ENTROPY) {
          const e = entropyWords();
          this.#call((w) => w.seed_entropy(e[0], e[1]));
        } else {
          throw unexpected(r);
        }
      }
    }

    /** The strategy name given at construction. */
    get strategy() {
      Router.#live(this);
      return this.#strategy;
    }

    /** A pick export's result (src/wasm/mod.rs `pick_key`): an index, or NONE. */
    /**
     * The zone name a pick's `options` ask for (undefined: none). The options are read here, once, before any
     * wasm call: their getters are the caller's code. The name becomes an index only just before the pick's
     * wasm call ({@link #zoneIndex}), after every other piece of the caller's code (a replaced Date.now) ran.
     */
    #zoneOf(options, call) {
      if (options === null || typeof options !== "object") {
        throw fail("ERR_INVALID_OPTION", `${call}: options must be an object like { zone: "eu-west" }, got ${describe(options)}`);
      }
      for (const k of Object.keys(options)) {
        if (k !== "zone") throw fail("ERR_UNKNOWN_OPTION", `${call}: unknown option ${JSON.stringify(k)}; the only pick option is zone`);
      }
      // Own properties only, as every other options object: a `zone` on Object.prototype is no caller's zone.
      const zone = Object.prototype.hasOwnProperty.call(options, "zone") ? options.zone : undefined;
      if (zone !== undefined && typeof zone !== "string") {
        throw fail("ERR_INVALID_OPTION", `${call}: options.zone must be a zone name (a string), got ${describe(zone)}`);
      }
      return zone;
    }

    /**
     * The index the pick exports take for zone `name` (-1: none). A zone no node is in picks as no zone does
     * (docs/traffic.md). Call it after the last piece of the caller's code before the wasm call: an index is
     * only meaningful for the zones of that moment.
     */
    #zoneIndex(name) {
      if (name === undefined) return -1;
      let zones = this.#zones;
      if (zones === undefined) {
        const names = this.#call((w) => w.zones());
        zones = this.#zones = new Map(names.map((z, i) => [z, i]));
      }
      return zones.get(name) ?? -1;
    }

    #pickIndex(key, acquire, zoneName) {
      const w = Router.#live(this);
      const n = key === undefined ? 0 : checkPickKey(key);
      // The fast path, inline: one wasm call. #pick handles the core asking for the clock or entropy.
      let now = NaN;
      const clock = this.#clockAlways || this.#clockPicks > 0;
      if (clock) {
        now = nowMs();
        Router.#live(this); // a replaced Date.now may have freed this Router
      }
      const zone = this.#zoneIndex(zoneName); // after Date.now, which may have changed the zones
      busy = true;
      let i;
      try {
        if (key === undefined) {
          i = acquire ? w.acquire_none(zone, now) : w.pick_none(zone, now);
        } else {
          const s = scratch ?? scratchOf();
          const len = typeof key === "string" ? s.write(key) : s.writeBytes(key, n);
          i = acquire ? w.acquire_scratch(len, zone, now) : w.pick_scratch(len, zone, now);
        }
        if (i === FAILED) throw w.take_error();
      } catch (e) {
        throw this.#fail(e); // a lone surrogate that write() found included: the Router is as it was
      } finally {
        busy = false;
      }
      if (clock && this.#clockPicks > 0) this.#clockPicks--;
      if (i > NEED_CLOCK) return i;
      if (key === undefined) return this.#pick((w, now, z) => (acquire ? w.acquire_none(z, now) : w.pick_none(z, now)), true, zoneName);
      return this.#pick(
        (w, now, z) => {
          const s = scratch ?? scratchOf();
          const len = typeof key === "string" ? s.write(key) : s.writeBytes(key, n);
          return acquire ? w.acquire_scratch(len, z, now) : w.pick_scratch(len, z, now);
        },
        true,
        zoneName,
      );
    }

    pick(key, options) {
      Router.#live(this);
      const zone = options === undefined ? undefined : this.#zoneOf(options, "pick(key, options)");
      const i = this.#pickIndex(key, false, zone);
      return i === NONE ? undefined : this.#ids[i];
    }

    /**
     * `pick` of each key in order, a window of keys per wasm call: the same answers (and counts) as
     * `keys.map(k => router.pick(k))`, for less time per key.
     */
    pickMany(keys, options) {
      Router.#live(this);
      const zone = options === undefined ? undefined : this.#zoneOf(options, "pickMany(keys, options)");
      // The clock first: a replaced Date.now is the caller's code, and must not run after the keys are checked.
      const now = nowMs();
      if (!Array.isArray(keys)) {
        throw fail("ERR_INVALID_KEY", `pickMany(keys): keys must be an array of strings or Uint8Arrays, got ${describe(keys)}`);
      }
      // Read the length and every element exactly once, and check each, before anything is picked: a getter or
      // Proxy trap runs here, never between picks, and a bad key leaves the Router as it was.
      const n = keys.length;
      if (!(Number.isSafeInteger(n) && n >= 0 && n <= MAX_BATCH)) {
        throw fail("ERR_INVALID_KEY", `pickMany(keys): keys.length must be a whole number from 0 to ${MAX_BATCH}, got ${String(n)}; split larger batches`);
      }
      const ks = [];
      for (let i = 0; i < n; i++) {
        const k = keys[i];
        try {
          checkKey(k);
        } catch (e) {
          throw withIndex(e, i);
        }
        ks.push(k);
      }
      if (this.#call((w) => w.needs_entropy())) {
        const e = entropyWords();
        this.#call((w) => w.seed_entropy(e[0], e[1]));
      }
      const z = this.#zoneIndex(zone); // after every piece of the caller's code above (getters, Date.now)
      return this.#call((w) => this.#pickMany(w, ks, z, now));
    }

    #pickMany(w, keys, zone, now) {
      const n = keys.length;
      const out = new Array(n);
      const s = scratch ?? scratchOf();
      const ids = this.#ids;
      for (let from = 0; from < n; ) {
        const first = keys[from];
        if (typeof first !== "string" || first.length > SHORT_KEY) {
          const i = w.pick_scratch(typeof first === "string" ? s.write(first) : s.writeBytes(first, typedArrayByteLength.call(first)), zone, now);
          if (i === FAILED) throw w.take_error();
          if (i < NONE) throw unexpected(i); // the clock and entropy were given
          out[from++] = i === NONE ? undefined : ids[i];
          continue;
        }
        let to = from;
        let units = 0;
        for (let k = keys[to]; to < n && typeof k === "string" && k.length <= SHORT_KEY && units + k.length <= WINDOW_UNITS; k = keys[++to]) {
          units += k.length;
        }
        const bytes = s.writeMany(keys, from, to, units);
        const at = align4(bytes) >> 2;
        const rc = w.pick_many_scratch(bytes, to - from, zone, now);
        if (rc === FAILED) throw w.take_error();
        if (rc !== 0) throw unexpected(rc);
        s.reserve(0);
        const words = s.words;
        for (let i = from; i < to; i++) {
          const idx = le32(words[at + i - from]) | 0;
          out[i] = idx === NONE ? undefined : ids[idx];
        }
        from = to;
      }
      return out;
    }

    /** `pick`, counting the request as in flight until the returned lease's `end()`. */
    acquire(key, options) {
      Router.#live(this);
      const zone = options === undefined ? undefined : this.#zoneOf(options, "acquire(key, options)");
      const i = this.#pickIndex(key, true, zone);
      if (i === NONE) return undefined;
      const id = this.#ids[i];
      this.#serials ??= new Map(this.#ids.map((x) => [x, this.#nextSerial++]));
      const serial = this.#serials.get(id);
      return new Lease(id, (o) => {
        if (this.#serials.get(id) !== serial) return false;
        try {
          this.end(id, o);
        } catch (e) {
          if (e?.code === "ERR_UNKNOWN_NODE") return false;
          throw e;
        }
        return true;
      });
    }

    begin(id) {
      Router.#live(this);
      this.#call((w) => w.begin(id));
    }

    end(id, outcome) {
      Router.#live(this);
      const o = plain(outcome, "the outcome");
      const now = nowMs();
      this.#call((w) => w.end(id, o, now));
    }

    pickN(key, n, options) {
      Router.#live(this);
      const zone = options === undefined ? undefined : this.#zoneOf(options, "pickN(key, n, options)");
      const bytes = key === undefined ? 0 : checkKey(key);
      const count = typeof n === "bigint" ? Number(n) : n;
      // A number crosses as an f64 (the core checks it); anything else gets the core's message for it.
      if (typeof count !== "number") this.#call((w) => { throw w.count_error(count); });
      let at = 0;
      // The key goes in the scratch and the indices come back after it: one wasm call, no array made in wasm.
      const send = (w, now, z) => {
        const s = scratch ?? scratchOf();
        const len = key === undefined ? NO_KEY : typeof key === "string" ? s.write(key) : s.writeBytes(key, bytes);
        at = align4(Math.max(len, 0));
        s.reserve(at + 4 * (count >= 1 ? Math.min(count, this.#ids.length) : 0));
        return w.pick_n_scratch(len, count, z, now);
      };
      // The fast path, as #pickIndex: one call when the core needs neither the clock nor entropy.
      let c;
      if (this.#clockAlways || this.#clockPicks > 0) {
        c = this.#pick(send, false, zone);
      } else {
        const z = this.#zoneIndex(zone);
        const w = Router.#live(this);
        if (recoverPending) recover(getGlue());
        busy = true;
        try {
          c = send(w, NaN, z);
          if (c === FAILED) throw w.take_error();
        } catch (e) {
          throw this.#fail(e);
        } finally {
          busy = false;
        }
        if (c <= NEED_CLOCK) c = this.#pick(send, false, zone);
      }
      // Nothing ran between the call and this read: #pick returns as soon as the export succeeds.
      const s = scratch ?? scratchOf();
      s.reserve(0);
      const ids = this.#ids;
      const words = s.words;
      const out = new Array(c);
      for (let k = 0; k < c; k++) out[k] = ids[le32(words[(at >> 2) + k])];
      return out;
    }

    add(node) {
      Router.#live(this);
      const n = plain(node, "node");
      this.#call((w) => {
        w.add(n);
        // The core appends the node and keeps its id as given (a string, or add threw): no O(N) refresh.
        this.#ids.push(n.id);
        if (n.zone !== undefined) this.#zones = undefined;
      });
      this.#serials?.set(this.#ids[this.#ids.length - 1], this.#nextSerial++);
    }

    setNodes(nodes) {
      Router.#live(this);
      const list = plain(nodes, "setNodes(nodes): nodes");
      let before;
      const c = this.#call((w) => {
        // Leases name a node's incarnation: one that left, or left and joined again, gets a new serial.
        if (this.#serials !== undefined) before = w.nodes();
        const c = w.set_nodes(list);
        if (c[0] + c[1] > 0) {
          this.#ids = idsOf(w);
          this.#zones = undefined;
          if (before !== undefined) this.#serials = this.#reserial(before, w.nodes());
        }
        return c;
      });
      return { added: c[0], removed: c[1], reweighted: c[2] };
    }

    /** Serials after a batch: kept for a node whose id and fields are unchanged, new for every other. */
    #reserial(before, after) {
      const old = new Map();
      for (let i = 0; i < before.length; i++) old.set(before[i].id, before[i]);
      const next = new Map();
      for (let i = 0; i < after.length; i++) {
        const n = after[i];
        const b = old.get(n.id);
        const same = b !== undefined && b.name === n.name && b.serverId === n.serverId && b.hashString === n.hashString && b.zone === n.zone && b.priority === n.priority;
        next.set(n.id, same ? this.#serials.get(n.id) : this.#nextSerial++);
      }
      return next;
    }

    remove(id) {
      Router.#live(this);
      return this.#call((w) => {
        const removed = w.remove(id);
        if (removed) {
          this.#ids = this.#ids.filter((x) => x !== id);
          this.#zones = undefined;
          this.#serials?.delete(id);
        }
        return removed;
      });
    }

    setWeight(id, weight) {
      Router.#live(this);
      this.#call((w) => w.set_weight(id, typeof weight === "bigint" ? Number(weight) : weight));
    }

    report(id, outcome) {
      Router.#live(this);
      const o = plain(outcome, "the outcome");
      const now = nowMs();
      this.#call((w) => w.report(id, o, now));
    }

    nodes() {
      Router.#live(this);
      return this.#call((w) => w.nodes());
    }

    /**
     * Inspection (for visualisation and debugging): the ring's points, ascending, as positions in [0, 1)
     * (hash / 2^64) and their owners' ids; null for strategies without a ring.
     */
    ringPoints() {
      Router.#live(this);
      const r = this.#call((w) => w.ring_points());
      if (r === null) return null;
      const ids = this.#ids;
      return { positions: r[0], owners: Array.from(r[1], (i) => ids[i]) };
    }

    /** Inspection: the key's hash as a position in [0, 1); on a ring the key goes to the first point at or after it. */
    keyPosition(key) {
      Router.#live(this);
      const n = checkKey(key);
      return this.#call((w) => {
        const s = scratch ?? scratchOf();
        return w.key_position_scratch(typeof key === "string" ? s.write(key) : s.writeBytes(key, n));
      });
    }

    stats() {
      Router.#live(this);
      const now = nowMs();
      const stats = this.#call((w) => w.stats(now));
      // The active checks' view of each node (js/checks.js keeps it per Router), or null.
      for (const s of stats) s.check = checkView(this, s.id);
      return stats;
    }

    /** The Router's state in the Prometheus text format, or OpenMetrics (`format: "openmetrics"`); docs/monitoring.md. */
    metrics(options) {
      Router.#live(this);
      const o = metricsOptions(options === undefined ? undefined : plain(options, "metrics(options)"), "metrics", ["prefix", "labels", "format"]);
      const now = nowMs();
      return renderText(this.#call((w) => w.metrics_raw(now)), this.#ids, this.#strategy, o);
    }

    /** The same figures as an OTLP/JSON ExportMetricsServiceRequest, for an OpenTelemetry collector's /v1/metrics. */
    otlpMetrics(options) {
      Router.#live(this);
      const o = metricsOptions(options === undefined ? undefined : plain(options, "otlpMetrics(options)"), "otlpMetrics", ["prefix", "labels", "resource"]);
      const now = nowMs();
      return renderOtlp(this.#call((w) => w.metrics_raw(now)), this.#ids, this.#strategy, o, now, version);
    }

    /** routedFetch's record of one request (js/protocol.js RECORD_REQUEST). */
    [RECORD_REQUEST](result, attempts, timeouts, ms) {
      Router.#live(this);
      const now = nowMs();
      this.#call((w) => w.record_request(result, attempts, timeouts, ms, now));
    }

    /** Releases the wasm memory now. Calling it twice is harmless; any other call afterwards throws ERR_FREED. */
    free() {
      if (!(#w in this)) Router.#live(this);
      if (this.#w !== undefined) {
        if (busy) throw reentrant();
        const w = this.#w;
        this.#w = undefined;
        try {
          w.free();
        } catch {
          // Only a Router whose call was cut short (still borrowed in wasm-bindgen's books) refuses: its memory
          // is left alone rather than freed under a borrow.
        }
      }
    }
  }
  if (typeof Symbol.dispose === "symbol") {
    Router.prototype[Symbol.dispose] = Router.prototype.free;
  }
  Object.defineProperty(Router.prototype, Symbol.toStringTag, { value: "Router" });
  return Router;
}

/** The package version (stamped by the build). */
const version = "__EDGEROUTE_VERSION__";

export { bindRouter, version, ownKey };
