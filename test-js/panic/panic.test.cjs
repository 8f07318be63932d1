// A panic that somehow remains: in a debug build (panic hook installed) it must reach JS as an EdgerouteError
// ERR_INTERNAL carrying the panic's message; that Router then refuses every call, and a new Router works. The
// debug build panics on purpose when asked to pick the key "__edgeroute_debug_panic__" (release builds do not).
// Run by scripts/test.sh after building the debug wasm into target/debug-glue.
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
const glue = require(path.join(root, "target/debug-glue/edgeroute.js"));
const { bindRouter } = require(path.join(root, "pkg/router.cjs"));
const { EdgerouteError } = require(path.join(root, "pkg/errors.cjs"));
const Router = bindRouter(() => glue);

test("a panic surfaces as ERR_INTERNAL with the panic message, and the Router is retired", () => {
  const r = new Router({ strategy: "ring", nodes: [{ id: "a" }, { id: "b" }] });
  assert.ok(["a", "b"].includes(r.pick("warm-up")));
  assert.throws(
    () => r.pick("__edgeroute_debug_panic__"),
    (e) =>
      e instanceof EdgerouteError &&
      e.code === "ERR_INTERNAL" &&
      /a test asked for a panic with the debug key/.test(e.message) &&
      /src\/wasm\/mod\.rs/.test(e.message) &&
      /create a new Router/.test(e.message),
  );
  assert.throws(() => r.pick("k"), (e) => e.code === "ERR_INTERNAL" && /can no longer be used/.test(e.message));
  assert.throws(() => r.nodes(), (e) => e.code === "ERR_INTERNAL");
  const fresh = new Router({ strategy: "ring", nodes: [{ id: "a" }, { id: "b" }] });
  assert.ok(["a", "b"].includes(fresh.pick("k")), "a new Router routes");
  assert.equal(glue.take_panic_message(), undefined, "the message was taken once");
});
