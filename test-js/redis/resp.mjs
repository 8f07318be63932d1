// A bare Redis client: RESP2 over node:net, as a worker or a small runtime would speak it. It sends a string
// argument as its UTF-8 bytes and a Uint8Array as its bytes, and refuses anything else (no silent String()).
// Replies: simple strings as strings, bulk strings as Uint8Arrays, integers as numbers, nil as null, arrays as
// arrays, error replies as rejected Errors whose message is the reply ("NOSCRIPT ...", "ERR_... ..."). It uses
// no Buffer of its own, so it also runs where the global Buffer is gone.
import net from "node:net";

const utf8 = new TextEncoder();
const CRLF = utf8.encode("\r\n");

function concat(a, b) {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The end of the line starting at `at` (the index of its \r), or -1 when it is not all there yet. */
function lineEnd(buf, at) {
  for (let i = at; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}

/** One reply from `buf` at `at`: `{ value, error, end }`, or undefined when more bytes are needed. */
function parse(buf, at) {
  const eol = lineEnd(buf, at + 1);
  if (at >= buf.length || eol < 0) return undefined;
  const line = new TextDecoder().decode(buf.subarray(at + 1, eol));
  const next = eol + 2;
  switch (buf[at]) {
    case 43: // +
      return { value: line, end: next };
    case 45: // -
      return { value: new Error(line), error: true, end: next };
    case 58: // :
      return { value: Number(line), end: next };
    case 36: { // $
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return undefined;
      return { value: buf.slice(next, next + n), end: next + n + 2 };
    }
    case 42: { // *
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items = [];
      let end = next;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, end);
        if (item === undefined) return undefined;
        // An error inside an array (a script's table can hold one) stays a value, as clients do.
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`RESP: unexpected reply type ${buf[at]}`);
  }
}

function encode(args) {
  const parts = [utf8.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    let bytes;
    if (typeof a === "string") bytes = utf8.encode(a);
    else if (a instanceof Uint8Array) bytes = a;
    else throw new TypeError(`RESP: an argument must be a string or a Uint8Array, got ${typeof a}`);
    parts.push(utf8.encode(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return parts.reduce(concat);
}

/** Connects to a Redis server; resolves to `{ command(...args), close() }`. */
export async function connectResp({ host = "127.0.0.1", port }) {
  const sock = net.connect({ host, port });
  await new Promise((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  const waiting = [];
  let buf = new Uint8Array(0);
  let broken;
  sock.on("data", (chunk) => {
    buf = concat(buf, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice());
    let at = 0;
    while (waiting.length > 0) {
      const r = parse(buf, at);
      if (r === undefined) break;
      at = r.end;
      const w = waiting.shift();
      if (r.error) w.reject(r.value);
      else w.resolve(r.value);
    }
    buf = buf.slice(at);
  });
  const fail = (e) => {
    broken = e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
  sock.on("error", fail);
  sock.on("close", () => fail(new Error("RESP: connection closed")));
  return {
    /** `(cmd, ...args) => Promise<reply>`: the Registry's command function as it is. */
    command(...args) {
      if (broken) return Promise.reject(broken);
      let frame;
      try {
        frame = encode(args);
      } catch (e) {
        return Promise.reject(e);
      }
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        sock.write(frame);
      });
    },
    close() {
      sock.destroy();
    },
  };
}
