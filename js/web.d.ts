// "edgeroute/web": the same API, but the wasm is loaded explicitly.
export * from "./index.js";

/** Loads the wasm (by default edgeroute_bg.wasm next to web.js). Await it once before creating a Router. */
export default function init(input?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;

/** Loads the wasm synchronously from a compiled module or its bytes. */
export declare function initSync(module: BufferSource | WebAssembly.Module): void;
