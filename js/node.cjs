// Node, `require`: wasm-bindgen's CommonJS glue loads the same edgeroute_bg.wasm synchronously.
"use strict";
const glue = require("./glue.cjs");
const { EdgerouteError } = require("./errors.cjs");
const { bindRouter, version } = require("./router.cjs");

const { routedFetch } = require("./fetch.cjs");
const { checkHealth } = require("./checks.cjs");
const { bindRegistry, registryScripts } = require("./registry.cjs");

const Router = bindRouter(() => glue);
module.exports = { Router, Registry: bindRegistry(Router), EdgerouteError, version, routedFetch, checkHealth, registryScripts };
