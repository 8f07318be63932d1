// Bundlers and plain ESM hosts: top-level await loads the wasm, so the Router is ready after import.
import init, { Router, EdgerouteError, version } from "./web.js";

await init();

export { Router, EdgerouteError, version };
export { routedFetch } from "./fetch.js";
