// bench/runtimes.mjs runs this in Node, Bun and Deno: `<runtime> driver.mjs <peers bundle>`. It times itself with
// performance.now() and prints one line, RESULT <json>, on stdout (progress goes to stderr).
import { benchmark } from "./core.mjs";

const isDeno = typeof globalThis.Deno !== "undefined";
const args = isDeno ? Deno.args : process.argv.slice(2);
const { Router } = await import(isDeno ? "../../pkg/deno.js" : "../../pkg/node.mjs");
const { HashRing, ConsistentHash } = await import(new URL(`file://${args[0]}`).href);
const gc = globalThis.gc ?? (globalThis.Bun ? () => Bun.gc(true) : undefined);
const log = (s) => (isDeno ? console.error(s) : process.stderr.write(`  ${s}\n`));
const result = benchmark({ Router, HashRing, ConsistentHash, now: () => performance.now(), gc, log });
result.gc = Boolean(gc);
console.log(`RESULT ${JSON.stringify(result)}`);
