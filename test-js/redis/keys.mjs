// Keys for the client tests: 2,000 strings and 2,000 byte keys (plain Uint8Arrays, not Buffers), the same on
// every call. Both start with the empty key. The byte keys are mostly not UTF-8: random bytes, lone
// continuation bytes, overlong forms, encoded surrogates, 0xFF; some are valid UTF-8 and some are views at an
// offset into a larger buffer.

/** A small deterministic generator (a 32-bit LCG; quality does not matter here). */
function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

export function stringKeys(n = 2000) {
  const shapes = [
    (i) => `/user/${i}`,
    (i) => `ünïcödé-${i}-東京-🎉`,
    (i) => `${i}?q=a&b=c#f;,'"\\ \t`,
    (i) => `k\u0000${i}\r\n`,
    (i) => `${"x".repeat(i % 300)}${i}`,
    (i) => `${i}`,
  ];
  const out = [""];
  for (let i = 0; out.length < n; i++) out.push(shapes[i % shapes.length](i));
  return out;
}

export function byteKeys(n = 2000) {
  const next = lcg(21);
  const random = (len) => Uint8Array.from({ length: len }, () => next() >>> 24);
  const invalid = [[0xff], [0x80], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xfe, 0xff], [0x2c, 0x80]];
  const utf8 = new TextEncoder();
  const out = [new Uint8Array(0)];
  for (let i = 0; out.length < n; i++) {
    switch (i % 4) {
      case 0:
        out.push(random(1 + (i % 64)));
        break;
      case 1: {
        const bad = invalid[i % invalid.length];
        out.push(Uint8Array.from([...utf8.encode(`k${i}`), ...bad]));
        break;
      }
      case 2:
        out.push(utf8.encode(`bytes-${i}-é`));
        break;
      default: {
        const big = random(80);
        const at = 1 + (i % 13);
        out.push(big.subarray(at, at + 1 + (i % 50)));
      }
    }
  }
  return out;
}
