// mulberry32 (Tommy Ettinger's 32-bit generator): a small seeded PRNG, the same stream in every runtime, so a
// failing hostile run can be replayed from its seed and a benchmark draws the same keys everywhere.

/** @param {number} seed @returns {() => number} uniform in [0, 1) */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
