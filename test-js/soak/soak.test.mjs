// The short leak and soak run (make test): WebAssembly memory must plateau in every phase. The full run is
// `make soak` (docs/reliability.md).
import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

test("memory plateaus: routers freed, routers dropped to the FinalizationRegistry, millions of picks with churn", () => {
  const out = execFileSync(process.execPath, ["--expose-gc", new URL("./soak.mjs", import.meta.url).pathname], { encoding: "utf8" });
  const f = JSON.parse(out.trim().split("\n").pop());
  console.log(out.trim());
  for (const phase of ["freed", "dropped", "picks"]) {
    assert.equal(f[phase].grewInSecondHalf, 0, `${phase}: memory grew in the second half: ${f[phase].samples}`);
  }
});
