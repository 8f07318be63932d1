// A CommonJS consumer: require() must resolve the .d.cts types.
import edgeroute = require("edgeroute");
const r = new edgeroute.Router({ strategy: "ring", nodes: [{ id: "a" }] });
const p: string | undefined = r.pick("k");
// @ts-expect-error unknown strategy
new edgeroute.Router({ strategy: "nope", nodes: [{ id: "a" }] });
void p;
