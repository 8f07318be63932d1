// Bundlers that handle neither a separate .wasm asset nor top-level await (esbuild with its defaults, `bun build`):
// the module comes inlined as base64 (wasm-inline.js, written by the build) and is compiled synchronously at
// import, so the Router is ready after import with nothing to copy or serve. It costs about a third more bytes
// than the separate .wasm (base64) and a synchronous compile (about 2 ms in Chromium: V8 compiles lazily). Bundlers
// that do handle assets (Vite, webpack, Rollup) get the plain "edgeroute" entry, which streams the .wasm.
import * as glue from "./glue.js";
import { EdgerouteError } from "./errors.js";
import { bindRouter, version } from "./router.js";
import { bindRegistry } from "./registry.js";
import { wasmBase64 } from "./wasm-inline.js";

/** The base64 text's bytes, with what every runtime has (atob). */
function decode(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

glue.initSync({ module: decode(wasmBase64) });

export const Router = bindRouter(() => glue);
// Pure: a bundle that does not import Registry leaves it, and the Lua sources it carries, out.
export const Registry = /* @__PURE__ */ bindRegistry(Router);
export { EdgerouteError, version };
export { routedFetch } from "./fetch.js";
export { checkHealth } from "./checks.js";
export { registryScripts } from "./registry.js";
