// The long run of the boundary property test (test-js/shared/hostile.js) against the built package, for
// `make fuzz`: `node scripts/hostile.mjs [seeds] [ops per seed]`. `make test` runs a short one in every runtime.
import { Router, EdgerouteError } from "../pkg/node.mjs";
import { hostileChecks, reentranceChecks } from "../test-js/shared/hostile.js";

const seeds = Number(process.argv[2] ?? 200);
const ops = Number(process.argv[3] ?? 20000);
const start = Date.now();
let checks = 0;
let thrown = 0;
const failures = [...reentranceChecks(Router, EdgerouteError).failures];
for (let seed = 1000; seed < 1000 + seeds && failures.length === 0; seed++) {
  const r = hostileChecks(Router, EdgerouteError, { seed, ops });
  checks += r.passed;
  thrown += r.thrown;
  failures.push(...r.failures);
}
console.log(
  `hostile: ${seeds} seeds x ${ops} operations, ${checks} checks, ${thrown} refused with a code, ` +
    `wasm memory ${Router.wasmMemoryBytes()} bytes, ${((Date.now() - start) / 1000).toFixed(1)} s`,
);
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
