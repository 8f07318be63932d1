// Node, `require`: wasm-bindgen's CommonJS glue loads the same edgeroute_bg.wasm synchronously.
"use strict";
const glue = require("./glue.cjs");
const { bindRouter, EdgerouteError, version } = require("./router.cjs");

const { routedFetch } = require("./fetch.cjs");

module.exports = { Router: bindRouter(() => glue), EdgerouteError, version, routedFetch };
