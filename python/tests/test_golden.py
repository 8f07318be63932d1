"""tests/golden/vectors.json, the vectors every level of the project asserts, replayed through the Python Router."""

import json

from helpers import ROOT, key_of, node_kwargs, router

GOLDEN = json.loads((ROOT / "tests/golden/vectors.json").read_text())


def test_golden_vectors_bit_for_bit():
    checked = 0
    for case in GOLDEN["cases"]:
        r = router(case["options"])
        for op in case["ops"]:
            if op["op"] == "add":
                r.add(node_kwargs(op["node"]))
            elif op["op"] == "remove":
                assert r.remove(op["id"]) is True, case["name"]
            else:
                r.set_weight(op["id"], op["weight"])
        for k, want in case["picks"]:
            assert r.pick(key_of(k)) == want, (case["name"], k)
            checked += 1
        for k, n, want in case["pickN"]:
            assert r.pick_n(key_of(k), n) == want, (case["name"], k, n)
            checked += 1
    assert len(GOLDEN["cases"]) >= 21 and checked >= 21 * 62
    print(f"golden: {len(GOLDEN['cases'])} cases, {checked} picks and pick_n lists equal")
