"""Router.set_nodes: one batch equals the remove / set_weight / add calls it stands for (removals, reweights, then
additions in the listed order), and a refused batch changes nothing."""

import pytest

import edgeroute
from edgeroute import Router

KEYS = [f"/asset/{i}/{'é' * (i % 4)}" for i in range(2000)]
CONFIGS = [
    {"strategy": "ring"},
    {"strategy": "maglev"},
    {"strategy": "jump"},
    {"strategy": "rendezvous"},
    {"strategy": "ring", "compat": "nginx"},
    {"strategy": "ring", "compat": "libketama"},
    {"strategy": "ring", "compat": "envoy"},
]


def pool(n, start=0):
    return [{"id": f"10.0.0.{start + i}:80"} for i in range(n)]


@pytest.mark.parametrize("opts", CONFIGS, ids=lambda o: "-".join(o.values()))
def test_set_nodes_equals_the_calls(opts):
    start = pool(12)
    want = [n for i, n in enumerate(start) if i not in (2, 7)]
    want[4] = {**want[4], "weight": 3}
    want += pool(3, 50)
    batch = Router(**opts, nodes=start)
    calls = Router(**opts, nodes=start)
    calls.remove(start[2]["id"])
    calls.remove(start[7]["id"])
    calls.set_weight(want[4]["id"], 3)
    for n in pool(3, 50):
        calls.add(n)
    assert batch.set_nodes(want) == {"added": 3, "removed": 2, "reweighted": 1}
    assert batch.nodes() == calls.nodes()
    assert [batch.pick(k) for k in KEYS] == [calls.pick(k) for k in KEYS]
    assert batch.set_nodes(want) == {"added": 0, "removed": 0, "reweighted": 0}


def test_a_refused_batch_changes_nothing():
    r = Router(strategy="maglev", nodes=pool(5))
    nodes, picks = r.nodes(), [r.pick(k) for k in KEYS]
    for bad, code in [
        ([*pool(3), {"id": "10.0.0.1:80", "weight": 2}], "ERR_DUPLICATE_ID"),
        ([*pool(3), {"id": "x", "weight": 0}], "ERR_INVALID_WEIGHT"),
        ([*pool(3), {"id": "x", "port": 80}], "ERR_UNKNOWN_FIELD"),
        ("nodes", "ERR_INVALID_OPTION"),
    ]:
        with pytest.raises(edgeroute.EdgerouteError) as e:
            r.set_nodes(bad)
        assert e.value.code == code
        assert r.nodes() == nodes
    assert [r.pick(k) for k in KEYS] == picks
