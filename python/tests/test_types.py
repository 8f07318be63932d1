"""The type stubs: stubtest holds edgeroute/_edgeroute.pyi to the built module, and a strict consumer type-checks."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def run(*args):
    p = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=HERE)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_stubs_match_the_module():
    run("mypy.stubtest", "edgeroute._edgeroute", "--allowlist", str(HERE / "stubtest-allowlist.txt"))


def test_a_strict_consumer_type_checks():
    out = run("mypy", "--strict", "--no-incremental", "typed_usage.py")
    assert "Success" in out
