import json

import pytest

from helpers import RedisServer, node_js


@pytest.fixture(scope="session")
def js(tmp_path_factory):
    """What the npm package answers (js_agreement.mjs fixture): keys, configs, picks, snapshots, bad inputs."""
    out = tmp_path_factory.mktemp("js") / "fixture.json"
    node_js("fixture", out)
    return json.loads(out.read_text())


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    server.stop()
