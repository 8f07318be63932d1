// Builds the npm package into pkg/: cargo (release, wasm32) -> wasm-bindgen (web ESM glue + nodejs CJS glue,
// which share one .wasm) -> wasm-opt -Oz (npm binaryen; Debian's is too old) -> entry points and types.
// Usage: node scripts/build-pkg.mjs   (make pkg runs it after scripts/setup.sh)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
const r = (...p) => path.join(root, ...p);
const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit", cwd: root });

const version = /^version = "([^"]+)"/m.exec(fs.readFileSync(r("Cargo.toml"), "utf8"))[1];
const lock = fs.readFileSync(r("Cargo.lock"), "utf8");
const bindgenVersion = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)[1];
const cliVersion = execFileSync("wasm-bindgen", ["--version"], { encoding: "utf8" }).trim().split(" ")[1];
if (cliVersion !== bindgenVersion) {
  throw new Error(`wasm-bindgen CLI is ${cliVersion} but Cargo.lock pins ${bindgenVersion}; run scripts/setup.sh`);
}

run("cargo", ["build", "--release", "--lib", "--target", "wasm32-unknown-unknown"]);
const raw = r("target/wasm32-unknown-unknown/release/edgeroute.wasm");
fs.rmSync(r("build"), { recursive: true, force: true });
for (const target of ["web", "nodejs"]) {
  run("wasm-bindgen", ["--target", target, "--weak-refs", "--out-dir", r("build", target), raw]);
}
const webWasm = fs.readFileSync(r("build/web/edgeroute_bg.wasm"));
if (!webWasm.equals(fs.readFileSync(r("build/nodejs/edgeroute_bg.wasm")))) {
  throw new Error("the web and nodejs targets produced different .wasm files; the package assumes one shared module");
}

fs.rmSync(r("pkg"), { recursive: true, force: true });
fs.mkdirSync(r("pkg"));
// Features every supported runtime has (Node 20, Deno, workerd, Chromium/Firefox/Safari of 2023 on).
const features = [
  "--enable-bulk-memory",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-mutable-globals",
  "--enable-reference-types",
  "--enable-multivalue",
];
run("wasm-opt", ["-Oz", ...features, r("build/web/edgeroute_bg.wasm"), "-o", r("pkg/edgeroute_bg.wasm")]);

fs.copyFileSync(r("build/web/edgeroute.js"), r("pkg/glue.js"));
fs.copyFileSync(r("build/nodejs/edgeroute.js"), r("pkg/glue.cjs"));

const routerJs = fs.readFileSync(r("js/router.js"), "utf8").replace("__EDGEROUTE_VERSION__", version);
const esmExport = "export { EdgerouteError, bindRouter, version };";
if (!routerJs.includes(esmExport)) throw new Error("js/router.js must end with: " + esmExport);
fs.writeFileSync(r("pkg/router.js"), routerJs);
fs.writeFileSync(
  r("pkg/router.cjs"),
  '"use strict";\n' + routerJs.replace(esmExport, "module.exports = { EdgerouteError, bindRouter, version };"),
);
const fetchJs = fs.readFileSync(r("js/fetch.js"), "utf8");
const fetchImport = 'import { EdgerouteError } from "./router.js";';
const fetchExport = "export { routedFetch };";
if (!fetchJs.includes(fetchImport) || !fetchJs.includes(fetchExport)) throw new Error("js/fetch.js import/export lines changed");
fs.writeFileSync(r("pkg/fetch.js"), fetchJs);
fs.writeFileSync(
  r("pkg/fetch.cjs"),
  '"use strict";\n' +
    fetchJs
      .replace(fetchImport, 'const { EdgerouteError } = require("./router.cjs");')
      .replace(fetchExport, "module.exports = { routedFetch };"),
);
for (const f of ["node.mjs", "node.cjs", "deno.js", "workerd.js", "web.js", "bundler.js", "index.d.ts", "web.d.ts"]) {
  fs.copyFileSync(r("js", f), r("pkg", f));
}
fs.copyFileSync(r("js/index.d.ts"), r("pkg/index.d.cts"));
fs.copyFileSync(r("README.md"), r("pkg/README.md"));
fs.copyFileSync(r("LICENSE"), r("pkg/LICENSE"));

const pkg = {
  name: "edgeroute",
  version,
  description: "Request routing for the edge: consistent hashing and load balancing in WebAssembly, for Workers, Deno, Node and browsers.",
  license: "MIT",
  type: "module",
  keywords: ["load-balancing", "consistent-hashing", "hash-ring", "router", "cloudflare-workers", "deno", "wasm"],
  engines: { node: ">=20.19" },
  main: "./node.cjs",
  module: "./bundler.js",
  types: "./index.d.ts",
  exports: {
    ".": {
      types: "./index.d.ts",
      workerd: "./workerd.js",
      deno: "./deno.js",
      node: {
        import: { types: "./index.d.ts", default: "./node.mjs" },
        require: { types: "./index.d.cts", default: "./node.cjs" },
      },
      browser: "./bundler.js",
      default: "./bundler.js",
    },
    "./web": { types: "./web.d.ts", default: "./web.js" },
    "./edgeroute_bg.wasm": "./edgeroute_bg.wasm",
    "./package.json": "./package.json",
  },
  files: [
    "edgeroute_bg.wasm", "glue.js", "glue.cjs", "router.js", "router.cjs", "fetch.js", "fetch.cjs", "node.mjs", "node.cjs", "deno.js",
    "workerd.js", "web.js", "bundler.js", "index.d.ts", "index.d.cts", "web.d.ts", "README.md", "LICENSE",
  ],
  sideEffects: ["./node.mjs", "./node.cjs", "./deno.js", "./workerd.js", "./bundler.js"],
};
fs.writeFileSync(r("pkg/package.json"), JSON.stringify(pkg, null, 2) + "\n");

const wasm = fs.readFileSync(r("pkg/edgeroute_bg.wasm"));
const gz = zlib.gzipSync(wasm, { level: 9 }).length;
const sizes = { version, wasmBytes: wasm.length, wasmGzipBytes: gz, unoptimizedBytes: webWasm.length };
fs.writeFileSync(r("build/sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
console.log(`pkg/ built: edgeroute ${version}, edgeroute_bg.wasm ${wasm.length} B raw, ${gz} B gzip (-9)`);
