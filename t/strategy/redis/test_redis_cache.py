"""cache= of the redis strategy: each child remembers token lookups, and
Redis tells it when a key changes (CLIENT TRACKING ... BCAST, a
subscription to __redis__:invalidate).  The cache must save the round
trips and change no answer: a token deleted by anyone (the module's
logout, a fastapi-users application, FLUSHDB) is refused by the very next
request; an entry never outlives its key's TTL; a broken or silent
subscription empties the cache or stops it from answering; a Redis
without the rights for it just works uncached."""

import concurrent.futures
import queue
import re
import secrets
import socket
import threading
import time

import pytest

from harness import session
from redis_server import (ROUTES, Client, RedisServer, backend_conf,
                          htpasswd)
from wait import wait_until

PW = "cache-Pa55word"
PREFIX = "fastapi_users_token:"
ACL_PW = "cache-acl-Pw77"
ISSUED = []                     # every token the tests used
RIGHTS = ("+get +set +del +pttl +client|id +client|tracking +subscribe "
          "+ping &__redis__:invalidate")


class Blackhole:
    """A TCP relay to Redis that can stop passing what Redis sends to the
    connection that subscribed, as a half-dead link would: the socket
    stays open and nothing arrives.  With DELAY (seconds), what Redis
    sends to that connection arrives that much later instead, in order:
    invalidations that are late on their way."""

    def __init__(self, target_port, delay=0):
        self.target = target_port
        self.delay = delay
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.mute_subscriber = False
        self.closed = False
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            self.socks += [client, server]
            state = {"subscriber": False}
            threading.Thread(target=self._pump, daemon=True,
                             args=(client, server, state, True)).start()
            threading.Thread(target=self._pump, daemon=True,
                             args=(server, client, state, False)).start()

    @staticmethod
    def _late(q, dst):
        while True:
            due, data = q.get()
            time.sleep(max(0, due - time.monotonic()))
            try:
                dst.sendall(data)
            except OSError:
                return

    def _pump(self, src, dst, state, upstream):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            if upstream and b"SUBSCRIBE" in data:
                state["subscriber"] = True
            if not upstream and state["subscriber"] and self.mute_subscriber:
                continue                        # swallowed
            if not upstream and state["subscriber"] and self.delay:
                if "late" not in state:
                    state["late"] = queue.Queue()
                    threading.Thread(target=self._late, daemon=True,
                                     args=(state["late"], dst)).start()
                state["late"].put((time.monotonic() + self.delay, data))
                continue
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self):
        self.closed = True
        self.listener.close()
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass


@pytest.fixture(scope="module")
def redis_k():
    r = RedisServer(
        users={"app": "on >%s ~%s* %s" % (ACL_PW, PREFIX, RIGHTS),
               "plain": "on >%s ~%s* +get +set +del" % (ACL_PW, PREFIX)},
        extra=["--enable-debug-command", "yes"]).start()
    yield r
    r.cleanup()


@pytest.fixture(scope="module")
def relay(redis_k):
    b = Blackhole(redis_k.port)
    yield b
    b.close()


@pytest.fixture(scope="module")
def node(httpd_factory, redis_k, relay):
    url = "redis://app:%s@127.0.0.1:%d" % (ACL_PW, redis_k.port)
    conf = ROUTES
    conf += backend_conf("ca", "redis url=%s cache=1024" % url)
    conf += backend_conf("nc", "redis url=%s" % url)
    conf += backend_conf("sock", "redis url=unix:%s cache=64 user=app "
                         "password=file:@ROOT@/acl.pw" % redis_k.socket)
    conf += backend_conf("plain", "redis url=redis://plain:%s@127.0.0.1:%d "
                         "cache=64" % (ACL_PW, redis_k.port))
    conf += backend_conf("frz", "redis url=%s cache=64 timeout=300" % url)
    conf += backend_conf("relay", "redis url=redis://app:%s@127.0.0.1:%d "
                         "cache=64 timeout=300" % (ACL_PW, relay.port))
    h = httpd_factory(conf, start=False,
                      files={"users": htpasswd("alice", PW) + "\n"})
    h.write("acl.pw", ACL_PW, mode=0o600)
    return h.start()


@pytest.fixture
def client(node, redis_k):
    if redis_k.proc is None:
        redis_k.start()
    return Client(node)


def gets(redis_k):
    return redis_k.calls("get")


def warm(client, backend, token, redis_k):
    """Requests until the token is answered from the cache (no GET),
    which must happen within three seconds (a subscription that broke is
    made again after a second)."""
    for _ in range(60):
        before = gets(redis_k)
        assert client.get(backend, token).status_code == 200
        if gets(redis_k) == before:
            return
        time.sleep(0.05)
    raise AssertionError("the token never came from the cache")


def login(client, backend):
    token = client.login(backend, "alice", PW)
    ISSUED.append(token)
    return token


def app_token(redis_k, user="app-user", ttl_ms=None):
    """A token as a fastapi-users application stores it."""
    token = secrets.token_urlsafe(32)
    ISSUED.append(token)
    redis_k.client().set(PREFIX + token, user,
                         **({"px": ttl_ms} if ttl_ms else {"ex": 3600}))
    return token


def test_repeated_requests_are_answered_from_the_cache(client, redis_k,
                                                       node):
    mark = node.log_mark()
    token = login(client, "ca")
    warm(client, "ca", token, redis_k)
    before = gets(redis_k)
    for _ in range(30):
        assert client.get("ca", token).status_code == 200
    assert client.who("ca", token)["REMOTE_USER"] == "alice"
    assert gets(redis_k) == before
    assert "token cache on: redis://***@127.0.0.1:%d/0 sends its " \
           "invalidations (CLIENT TRACKING)" % redis_k.port \
        in node.log_since(mark)
    # without cache= every request asks Redis
    plain = login(client, "nc")
    before = gets(redis_k)
    for _ in range(5):
        assert client.get("nc", plain).status_code == 200
    assert gets(redis_k) == before + 5


def test_an_unknown_token_is_never_cached(client, redis_k):
    token = secrets.token_urlsafe(32)
    for _ in range(3):
        assert client.get("ca", token).status_code == 401
    redis_k.client().set(PREFIX + token, "late-user", ex=60)
    assert client.who("ca", token)["REMOTE_USER"] == "late-user"


@pytest.mark.parametrize("backend", ["ca", "sock"])
def test_a_delete_by_the_application_is_refused_at_once(client, redis_k,
                                                        backend):
    app = redis_k.client()
    for i in range(25):
        token = app_token(redis_k, user="u%d" % i)
        warm(client, backend, token, redis_k)
        app.delete(PREFIX + token)           # fastapi-users' logout
        r = client.get(backend, token)
        assert r.status_code == 401, (i, r.status_code)


def test_a_logout_through_the_module_is_refused_at_once(client, redis_k):
    for _ in range(10):
        token = login(client, "ca")
        warm(client, "ca", token, redis_k)
        assert client.logout("ca", token).status_code == 204
        assert client.get("ca", token).status_code == 401


def test_a_changed_user_is_seen_at_once(client, redis_k):
    token = app_token(redis_k, user="first")
    warm(client, "ca", token, redis_k)
    redis_k.client().set(PREFIX + token, "second", ex=60)
    assert client.who("ca", token)["REMOTE_USER"] == "second"


def test_flushdb_empties_the_cache(client, redis_k):
    tokens = [app_token(redis_k) for _ in range(3)]
    for t in tokens:
        warm(client, "ca", t, redis_k)
    redis_k.admin().flushdb()
    for t in tokens:
        assert client.get("ca", t).status_code == 401


def test_an_entry_never_outlives_its_key(client, redis_k):
    admin = redis_k.admin()
    # with active expiry off, Redis would notice the expired key only
    # when asked: the cache's own bound must refuse it
    admin.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        token = app_token(redis_k, ttl_ms=1500)
        warm(client, "ca", token, redis_k)
        # deliberate time passing: served from the cache while the key's
        # 1.5 s TTL runs, then past it
        started = time.monotonic()
        while time.monotonic() - started < 1.2:
            assert client.get("ca", token).status_code == 200
            time.sleep(0.1)
        time.sleep(0.5)
        assert client.get("ca", token).status_code == 401
    finally:
        admin.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_many_threads_and_deletes_never_see_a_deleted_token(client, redis_k):
    app = redis_k.client()

    def one(i):
        c = Client(client.h)
        token = app_token(redis_k, user="t%d" % i)
        for _ in range(4):
            assert c.get("ca", token).status_code == 200
        app.delete(PREFIX + token)
        return c.get("ca", token).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(one, range(80)))
    assert codes == [401] * 80


def test_a_killed_subscription_empties_the_cache(client, redis_k, node):
    token = app_token(redis_k)
    warm(client, "ca", token, redis_k)
    mark = node.log_mark()
    admin = redis_k.admin()
    assert admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub") >= 1
    admin.delete(PREFIX + token)          # its invalidation is lost
    assert client.get("ca", token).status_code == 401
    log = node.log_since(mark, wait_for="cache emptied")
    assert "backend 'ca': token cache emptied: the subscription to the " \
           "invalidations of redis://***@127.0.0.1:%d/0 broke: Redis " \
           "closed the connection" % redis_k.port in log
    # and it comes back by itself
    other = app_token(redis_k)
    warm(client, "ca", other, redis_k)


def test_a_silent_subscription_stops_answering_within_a_second(
        client, redis_k, relay, node):
    token = app_token(redis_k)
    warm(client, "relay", token, redis_k)
    mark = node.log_mark()
    relay.mute_subscriber = True
    try:
        redis_k.client().delete(PREFIX + token)
        wait_until(lambda: client.get("relay", token).status_code != 200,
                   1.6, 0.05, "the deleted token to be refused (a deleted "
                   "token was served for more than a second)")

        # the cache no longer answers once its last PONG is a second old;
        # a PING left unanswered for a second then ends the subscription
        def ping_unanswered():
            if "no answer to PING" in node.log_since(mark):
                return True
            assert client.get("relay", token).status_code == 401
            return False

        wait_until(ping_unanswered, 2.5, 0.05, "'no answer to PING'")
        assert "backend 'relay': token cache emptied: the subscription to " \
               "the invalidations of redis://***@127.0.0.1:%d/0 broke: no " \
               "answer to PING within a second" % relay.port \
            in node.log_since(mark)
    finally:
        relay.mute_subscriber = False


def test_redis_down_is_503_not_a_cached_200(client, redis_k):
    token = app_token(redis_k)
    warm(client, "ca", token, redis_k)
    redis_k.kill()
    try:
        r = client.get("ca", token)
        assert r.status_code == 503, r.status_code
    finally:
        redis_k.start()
    fresh = login(client, "ca")
    warm(client, "ca", fresh, redis_k)


def test_a_frozen_redis_is_503_within_the_timeout(client, redis_k, node):
    """SIGSTOP: cached answers stop within a second (no PONG), and no
    request waits longer than timeout=, not even the ones that are due to
    subscribe again (they do it within what their lookup left)."""
    token = app_token(redis_k)
    warm(client, "frz", token, redis_k)
    mark = node.log_mark()
    redis_k.freeze()
    try:
        seen = []
        started = time.monotonic()
        # long enough for the PING to fail and a new subscription to be due
        while time.monotonic() - started < 3.5:
            t = time.monotonic()
            r = client.get("frz", token)
            took = time.monotonic() - t
            seen.append((round(t - started, 2), r.status_code,
                         round(took, 2)))
            assert took < 0.3 + 0.2, seen
            if r.status_code == 200:
                assert t - started < 1.1, seen
            else:
                assert r.status_code == 503, seen
        assert seen[-1][1] == 503, seen
        assert "no answer to PING within a second" in node.log_since(mark)
    finally:
        redis_k.thaw()
    warm(client, "frz", token, redis_k)


def test_without_the_rights_it_works_uncached(client, redis_k, node):
    mark = node.log_mark()
    token = login(client, "plain")
    before = gets(redis_k)
    for _ in range(5):
        assert client.get("plain", token).status_code == 200
    assert gets(redis_k) == before + 5
    log = node.log_since(mark, wait_for="token cache off")
    assert "backend 'plain': token cache off, every token is looked up in " \
           "redis://***@127.0.0.1:%d/0: cannot subscribe to its " \
           "invalidations: CLIENT ID was refused (NOPERM)" % redis_k.port \
        in log
    assert "trying again in a minute" in log
    assert log.count("token cache off") == 1
    redis_k.client().delete(PREFIX + token)
    assert client.get("plain", token).status_code == 401


def test_tokens_never_reach_the_log(node):
    # the invalidations carry the keys: prefix and token
    log = node.error_log()
    assert len(ISSUED) > 100
    assert not [t for t in ISSUED if t in log]
    assert PREFIX not in log and ACL_PW not in log


# ---- late invalidations: two children, a subscription 400 ms behind ------------

LATE = 0.4


@pytest.fixture(scope="module")
def late_relay(redis_k):
    b = Blackhole(redis_k.port, delay=LATE)
    yield b
    b.close()


@pytest.fixture(scope="module")
def node2(httpd_factory, redis_k, late_relay):
    """Two child processes, each with its cache, whose subscriptions hear
    of every change 400 ms late."""
    url = "redis://app:%s@127.0.0.1:%d" % (ACL_PW, late_relay.port)
    conf = ROUTES
    conf += backend_conf("late", "redis url=%s cache=64 timeout=2000" % url)
    conf += backend_conf("tight", "redis url=%s cache=64 timeout=2000 "
                         "cache-lag=200" % url)
    conf += ("ServerLimit 2\nStartServers 2\nMinSpareThreads 32\n"
             "MaxRequestWorkers 32\n")
    h = httpd_factory(conf, start=False,
                      files={"users": htpasswd("alice", PW) + "\n"})
    return h.start()


def fresh_get(node, backend, token):
    """On a connection of its own: either child may take it."""
    s = session()
    try:
        return s.get(node.url("/p/%s/index.html" % backend),
                     headers={"Authorization": "Bearer " + token,
                              "Connection": "close"}, timeout=10)
    finally:
        s.close()


def warm_both(node, backend, token):
    """Requests until both children answered TOKEN from their caches."""
    mark = node.log_mark()
    for _ in range(400):
        assert fresh_get(node, backend, token).status_code == 200
        pids = set(re.findall(r"\[pid (\d+):tid \d+\] .*backend '%s': "
                              r"token found in the cache" % backend,
                              node.log_since(mark)))
        if len(pids) == 2:
            return
        time.sleep(0.01)
    raise AssertionError("the token never came from both caches")


def test_a_logout_here_is_refused_at_once_by_every_child(node2, redis_k):
    """The logout's invalidation reaches the other child 400 ms late; the
    counter in shared memory tells it at once."""
    c = Client(node2)
    for trial in range(5):
        token = login(c, "late")
        warm_both(node2, "late", token)
        assert c.logout("late", token).status_code == 204
        codes = [fresh_get(node2, "late", token).status_code
                 for _ in range(20)]
        assert codes == [401] * 20, (trial, codes)


def test_a_delete_elsewhere_is_refused_within_cache_lag(node2, redis_k):
    """A key deleted by the application: its invalidation is 400 ms late.
    With the default cache-lag=1000 the cache may answer for up to a
    second after the DEL, never longer; with cache-lag=200 the link is
    too slow for the cache ever to answer, and the next request is
    refused."""
    c = Client(node2)
    app = redis_k.client()
    for trial in range(5):
        token = app_token(redis_k)
        warm(c, "late", token, redis_k)
        app.delete(PREFIX + token)
        deleted = time.monotonic()
        while c.get("late", token).status_code == 200:
            assert time.monotonic() - deleted < 1.0, trial
        tight = app_token(redis_k)
        before = gets(redis_k)
        for _ in range(10):
            assert c.get("tight", tight).status_code == 200
            time.sleep(0.02)
        assert gets(redis_k) == before + 10     # never from the cache
        app.delete(PREFIX + tight)
        assert c.get("tight", tight).status_code == 401, trial


def test_tokens_never_reach_the_log_of_two_children(node2):
    log = node2.error_log()
    assert "token found in the cache" in log
    assert not [t for t in ISSUED if t in log]
    assert PREFIX not in log and ACL_PW not in log
