"""Run by scripts/python.sh test with the wheel installed for another CPython (3.9 ... 3.14, when the machine has
one): the abi3 wheel imports there and replays the golden vectors. Needs nothing but the wheel."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from helpers import replay_golden  # noqa: E402

cases, checked = replay_golden()
print(f"abi3 wheel on CPython {sys.version.split()[0]}: {cases} golden cases, {checked} answers equal")
