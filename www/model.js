// What the page computes with the package, shared with its test (test-js/demo/): Router options for a choice
// of the strategy select, the owners of the sample keys, and the ideal share of keys to move.

export const keyName = (i) => `key-${i}`;

/** Router options for a strategy choice of the select ("ring+bounded" and so on). */
export function optionsFor(choice, nodes, vnodes) {
  const [strategy, bounded] = choice.split("+");
  const opts = { strategy, nodes: nodes.map(({ id, weight }) => ({ id, weight })) };
  if (strategy === "ring") opts.vnodes = vnodes;
  if (bounded) opts.boundedLoad = 1.25;
  return opts;
}

/**
 * Owners of the sample keys. With bounded loads every key is held in flight while the next is placed (as if all
 * were requested at once), so the bound shows; then every lease ends.
 */
export function ownersOf(router, n, bounded) {
  const owners = new Array(n);
  if (!bounded) {
    for (let i = 0; i < n; i++) owners[i] = router.pick(keyName(i));
    return owners;
  }
  const leases = [];
  for (let i = 0; i < n; i++) {
    const l = router.acquire(keyName(i));
    owners[i] = l.id;
    leases.push(l);
  }
  for (const l of leases) l.end();
  return owners;
}

/** Share of keys that must move between two pools: half the L1 distance of the weight shares. */
export function idealMove(before, after) {
  const share = (nodes) => {
    const total = nodes.reduce((a, n) => a + n.weight, 0);
    return new Map(nodes.map((n) => [n.id, n.weight / total]));
  };
  const a = share(before);
  const b = share(after);
  let sum = 0;
  for (const id of new Set([...a.keys(), ...b.keys()])) sum += Math.abs((a.get(id) ?? 0) - (b.get(id) ?? 0));
  return sum / 2;
}

/** The overprovisioning factor of zones and priority levels (src/router/traffic.rs, after Envoy's 140 %). */
export const OVERPROVISIONING = 1.4;

/**
 * Where keyless traffic should go, by the model of src/router/traffic.rs: `nodes` are { weight, zone, priority,
 * usable }, `zone` the caller's zone ("" for none). Level p is available min(1, 1.4 × h_p) (h_p its usable weight
 * over its weight); each level takes what it can of what the levels before left, and the loads are scaled to sum
 * to 1. Within a level a caller in zone z keeps min(1, 1.4 × h_z) of its picks local (0 with no usable local node,
 * 1 with no usable other one). Returns each level's load, the caller zone's health h in the first level that has
 * the zone, and the expected local share (null without a caller zone).
 */
export function spillModel(nodes, zone) {
  const priorities = [...new Set(nodes.map((n) => n.priority ?? 0))].sort((a, b) => a - b);
  const sum = (list, up) => list.reduce((a, n) => a + (!up || n.usable ? n.weight : 0), 0);
  const levels = priorities.map((priority) => {
    const all = nodes.filter((n) => (n.priority ?? 0) === priority);
    const local = zone ? all.filter((n) => n.zone === zone) : [];
    const [up, localUp] = [sum(all, true), sum(local, true)];
    let share = 0;
    if (local.length && localUp > 0) share = up - localUp <= 0 ? 1 : Math.min(1, (OVERPROVISIONING * localUp) / sum(local, false));
    return { priority, avail: Math.min(1, (OVERPROVISIONING * up) / sum(all, false)), share, hasZone: local.length > 0, h: local.length ? localUp / sum(local, false) : null };
  });
  let taken = 0;
  for (const l of levels) {
    l.load = Math.max(0, Math.min(l.avail, 1 - taken));
    taken += l.load;
  }
  for (const l of levels) l.load = taken > 0 ? l.load / taken : 0;
  const local = zone ? levels.reduce((a, l) => a + l.load * l.share, 0) : null;
  return { levels, local, h: levels.find((l) => l.hasZone)?.h ?? null };
}
