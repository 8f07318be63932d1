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
