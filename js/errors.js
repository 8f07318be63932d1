// Every error the package throws: the EdgerouteError class, the helper that makes one, and the one list of the
// codes it can carry. js/index.d.ts's ErrorCode and the README's error table name exactly these codes, in this
// order, and no js/ or lua/ file uses an ERR_ code that is not here: `node scripts/errors-doc.mjs --check` (make
// test) fails otherwise. tests/surface.rs fails when a code of the core (Rust `Code`) is missing. The README's
// table says more about each code than the one line below. The build copies this file to errors.cjs for
// require(), rewriting its export line.

/** An error thrown by edgeroute. `code` is stable; see the README's error table. */
class EdgerouteError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
Object.defineProperty(EdgerouteError.prototype, "name", { value: "EdgerouteError", writable: true, configurable: true });

/** A new EdgerouteError with `code` and `message`, and `cause` when one is given. */
function coded(code, message, cause) {
  const err = new EdgerouteError(code, message);
  if (cause !== undefined) err.cause = cause;
  return err;
}

/** Every code, with one line on what it means. Who raises it: the core (Rust `Code`, through the wasm facade),
 * the Router wrapper (js/router.js, js/web.js), routedFetch (js/fetch.js), checkHealth (js/checks.js), the Registry (js/registry.js and its
 * Lua scripts in lua/). */
const ERROR_CODES = Object.freeze({
  // The core (src/error.rs Code), also raised by the Registry's checks and scripts where they apply.
  ERR_INVALID_OPTIONS: "options missing, not an object, or not plain data; strategy missing",
  ERR_UNKNOWN_OPTION: "an option edgeroute does not know, or one of another strategy",
  ERR_UNKNOWN_FIELD: "a node or outcome field that is not part of its shape",
  ERR_INVALID_OPTION: "a known option of the wrong type or out of range",
  ERR_UNKNOWN_STRATEGY: "strategy names none of the strategies",
  ERR_NO_NODES: "nodes missing or empty at construction",
  ERR_INVALID_ID: "a node id that is not a string of 1 to 256 UTF-8 bytes",
  ERR_DUPLICATE_ID: "two nodes with one id",
  ERR_INVALID_WEIGHT: "a weight that is not a number from 1e-6 to 1e6",
  ERR_UNKNOWN_NODE: "no node has this id",
  ERR_INVALID_KEY: "a key that is not a well-formed string or readable Uint8Array of at most 1 MiB, or no key for a hashing strategy",
  ERR_INVALID_COUNT: "pickN's n is not a whole number >= 1",
  ERR_INVALID_REPORT: "an outcome that is not { ok: boolean, latencyMs?: number >= 0 }",
  ERR_TOO_LARGE: "over a size limit: nodes, ring points, table slots, maxMemoryBytes, or a full wasm memory",
  // The Router wrapper.
  ERR_FREED: "a Router call after free()",
  ERR_NOT_INITIALIZED: "edgeroute/web used before init()",
  // The core (a trap or an unknown failure inside wasm) and the wrapper (a call cut short inside wasm).
  ERR_INTERNAL: "a bug or a call cut short inside wasm; that Router refuses later calls",
  ERR_REENTRANT: "a Router call made while another Router call is running",
  // routedFetch (and ERR_INVALID_ARGUMENT from the Router wrapper too).
  ERR_ALL_ATTEMPTS_FAILED: "routedFetch: no origin answered well; err.attempts lists each attempt",
  ERR_INVALID_ARGUMENT: "a Router method called on a non-Router; routedFetch given no Router or no request",
  ERR_INVALID_ORIGIN: "routedFetch attempt: the node id or rewrite() gave no absolute http(s) URL",
  ERR_INVALID_RESPONSE: "routedFetch attempt: the fetch option resolved to something that is not a Response",
  ERR_BODY_INTERRUPTED: "routedFetch: the origin's response body broke off",
  ERR_DEADLINE_EXCEEDED: "routedFetch: deadlineMs passed while a body was buffered or read",
  ERR_RETRY_BUDGET_EXHAUSTED: "routedFetch: a retry was needed and the Router's retryBudget is spent; err.attempts lists each attempt",
  // checkHealth (js/checks.js).
  ERR_CHECK_IN_PROGRESS: "checkHealth: a round of this Router's checks is still running",
  // The Registry.
  ERR_REGISTRY_MISSING: "Registry: neither the nodes key nor the version key exists",
  ERR_REGISTRY_WRONG_TYPE: "Registry: a registry key holds another Redis type",
  ERR_REGISTRY_BAD_WEIGHT: "Registry: a stored or replied weight is not a weight",
  ERR_REGISTRY_BAD_ID: "Registry: a stored member is not a node id",
  ERR_REGISTRY_BAD_META: "Registry: metadata that is not a JSON object of string url/zone",
  ERR_REGISTRY_BAD_VERSION: "Registry: the version or stamp key holds no valid version or stamp, or the version cannot grow",
  ERR_REGISTRY_BAD_REPLY: "Registry: the command function resolved to something that is not a Redis reply",
  ERR_REGISTRY_CONFLICT: "Registry: a conditional write found the registry changed",
  ERR_REGISTRY_REDIS: "Registry: Redis answered with an error of its own",
});

export { EdgerouteError, coded, ERROR_CODES };
