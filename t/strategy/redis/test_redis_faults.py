"""The redis strategy when Redis fails: killed, frozen (SIGSTOP), paused,
restarted, or closing idle connections.  Every failure must be a 503 JSON
answer within the timeout, with an error-log line naming the backend and
the cause, while unprotected locations keep working; and the module must
recover by itself, without an httpd restart."""

import concurrent.futures
import re
import time

import pytest

from redis_server import (ROUTES, Client, RedisServer, backend_conf,
                          htpasswd)

PW = "fault-Pa55word"
PREFIX = "fastapi_users_token:"
TIMEOUT_MS = 300


@pytest.fixture(scope="module")
def redis_f():
    # append-only file: a restart keeps the tokens, as in production
    r = RedisServer(extra=["--appendonly", "yes", "--appendfsync",
                           "always"]).start()
    yield r
    r.cleanup()


@pytest.fixture(scope="module")
def node(httpd_factory, redis_f):
    users = htpasswd("alice", PW) + "\n"
    conf = ROUTES + backend_conf(
        "rd", "redis url=%s timeout=%d" % (redis_f.url(), TIMEOUT_MS))
    return httpd_factory(conf, files={"users": users})


@pytest.fixture
def client(node, redis_f):
    """Each test starts with Redis up and answering."""
    if redis_f.proc is None:
        redis_f.start()
    elif redis_f.stopped:
        redis_f.thaw()
    return Client(node)


def assert_503(r):
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"detail": "Service Unavailable"}


def assert_unprotected_ok(c, within=1.0):
    t = time.monotonic()
    r = c.s.get(c.h.url("/index.html"), timeout=10)
    assert r.status_code == 200 and "hello" in r.text
    assert time.monotonic() - t < within


def test_killed_redis_is_503_then_recovers(client, node, redis_f):
    token = client.login("rd", "alice", PW)
    assert client.get("rd", token).status_code == 200
    redis_f.kill()
    mark = node.log_mark()

    t = time.monotonic()
    assert_503(client.get("rd", token))
    assert time.monotonic() - t < TIMEOUT_MS / 1000 + 0.5
    log = node.log_since(mark, wait_for="Connection refused")
    assert ("backend 'rd': token store redis://127.0.0.1:%d/0 unavailable: "
            "cannot connect: Connection refused" % redis_f.port) in log
    assert_unprotected_ok(client)
    assert_503(client.login("rd", "alice", PW, expect=503))
    assert_503(client.logout("rd", token))

    redis_f.start()                       # no httpd restart
    assert client.get("rd", token).status_code == 200
    fresh = client.login("rd", "alice", PW)
    assert client.logout("rd", fresh).status_code == 204
    assert client.get("rd", fresh).status_code == 401


def test_frozen_redis_answers_503_within_the_timeout(client, node, redis_f):
    token = client.login("rd", "alice", PW)
    assert client.get("rd", token).status_code == 200
    redis_f.freeze()
    mark = node.log_mark()

    def timed():
        c = Client(node)
        t = time.monotonic()
        r = c.get("rd", token, timeout=10)
        return r, time.monotonic() - t

    # several workers at once: none waits longer than the timeout, and
    # none waits for another
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: timed(), range(4)))
    for r, elapsed in results:
        assert_503(r)
        assert TIMEOUT_MS / 1000 - 0.05 <= elapsed < TIMEOUT_MS / 1000 + 0.7
    assert "no answer within the timeout" in node.log_since(
        mark, wait_for="no answer within the timeout")
    assert_unprotected_ok(client)
    t = time.monotonic()
    assert_503(client.login("rd", "alice", PW, expect=503))
    assert time.monotonic() - t < TIMEOUT_MS / 1000 + 0.7

    redis_f.thaw()
    assert client.get("rd", token).status_code == 200


def test_paused_redis_is_503_then_serves_again(client, node, redis_f):
    """A slow Redis (CLIENT PAUSE): the timeout path, then recovery."""
    token = client.login("rd", "alice", PW)
    redis_f.client().execute_command("CLIENT", "PAUSE", 1500, "ALL")
    t = time.monotonic()
    assert_503(client.get("rd", token))
    assert time.monotonic() - t < TIMEOUT_MS / 1000 + 0.7
    time.sleep(1.6)             # deliberate time passing: the pause ends
    assert client.get("rd", token).status_code == 200


def test_restarted_redis_needs_no_retry_by_the_client(client, node, redis_f):
    """Pooled connections die with the old Redis; the first request after
    the restart is served on a new connection (one immediate retry)."""
    token = client.login("rd", "alice", PW)
    # fill the pool with several connections
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda _: Client(node).get("rd", token)
                              .status_code, range(8)))
    assert codes == [200] * 8
    redis_f.restart()
    mark = node.log_mark()
    for _ in range(8):
        assert client.get("rd", token).status_code == 200
    # one failure was enough to drop every connection of the old server
    log = node.log_since(mark, wait_for="trying once more")
    assert log.count("trying once more on a new one") == 1


def test_idle_connections_closed_by_redis_are_replaced(client, node,
                                                       redis_f):
    """Redis' own `timeout` closes idle clients: not an outage."""
    token = client.login("rd", "alice", PW)
    assert client.get("rd", token).status_code == 200
    redis_f.client().config_set("timeout", 1)
    try:
        # deliberate time passing: Redis closes the idle pooled connections
        time.sleep(2.5)
        assert client.get("rd", token).status_code == 200
    finally:
        redis_f.client().config_set("timeout", 0)


def test_no_token_in_the_log(node):
    log = node.error_log()
    assert "token store" in log           # the faults above were logged
    assert PW not in log
    assert not re.findall(r"(?<![\w-])[\w-]{43}(?![\w-])", log)
