import json

import pytest

from helpers import RedisCluster, RedisServer, node_js


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


@pytest.fixture(scope="session")
def redis_cluster():
    """A 3-master Redis Cluster on loopback (helpers.RedisCluster), its servers killed at the end of the session
    whatever the tests did."""
    cluster = RedisCluster()
    try:
        yield cluster
    finally:
        cluster.stop()
