// The public Router class, shared by every entry point of the package.
//
// It wraps the wasm-bindgen class `WasmRouter` (src/wasm.rs), which does all validation and routing. This layer
// only dispatches keys by type, caches node ids so a pick returns a cached string (nothing is decoded per
// call), and turns thrown errors into `EdgerouteError` instances. The build copies this file to router.cjs
// for require(), replacing the last line.

/** An error thrown by edgeroute. `code` is stable; see the README's error table. */
class EdgerouteError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
Object.defineProperty(EdgerouteError.prototype, "name", { value: "EdgerouteError", writable: true, configurable: true });

function fail(code, message) {
  return new EdgerouteError(code, message);
}

/** Errors from the wasm side are plain `Error`s named EdgerouteError; give them our prototype. */
function adopt(e) {
  if (e instanceof EdgerouteError) return e;
  if (e instanceof Error && e.name === "EdgerouteError" && typeof e.code === "string") {
    Object.setPrototypeOf(e, EdgerouteError.prototype);
    return e;
  }
  if (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) {
    const err = fail(
      "ERR_INTERNAL",
      `edgeroute hit an internal error (${e.message}). This is a bug: please report it. ` +
        "The Router's wasm instance may be corrupt; create a new Router.",
    );
    err.cause = e;
    return err;
  }
  return e;
}

function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v;
}

function badKey(key) {
  if (typeof key === "string") {
    return fail(
      "ERR_INVALID_KEY",
      "the key contains a lone UTF-16 surrogate, which has no UTF-8 form; fix the string or pass its bytes as a Uint8Array",
    );
  }
  return fail("ERR_INVALID_KEY", `a key must be a string or a Uint8Array, got ${describe(key)}`);
}

/** One request in flight, from `router.acquire(key)`. `end()` finishes it once; later calls do nothing. */
class Lease {
  #router;
  #open = true;
  constructor(router, id) {
    this.#router = router;
    /** The node serving this request. */
    this.id = id;
  }
  /** Ends the request, reporting `outcome` if given. Returns false if it had ended or its node was removed. */
  end(outcome) {
    if (!this.#open) return false;
    try {
      this.#router.end(this.id, outcome);
    } catch (e) {
      if (e.code !== "ERR_UNKNOWN_NODE") throw e;
      this.#open = false;
      return false;
    }
    this.#open = false;
    return true;
  }
}

/**
 * Makes the Router class over a wasm-bindgen glue module. `getGlue()` returns the glue once the wasm is ready
 * (the web entry throws ERR_NOT_INITIALIZED from it until `init()` has run).
 */
const FROM_SNAPSHOT = Symbol("fromSnapshot");

function bindRouter(getGlue) {
  class Router {
    #w;
    #ids;
    #strategy;

    constructor(options, snapshot) {
      const glue = getGlue();
      try {
        this.#w = options === FROM_SNAPSHOT ? glue.WasmRouter.from_snapshot(snapshot) : new glue.WasmRouter(options);
      } catch (e) {
        throw adopt(e);
      }
      this.#ids = this.#w.ids();
      this.#strategy = this.#w.strategy();
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
      return this.#live().snapshot();
    }

    /** Takes a node out of rotation for `forMs`, or until `markUp`. */
    markDown(id, forMs) {
      this.#call((w) => w.mark_down(id, forMs));
    }

    /** Puts a node back at once, clearing a mark or an ejection. */
    markUp(id) {
      this.#call((w) => w.mark_up(id));
    }

    #live() {
      if (this.#w === undefined) {
        throw fail("ERR_FREED", "this Router was freed; create a new Router to keep routing");
      }
      return this.#w;
    }

    /** Runs `f` on the live WasmRouter, turning what it throws into EdgerouteErrors (pick paths inline this). */
    #call(f) {
      const w = this.#live();
      try {
        return f(w);
      } catch (e) {
        throw adopt(e);
      }
    }

    /** The strategy name given at construction. */
    get strategy() {
      return this.#strategy;
    }

    #pickIndex(key, acquire) {
      const w = this.#live();
      try {
        if (typeof key === "string") {
          if (!key.isWellFormed()) throw badKey(key);
          return acquire ? w.acquire_str(key) : w.pick_str(key);
        }
        if (key instanceof Uint8Array) return acquire ? w.acquire_bytes(key) : w.pick_bytes(key);
        if (key === undefined) return acquire ? w.acquire_none() : w.pick_none();
        throw badKey(key);
      } catch (e) {
        throw adopt(e);
      }
    }

    pick(key) {
      const i = this.#pickIndex(key, false);
      return i < 0 ? undefined : this.#ids[i];
    }

    /** `pick`, counting the request as in flight until the returned lease's `end()`. */
    acquire(key) {
      const i = this.#pickIndex(key, true);
      return i < 0 ? undefined : new Lease(this, this.#ids[i]);
    }

    begin(id) {
      this.#call((w) => w.begin(id));
    }

    end(id, outcome) {
      this.#call((w) => w.end(id, outcome));
    }

    pickN(key, n) {
      const w = this.#live();
      let idx;
      try {
        if (typeof key === "string") {
          if (!key.isWellFormed()) throw badKey(key);
          idx = w.pick_n_str(key, n);
        } else if (key instanceof Uint8Array) {
          idx = w.pick_n_bytes(key, n);
        } else if (key === undefined) {
          idx = w.pick_n_none(n);
        } else {
          throw badKey(key);
        }
      } catch (e) {
        throw adopt(e);
      }
      const ids = this.#ids;
      const out = new Array(idx.length);
      for (let k = 0; k < idx.length; k++) out[k] = ids[idx[k]];
      return out;
    }

    add(node) {
      this.#call((w) => w.add(node));
      this.#ids = this.#w.ids();
    }

    remove(id) {
      const removed = this.#call((w) => w.remove(id));
      if (removed) this.#ids = this.#w.ids();
      return removed;
    }

    setWeight(id, weight) {
      this.#call((w) => w.set_weight(id, weight));
    }

    report(id, outcome) {
      this.#call((w) => w.report(id, outcome));
    }

    nodes() {
      return this.#live().nodes();
    }

    /**
     * Inspection (for visualisation and debugging): the ring's points, ascending, as positions in [0, 1)
     * (hash / 2^64) and their owners' ids; null for strategies without a ring.
     */
    ringPoints() {
      const r = this.#live().ring_points();
      if (r === null) return null;
      const ids = this.#ids;
      return { positions: r[0], owners: Array.from(r[1], (i) => ids[i]) };
    }

    /** Inspection: the key's hash as a position in [0, 1); on a ring the key goes to the first point at or after it. */
    keyPosition(key) {
      const w = this.#live();
      if (typeof key === "string") {
        if (!key.isWellFormed()) throw badKey(key);
        return w.key_position_str(key);
      }
      if (key instanceof Uint8Array) return w.key_position_bytes(key);
      throw badKey(key);
    }

    stats() {
      return this.#live().stats();
    }

    /** Releases the wasm memory now. Calling it twice is harmless; any other call afterwards throws ERR_FREED. */
    free() {
      if (this.#w !== undefined) {
        this.#w.free();
        this.#w = undefined;
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

export { EdgerouteError, bindRouter, version };
