"""The redis strategy behind Redis Sentinel: a master, a replica and three
sentinels, all real processes on loopback.  The module finds the master
through the sentinels, follows a failover (the master killed; later a
manual failover that demotes a live master) without an httpd restart, and
tries the sentinels in turn."""

import time

import pytest

from harness import free_port
from redis_server import (ROUTES, Client, RedisServer, Sentinel,
                          backend_conf, htpasswd, wait_for)

PW = "sentinel-Pa55word"
PREFIX = "fastapi_users_token:"
SENTINEL_PW = "sentinel-requirepass-Kx2"


def role(server):
    return server.admin().execute_command("ROLE")[0]


def replicated(master, n=1):
    """WAIT: the writes so far reached N replicas (they survive a
    failover)."""
    return master.admin().execute_command("WAIT", n, 2000) >= n


def in_sync(replica):
    return replica.admin().info("replication").get(
        "master_link_status") == "up"


def replica_of(master):
    """A replica of MASTER, in sync."""
    replica = RedisServer(replicaof=master.port).start()
    wait_for(lambda: in_sync(replica), 40, "the replica")
    return replica


class Group:
    """A master, a replica of it and three sentinels."""

    def __init__(self):
        self.nodes = [RedisServer().start()]
        self.nodes.append(replica_of(self.nodes[0]))
        self.sentinels = [Sentinel(self.nodes[0].port).start()
                          for _ in range(3)]
        for s in self.sentinels:
            wait_for(lambda: len(s.admin().execute_command(
                "SENTINEL", "replicas", "mymaster")) == 1
                and len(s.admin().execute_command(
                    "SENTINEL", "sentinels", "mymaster")) == 2,
                30, "sentinel %d to know the group" % s.port)

    def url(self, sentinels=None):
        ports = sentinels or [s.port for s in self.sentinels]
        return "redis-sentinel://%s/mymaster" % ",".join(
            "127.0.0.1:%d" % p for p in ports)

    def master_is(self, node):
        return all(s.master() == ("127.0.0.1", node.port)
                   for s in self.sentinels if s.proc)

    def cleanup(self):
        for p in self.sentinels + self.nodes:
            p.cleanup()


@pytest.fixture(scope="module")
def group():
    g = Group()
    yield g
    g.cleanup()


@pytest.fixture(scope="module")
def node(httpd_factory, group):
    users = htpasswd("alice", PW) + "\n"
    dead = free_port()
    conf = ROUTES
    conf += backend_conf("ha", "redis url=%s timeout=500" % group.url())
    conf += backend_conf("ha2", "redis url=%s" % group.url(
        [dead, group.sentinels[1].port]))
    conf += backend_conf("nosentinel", "redis url=%s" % group.url(
        [dead, free_port()]))
    conf += backend_conf("noname", "redis url=%s" % group.url().replace(
        "/mymaster", "/nosuchmaster"))
    return httpd_factory(conf, files={"users": users})


@pytest.fixture(scope="module")
def client(node):
    return Client(node)


def test_master_found_through_sentinel(client, node, group):
    master, replica = group.nodes
    token = client.login("ha", "alice", PW)
    assert master.client().get(PREFIX + token) == "alice"
    assert replicated(master)
    assert replica.client().get(PREFIX + token) == "alice"
    assert client.who("ha", token)["REMOTE_USER"] == "alice"
    assert ("backend 'ha': Sentinel names 127.0.0.1:%d as the master of "
            "'mymaster'" % master.port) in node.error_log()


def test_sentinels_are_tried_in_turn(client, group):
    token = client.login("ha2", "alice", PW)
    assert group.nodes[0].client().get(PREFIX + token) == "alice"
    assert client.get("ha2", token).status_code == 200


@pytest.mark.parametrize("backend, cause", [
    ("nosentinel", "no sentinel gave the master's address"),
    ("noname", "it does not know master 'nosuchmaster'")])
def test_no_master_is_503(client, node, backend, cause):
    mark = node.log_mark()
    r = client.login(backend, "alice", PW, expect=503)
    assert r.json() == {"detail": "Service Unavailable"}
    log = node.log_since(mark, wait_for=cause)
    assert "backend '%s': token store redis-sentinel://" % backend in log
    assert cause in log


def test_failover_after_the_master_dies(client, node, group):
    master, replica = group.nodes
    token = client.login("ha", "alice", PW)
    assert replicated(master)
    assert client.get("ha", token).status_code == 200

    master.kill()
    # until a replica is promoted there is no master: 503, no hang
    t = time.monotonic()
    r = client.get("ha", token)
    assert r.status_code == 503
    assert time.monotonic() - t < 1.5

    wait_for(lambda: group.master_is(replica) and role(replica) == "master",
             40, "the failover")
    mark = node.log_mark()
    assert client.get("ha", token).status_code == 200      # no restart
    assert ("Sentinel names 127.0.0.1:%d as the master of 'mymaster'"
            % replica.port) in node.log_since(mark, wait_for="Sentinel")

    fresh = client.login("ha", "alice", PW)
    assert replica.client().get(PREFIX + fresh) == "alice"
    assert client.logout("ha", token).status_code == 204
    assert not replica.client().exists(PREFIX + token)
    assert client.get("ha", token).status_code == 401
    assert client.get("ha", fresh).status_code == 200


def test_manual_failover_demotes_a_live_master(client, group):
    """The old master comes back as a replica and is promoted again: the
    module must leave the demoted one, whose connections stay possible
    but which refuses writes (READONLY)."""
    old, current = group.nodes
    token = client.login("ha", "alice", PW)
    old.start()
    old.admin().replicaof("127.0.0.1", current.port)
    wait_for(lambda: in_sync(old), 40, "the old master to sync")
    assert replicated(current)

    def failover():
        try:
            group.sentinels[0].admin().execute_command(
                "SENTINEL", "FAILOVER", "mymaster")
            return True
        except Exception:       # NOGOODSLAVE until sentinel knows `old`
            return False
    wait_for(failover, 40, "SENTINEL FAILOVER to be accepted")
    wait_for(lambda: group.master_is(old) and role(old) == "master"
             and role(current) == "slave", 40, "the manual failover")

    assert client.get("ha", token).status_code == 200
    assert client.logout("ha", token).status_code == 204
    assert not old.client().exists(PREFIX + token)
    fresh = client.login("ha", "alice", PW)
    assert old.client().get(PREFIX + fresh) == "alice"


# ---- single sentinels: a password, and an address that is no master -------


@pytest.fixture(scope="module")
def single(httpd_factory):
    """A master with a replica; a sentinel with a password watching the
    master, and one whose 'lagging' master is really the replica (as a
    sentinel's view can be during a failover)."""
    master = RedisServer().start()
    replica = replica_of(master)
    guarded = Sentinel(master.port, quorum=1,
                       requirepass=SENTINEL_PW).start()
    lagging = Sentinel(replica.port, name="lagging", quorum=1).start()
    url = "redis-sentinel://127.0.0.1:%d/mymaster" % guarded.port
    conf = ROUTES
    conf += backend_conf("sp", "redis url=%s sentinel-password=file:"
                         "@ROOT@/sentinel.pw" % url)
    conf += backend_conf("spwrong", "redis url=%s sentinel-password="
                         "file:@ROOT@/wrong.pw" % url)
    conf += backend_conf("lag", "redis url=redis-sentinel://127.0.0.1:%d/"
                         "lagging" % lagging.port)
    h = httpd_factory(conf, start=False,
                      files={"users": htpasswd("alice", PW) + "\n"})
    h.write("sentinel.pw", SENTINEL_PW + "\n", mode=0o600)
    h.write("wrong.pw", "wrong\n", mode=0o600)
    h.start()
    yield h, master
    for p in (lagging, guarded, replica, master):
        p.cleanup()


def test_sentinel_password(single):
    h, master = single
    c = Client(h)
    token = c.login("sp", "alice", PW)
    assert master.client().get(PREFIX + token) == "alice"
    assert c.get("sp", token).status_code == 200
    mark = h.log_mark()
    c.login("spwrong", "alice", PW, expect=503)
    assert "AUTH was refused" in h.log_since(mark, wait_for="AUTH")
    assert SENTINEL_PW not in h.error_log()


def test_a_replica_named_as_master_is_not_used(single):
    """ROLE is asked: a replica would serve stale reads and refuse
    writes."""
    h, master = single
    c = Client(h)
    token = c.login("sp", "alice", PW)
    assert replicated(master)
    mark = h.log_mark()
    r = c.get("lag", token)
    assert r.status_code == 503
    assert "it is not the master (ROLE)" in h.log_since(mark,
                                                        wait_for="ROLE")
