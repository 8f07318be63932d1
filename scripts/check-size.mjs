// Fails when pkg/edgeroute_bg.wasm (gzip -9) exceeds the budget in size-budget.json. Run by scripts/test.sh.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
const budget = JSON.parse(fs.readFileSync(path.join(root, "size-budget.json"), "utf8")).wasmGzipBytes;
const wasm = fs.readFileSync(path.join(root, "pkg/edgeroute_bg.wasm"));
const gz = zlib.gzipSync(wasm, { level: 9 }).length;
const line = `wasm: ${wasm.length} B raw, ${gz} B gzip; budget ${budget} B gzip (size-budget.json)`;
if (gz > budget) {
  console.error(`${line}: OVER BUDGET by ${gz - budget} B`);
  process.exit(1);
}
console.log(`${line}: ${budget - gz} B to spare`);
