// Deno: a source-phase import yields the compiled WebAssembly.Module as part of the module graph, so loading
// edgeroute needs no --allow-read (Deno 2.x). Nothing random happens at import.
import source wasmModule from "./edgeroute_bg.wasm";
import * as glue from "./glue.js";
import { EdgerouteError } from "./errors.js";
import { bindRouter, version } from "./router.js";
import { bindRegistry } from "./registry.js";

glue.initSync({ module: wasmModule });

export const Router = bindRouter(() => glue);
// Pure: a bundle that does not import Registry leaves it, and the Lua sources it carries, out.
export const Registry = /* @__PURE__ */ bindRegistry(Router);
export { EdgerouteError, version };
export { routedFetch } from "./fetch.js";
export { checkHealth } from "./checks.js";
export { registryScripts } from "./registry.js";
