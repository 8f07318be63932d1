// "edgeroute/inline": the same API as "edgeroute", with the wasm inlined and ready after import.
export * from "./index.js";
