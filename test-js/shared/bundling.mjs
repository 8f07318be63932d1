// What the bundle tests (node/bundle.test.mjs, browser/bundlers.test.mjs) share: where the checkout's bundlers are,
// and the text that betrays the Registry's Lua sources in a bundle.
import path from "node:path";

/** Text of the Lua scripts (every one of them has each): none of it may reach a bundle that imports only Router. */
export const LUA = /redis\.call|KEYS\[1\]|local function/;

/** esbuild: the checkout's dev copy, beside wrangler (test-js/run.sh exports WRANGLER_BIN). */
export const ESBUILD = path.join(path.dirname(process.env.WRANGLER_BIN ?? ""), "esbuild");

/** bun: the runtime matrix's binary (test-js/run.sh exports BUN_BIN; scripts/setup.sh test installs it). */
export const BUN = process.env.BUN_BIN ?? "bun";
