// Node, `import`: compile the shared wasm synchronously, so the Router is ready as soon as the import resolves.
import { readFileSync } from "node:fs";
import * as glue from "./glue.js";
import { EdgerouteError } from "./errors.js";
import { bindRouter, version } from "./router.js";
import { bindRegistry } from "./registry.js";

glue.initSync({ module: readFileSync(new URL("./edgeroute_bg.wasm", import.meta.url)) });

export const Router = bindRouter(() => glue);
// Pure: a bundle that does not import Registry leaves it, and the Lua sources it carries, out.
export const Registry = /* @__PURE__ */ bindRegistry(Router);
export { EdgerouteError, version };
export { routedFetch } from "./fetch.js";
export { checkHealth } from "./checks.js";
export { registryScripts } from "./registry.js";
