// The small demo: all routing is done by the wasm package served from /pkg/.
import init, { Router } from "/pkg/web.js";

const $ = (id) => document.getElementById(id);
let router;

function parseNodes(text) {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [id, w] = l.split(/\s+/);
      return w === undefined ? { id } : { id, weight: Number(w) };
    });
}

function rebuild() {
  router?.free();
  router = undefined;
  try {
    router = new Router({ strategy: $("strategy").value, nodes: parseNodes($("nodes").value) });
    $("error").hidden = true;
  } catch (e) {
    $("error").textContent = `${e.code}: ${e.message}`;
    $("error").hidden = false;
  }
  render();
}

function render() {
  const tbody = $("shares").tBodies[0];
  tbody.replaceChildren();
  if (!router) {
    $("pick").value = $("pickn").value = "";
    return;
  }
  const key = $("key").value;
  try {
    $("pick").value = router.pick(key) ?? "(none)";
    $("pickn").value = router.pickN(key, 3).join(" → ");
  } catch (e) {
    $("pick").value = `${e.code}: ${e.message}`;
    $("pickn").value = "";
  }
  const counts = new Map(router.nodes().map((n) => [n.id, 0]));
  for (let i = 0; i < 10000; i++) {
    const id = router.pick(`/item/${i}`);
    counts.set(id, counts.get(id) + 1);
  }
  for (const n of router.nodes()) {
    const c = counts.get(n.id);
    const tr = tbody.insertRow();
    const share = ((100 * c) / 10000).toFixed(1);
    tr.innerHTML = `<td></td><td>${n.weight}</td><td>${c}</td><td>${share}%<span class="bar" style="width:${share * 2}px"></span></td>`;
    tr.cells[0].textContent = n.id;
  }
}

await init();
$("strategy").addEventListener("change", rebuild);
$("nodes").addEventListener("input", rebuild);
$("key").addEventListener("input", render);
rebuild();
