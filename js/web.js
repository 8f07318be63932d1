// Browsers without a bundler: `await init()` (or `initSync(module)`) once, then create Routers.
import glueInit, * as glue from "./glue.js";
import { EdgerouteError, coded } from "./errors.js";
import { bindRouter, version } from "./router.js";
import { bindRegistry } from "./registry.js";

let ready = false;

/** Loads the wasm. With no argument it fetches edgeroute_bg.wasm next to this file. */
export default async function init(input) {
  if (!ready) {
    await glueInit(input === undefined ? undefined : { module_or_path: input });
    ready = true;
  }
}

/** Synchronous init from a WebAssembly.Module or the wasm bytes. */
export function initSync(module) {
  if (!ready) {
    glue.initSync({ module });
    ready = true;
  }
}

export const Router = bindRouter(() => {
  if (!ready) {
    throw coded("ERR_NOT_INITIALIZED", 'the wasm module is not loaded yet: call `await init()` from "edgeroute/web" before creating a Router');
  }
  return glue;
});
// Pure: a bundle that does not import Registry leaves it, and the Lua sources it carries, out.
export const Registry = /* @__PURE__ */ bindRegistry(Router);

export { EdgerouteError, version };
export { routedFetch } from "./fetch.js";
export { checkHealth } from "./checks.js";
export { registryScripts } from "./registry.js";
