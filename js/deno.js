// Deno: read the wasm next to this file (Deno grants reads of its own npm cache and node_modules).
import { readFileSync } from "node:fs";
import * as glue from "./glue.js";
import { bindRouter, EdgerouteError, version } from "./router.js";

glue.initSync({ module: readFileSync(new URL("./edgeroute_bg.wasm", import.meta.url)) });

export const Router = bindRouter(() => glue);
export { EdgerouteError, version };
