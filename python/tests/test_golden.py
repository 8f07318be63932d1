"""tests/golden/vectors.json, the vectors every level of the project asserts, replayed through the Python Router."""

from helpers import replay_golden


def test_golden_vectors_bit_for_bit():
    cases, checked = replay_golden()
    assert cases >= 21 and checked >= 21 * 62
    print(f"golden: {cases} cases, {checked} picks and pick_n lists equal")
