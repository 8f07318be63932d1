// Bundlers and plain ESM hosts: top-level await loads the wasm, so the Router is ready after import.
import init, { Router, Registry, EdgerouteError, version } from "./web.js";

await init();

export { Router, Registry, EdgerouteError, version };
export { routedFetch } from "./fetch.js";
export { checkHealth } from "./checks.js";
export { registryScripts } from "./registry.js";
