// The benchmark draws its Zipf stream with the tests' PRNG; bench/runtimes.mjs copies test-js/shared/prng.js
// beside core.mjs where a runtime loads it from elsewhere (workerd, the page).
export { mulberry32 } from "../../test-js/shared/prng.js";
