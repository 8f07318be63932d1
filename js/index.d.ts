// Types of the edgeroute package. Every entry point ("edgeroute" under node, deno, workerd, browser and
// bundlers, and "edgeroute/web") exports these.

/** The routing strategies. */
export type Strategy = "random" | "round-robin" | "weighted-round-robin" | "least-latency" | "ring";

/** One origin. `id` is what `pick` returns; 1 to 256 bytes of UTF-8, unique within a Router. */
export interface NodeSpec {
  id: string;
  /** Relative weight, a finite number > 0 and <= 1e6. Default 1. */
  weight?: number;
}

/** A node as the Router holds it. */
export interface NodeInfo {
  id: string;
  weight: number;
}

interface CommonOptions {
  /** At least one node; ids unique. */
  nodes: readonly NodeSpec[];
  /**
   * A whole number from 0 to 2^53-1. For "ring" it seeds the xxh3 hashes of keys and points (default 0): every
   * isolate with the same nodes and seed maps keys identically. For "random" and "least-latency" it seeds the
   * PRNG, making picks reproducible (default: fresh entropy, drawn lazily on the first pick).
   */
  seed?: number;
}

export interface RingOptions extends CommonOptions {
  strategy: "ring";
  /** Ring points per unit of weight, 1 to 10000. Default 160. */
  vnodes?: number;
}

export interface LeastLatencyOptions extends CommonOptions {
  strategy: "least-latency";
  /** Time constant of the latency EWMA in ms, > 0. Default 10000. */
  decayMs?: number;
}

export interface SimpleOptions extends CommonOptions {
  strategy: "random" | "round-robin" | "weighted-round-robin";
}

/** Options of `new Router(options)`. Unknown options, and options of another strategy, are errors. */
export type RouterOptions = RingOptions | LeastLatencyOptions | SimpleOptions;

/** A routing key: a string (hashed as its UTF-8 bytes) or raw bytes. */
export type Key = string | Uint8Array;

/** The outcome of one request, for `report`. */
export interface Outcome {
  ok: boolean;
  /** Observed latency in ms, finite, >= 0. */
  latencyMs?: number;
}

/** Per-node figures from `stats()`. */
export interface NodeStats {
  id: string;
  weight: number;
  /** Times the node was the first choice of `pick` or `pickN`. */
  picks: number;
  successes: number;
  failures: number;
  /** Picked but not yet reported (counted by "least-latency"). */
  inflight: number;
  /** Decayed latency estimate in ms, or null before the first latency report. */
  ewmaMs: number | null;
}

/** The stable error codes. */
export type ErrorCode =
  | "ERR_INVALID_OPTIONS"
  | "ERR_UNKNOWN_OPTION"
  | "ERR_UNKNOWN_FIELD"
  | "ERR_INVALID_OPTION"
  | "ERR_UNKNOWN_STRATEGY"
  | "ERR_NO_NODES"
  | "ERR_INVALID_ID"
  | "ERR_DUPLICATE_ID"
  | "ERR_INVALID_WEIGHT"
  | "ERR_UNKNOWN_NODE"
  | "ERR_INVALID_KEY"
  | "ERR_INVALID_COUNT"
  | "ERR_INVALID_REPORT"
  | "ERR_TOO_LARGE"
  | "ERR_FREED"
  | "ERR_NOT_INITIALIZED"
  | "ERR_INTERNAL";

/** Every error edgeroute throws. */
export declare class EdgerouteError extends Error {
  readonly name: "EdgerouteError";
  readonly code: ErrorCode;
}

export declare class Router {
  constructor(options: RouterOptions);
  /** The strategy given at construction. */
  readonly strategy: Strategy;
  /**
   * The node for this key, or undefined when the pool is empty. "ring" needs a key; the other strategies
   * ignore it and may be called with none.
   */
  pick(key?: Key): string | undefined;
  /** Up to n distinct node ids in preference (failover) order; the first is what `pick` would return. */
  pickN(key: Key | undefined, n: number): string[];
  /** Adds a node. Throws ERR_DUPLICATE_ID, ERR_INVALID_ID, ERR_INVALID_WEIGHT, ERR_UNKNOWN_FIELD. */
  add(node: NodeSpec): void;
  /** Removes a node; false when no node has this id. */
  remove(id: string): boolean;
  /** Changes a node's weight. Throws ERR_UNKNOWN_NODE or ERR_INVALID_WEIGHT. */
  setWeight(id: string, weight: number): void;
  /** Reports a request's outcome; ends one in-flight request of that node. */
  report(id: string, outcome: Outcome): void;
  /** The pool, in insertion order. */
  nodes(): NodeInfo[];
  stats(): NodeStats[];
  /**
   * Frees the wasm memory now; later calls throw ERR_FREED. (Where `Symbol.dispose` exists, `using r = new
   * Router(...)` calls it too.)
   */
  free(): void;
}

/** The package version. */
export declare const version: string;
