"""AuthBackendLoginThrottle: failed logins counted per user name and per
client address in a mod_socache cache shared by every httpd process; past
the limit, 429 with Retry-After and no password check.

The main server sits behind mod_remoteip (as a server behind a proxy
would), so that each test is its own client address through
X-Forwarded-For; the counters are server-wide, so each test also uses its
own user names.  Other servers test the plain client address, restarts,
AuthBackendThrottleCache and a failing cache.
"""

import os
import re
import signal
import subprocess
import threading
import time

import pytest

from audit_log import events, select
from harness import free_port, session
from wait import wait_until

SECRET = "throttle-secret-0123456789-abcdefghijklmnop"
# each test has its own users: the counters are the server's
PASSWORDS = {u: u + "-Pa55word" for u in ("dora", "erin", "fay", "gus",
                                          "hal", "ivy", "jay", "kim",
                                          "lou")}
ALICE_PW = "alice-bcrypt-Pa55"          # bcrypt cost 12: slow on purpose
ZOE_PW = "zoe-bcrypt-Pa55"

BACKEND = """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
"""

# several processes with few threads each, so that concurrent requests
# land in different processes
PROCESSES = """
StartServers 3
ServerLimit 3
ThreadsPerChild 2
MaxRequestWorkers 6
MinSpareThreads 2
MaxSpareThreads 8
"""

CONF = BACKEND + PROCESSES + """
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1

# every login location below inherits this, unless it has its own line
AuthBackendLoginThrottle user=2/60 address=1000/60

<LocationMatch "^/auth/">
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthUserFile @ROOT@/users
    Require all granted
</LocationMatch>
<Location /auth/user/login>
    AuthBackendLoginThrottle user=3/60 address=1000/60
</Location>
<Location /auth/addr/login>
    AuthBackendLoginThrottle address=4/60
</Location>
<Location /auth/both/login>
    AuthBackendLoginThrottle 5 60s
</Location>
<Location /auth/short/login>
    AuthBackendLoginThrottle user=2/3s
</Location>
<Location /auth/browser/login>
    AuthBackendLoginThrottle user=1/1h
    AuthBackendLoginURL /login.html
</Location>
<Location /auth/off/login>
    AuthBackendLoginThrottle off
</Location>
"""


def users_file(h, bcrypt_cost=12):
    lines = [subprocess.run(["htpasswd", "-nbs", u, pw], check=True,
                            capture_output=True, text=True).stdout.strip()
             for u, pw in PASSWORDS.items()]
    for user, pw in (("alice", ALICE_PW), ("zoe", ZOE_PW)):
        lines.append(subprocess.run(["htpasswd", "-nbB", "-C",
                                     str(bcrypt_cost), user, pw], check=True,
                                    capture_output=True,
                                    text=True).stdout.strip())
    h.write("users", "\n".join(lines) + "\n")
    h.write("secret", SECRET, mode=0o600)


@pytest.fixture(scope="module")
def server(httpd_factory):
    h = httpd_factory(CONF, start=False,
                      modules=["socache_shmcb", "remoteip"])
    users_file(h)
    return h.start()


def login(h, path, user, password, address=None, s=None, headers=None):
    hdrs = dict(headers or {})
    if address:
        hdrs["X-Forwarded-For"] = address
    return (s or session()).post(h.url(path), timeout=30, headers=hdrs,
                                 data={"username": user,
                                       "password": password},
                                 allow_redirects=False)


def assert_throttled(r, period):
    assert r.status_code == 429, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"detail": "LOGIN_THROTTLED"}
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= period, wait
    return wait


def audit(h, mark=0, **want):
    return select(events(h.error_log()[mark:]), **want)


# ---- per user name and per address -------------------------------------------

def test_past_the_user_limit_every_login_of_that_user_is_429(server):
    a = "203.0.113.1"
    for _ in range(3):
        assert login(server, "/auth/user/login", "dora", "bad", a) \
            .status_code == 400
    # the right password does not help, from any address, in any case
    assert_throttled(login(server, "/auth/user/login", "dora",
                           PASSWORDS["dora"], a), 60)
    assert_throttled(login(server, "/auth/user/login", "dora",
                           PASSWORDS["dora"], "203.0.113.2"), 60)
    assert_throttled(login(server, "/auth/user/login", "DoRa", "bad",
                           "203.0.113.3"), 60)
    # other users from the same address are not held up
    assert login(server, "/auth/user/login", "erin", PASSWORDS["erin"], a) \
        .status_code == 200
    assert login(server, "/auth/user/login", "erin", "bad", a) \
        .status_code == 400


def test_every_spelling_of_a_name_counts_on_its_counter(server):
    """A provider that folds names (LDAP, an accent- and case-insensitive
    SQL collation) logs "lou" in as " Lou ", "ＬＯＵ" or "lóu": each
    spelling must count on lou's counter, or each buys 3 more guesses."""
    a = "203.0.113.20"
    for spelling in (" Lou ", "\uff2c\uff2f\uff35", "lo\u0301u"):
        assert login(server, "/auth/user/login", spelling, "bad", a) \
            .status_code == 400
    assert_throttled(login(server, "/auth/user/login", "lou",
                           PASSWORDS["lou"], a), 60)
    assert_throttled(login(server, "/auth/user/login", "l\u00d3u", "bad",
                           a), 60)
    # names without an ASCII form are folded, not lumped together
    for _ in range(3):
        assert login(server, "/auth/user/login", "\u041c\u0410\u0420\u0418\u042f",
                     "bad", a).status_code == 400
    assert_throttled(login(server, "/auth/user/login",
                           "\u043c\u0430\u0440\u0438\u044f", "bad", a), 60)
    assert login(server, "/auth/user/login", "\u0438\u0432\u0430\u043d", "bad",
                 a).status_code == 400
    # Greek: case, final sigma and the tonos
    for _ in range(3):
        assert login(server, "/auth/user/login", "\u03a3\u039f\u03a6\u0399\u0391\u03a3",
                     "bad", a).status_code == 400
    assert_throttled(login(server, "/auth/user/login",
                           "\u03c3\u03bf\u03c6\u03af\u03b1\u03c2", "bad", a), 60)


def test_failures_for_other_names_do_not_push_a_lockout_out(server):
    """The default shmcb cache holds about 8500 counters; 1500 failures for
    junk names, each from an address of its own (so that no address limit
    stops them), leave a locked-out name locked out.  Before the keys were
    spread over the whole cache, about 100 did it."""
    for _ in range(3):
        assert login(server, "/auth/user/login", "evict-me", "bad",
                     "203.0.113.30").status_code == 400
    assert_throttled(login(server, "/auth/user/login", "evict-me", "bad",
                           "203.0.113.30"), 60)
    s = session()
    for n in range(1500):
        assert login(server, "/auth/user/login", "junk-%d" % n, "bad",
                     "10.9.%d.%d" % (n >> 8, n & 255), s=s) \
            .status_code == 400
    assert_throttled(login(server, "/auth/user/login", "evict-me", "bad",
                           "203.0.113.31"), 60)


def test_unknown_users_are_throttled_like_existing_ones(server):
    """Otherwise the 429 would tell which user names exist."""
    answers = {}
    for user in ("hal", "no-such-user"):
        seq = [login(server, "/auth/user/login", user, "bad", "203.0.113.9")
               for _ in range(4)]
        answers[user] = [r.status_code for r in seq]
        last = seq[-1]
        assert_throttled(last, 60)
        answers[user].append(sorted(k for k in last.headers
                                    if k not in ("Date", "Keep-Alive")))
        answers[user].append(last.content)
    assert answers["hal"] == answers["no-such-user"]
    assert answers["hal"][:4] == [400, 400, 400, 429]


def test_past_the_address_limit_every_login_from_it_is_429(server):
    a = "198.51.100.7"
    mark = server.log_mark()
    for user in ("u1", "u2", "u3", "u4"):
        assert login(server, "/auth/addr/login", user, "bad", a) \
            .status_code == 400
    assert_throttled(login(server, "/auth/addr/login", "ivy",
                           PASSWORDS["ivy"], a), 60)
    # another client is not held up
    assert login(server, "/auth/addr/login", "ivy", PASSWORDS["ivy"],
                 "198.51.100.8").status_code == 200
    line = server.log_since(mark, "reason=address_limit")
    assert 'event=login_throttled reason=address_limit client=198.51.100.7 ' \
        'user="ivy" backend=api retry_after=' in line


def test_refused_attempts_count_against_no_one(server):
    """/auth/both counts 5 per user and 5 per address.  Once an attacker's
    address is throttled, its attempts on a user add nothing to that
    user's counter: the victim can still log in."""
    attacker = "198.51.100.20"
    for user in ("x1", "x2", "x3", "x4", "x5"):
        assert login(server, "/auth/both/login", user, "bad", attacker) \
            .status_code == 400
    for _ in range(8):
        assert_throttled(login(server, "/auth/both/login", "gus", "bad",
                               attacker), 60)
    assert login(server, "/auth/both/login", "gus", PASSWORDS["gus"],
                 "198.51.100.21").status_code == 200
    assert len(audit(server, event="login_throttled", user="gus",
                     reason="address_limit")) == 8
    assert not audit(server, event="login_failed", user="gus")


def test_a_success_clears_the_user_counter_but_not_the_address_one(server):
    a = "198.51.100.30"
    # the user counter (limit 3): two failures, a success, then three more
    assert login(server, "/auth/user/login", "fay", "bad", a).status_code \
        == 400
    assert login(server, "/auth/user/login", "fay", "bad", a).status_code \
        == 400
    assert login(server, "/auth/user/login", "fay", PASSWORDS["fay"], a) \
        .status_code == 200
    for _ in range(3):
        assert login(server, "/auth/user/login", "fay", "bad", a) \
            .status_code == 400
    assert_throttled(login(server, "/auth/user/login", "fay", "bad", a), 60)

    # the address counter (limit 4): a success neither counts nor clears
    b = "198.51.100.31"
    for user in ("v1", "v2", "v3"):
        assert login(server, "/auth/addr/login", user, "bad", b) \
            .status_code == 400
    assert login(server, "/auth/addr/login", "erin", PASSWORDS["erin"], b) \
        .status_code == 200
    assert login(server, "/auth/addr/login", "v4", "bad", b).status_code \
        == 400
    assert_throttled(login(server, "/auth/addr/login", "erin",
                           PASSWORDS["erin"], b), 60)


def test_the_password_is_not_checked_while_throttled(server):
    """alice's bcrypt hash (cost 12) takes a measurable time to check; a
    throttled answer takes none of it, and has no login_failed line."""
    a = "198.51.100.40"
    checked = []
    for _ in range(3):
        t = time.monotonic()
        assert login(server, "/auth/user/login", "alice", "bad", a) \
            .status_code == 400
        checked.append(time.monotonic() - t)
    assert min(checked) > 0.05, checked
    mark = server.log_mark()
    refused = []
    for pw in ("bad", ALICE_PW, "bad"):
        t = time.monotonic()
        assert_throttled(login(server, "/auth/user/login", "alice", pw, a),
                         60)
        refused.append(time.monotonic() - t)
    assert sorted(refused)[1] < min(checked) / 4, (refused, checked)
    server.log_since(mark, "login_throttled")
    assert len(audit(server, mark, event="login_throttled",
                     user="alice")) == 3
    assert not audit(server, mark, event="login_failed", user="alice")


def test_the_window_ends_and_refused_attempts_do_not_extend_it(server):
    """user=2/3s: the window opens with the first failure; attempts that
    were answered 429 do not push its end."""
    a = "198.51.100.50"
    start = time.monotonic()
    for _ in range(2):
        assert login(server, "/auth/short/login", "jay", "bad", a) \
            .status_code == 400
    waits = []
    while time.monotonic() - start < 2.2:
        waits.append(assert_throttled(
            login(server, "/auth/short/login", "jay", PASSWORDS["jay"], a),
            3))
        time.sleep(0.3)         # deliberate: samples spread over the window
    assert waits[0] >= waits[-1] and waits[-1] <= 1, waits
    # deliberate time passing: until the 3 s window has ended
    time.sleep(max(0.0, 3.2 - (time.monotonic() - start)))
    assert login(server, "/auth/short/login", "jay", PASSWORDS["jay"], a) \
        .status_code == 200


def test_counters_are_shared_by_all_processes(server):
    """15 wrong passwords at once, on separate connections, against a
    limit of 5: exactly 5 are checked, whichever processes serve them."""
    a = "198.51.100.60"
    mark = server.log_mark()
    codes = []

    def one():
        s = session()
        r = login(server, "/auth/both/login", "zoe", "bad", a, s=s,
                  headers={"Connection": "close"})
        codes.append(r.status_code)
        s.close()

    threads = [threading.Thread(target=one) for _ in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [400] * 5 + [429] * 10, codes
    server.log_since(mark, "login_throttled")
    lines = audit(server, mark, user="zoe", client=a)
    assert len(lines) == 15
    assert len(select(lines, event="login_failed")) == 5
    assert len({e["_pid"] for e in lines}) >= 2, \
        "all requests landed in one process: %s" % [e["_pid"] for e in lines]


# ---- configuration in locations -------------------------------------------------

def test_a_location_inherits_the_server_limit_and_off_disables_it(server):
    a = "198.51.100.70"
    for _ in range(6):
        assert login(server, "/auth/off/login", "kim", "bad", a) \
            .status_code == 400
    # /auth/off counted nothing: kim still has the server-wide 2 failures
    assert login(server, "/auth/inherit/login", "kim", "bad", a) \
        .status_code == 400
    assert login(server, "/auth/inherit/login", "kim", "bad", a) \
        .status_code == 400
    assert_throttled(login(server, "/auth/inherit/login", "kim", "bad", a),
                     60)
    # the counters are the server's, the limits the location's: at
    # /auth/user (3 per user) kim has one failure left
    assert login(server, "/auth/user/login", "kim", "bad", a) \
        .status_code == 400
    assert_throttled(login(server, "/auth/user/login", "kim", "bad", a), 60)


def test_a_browser_gets_the_login_page_back(server):
    browser = {"Accept": "text/html", "Sec-Fetch-Mode": "navigate"}
    a = "198.51.100.80"
    r = login(server, "/auth/browser/login", "no-one", "bad", a,
              headers=browser)
    assert r.status_code == 303
    assert r.headers["Location"] == "/login.html?error=LOGIN_BAD_CREDENTIALS"
    r = login(server, "/auth/browser/login", "no-one", "bad", a,
              headers=browser)
    assert r.status_code == 303
    assert r.headers["Location"] == "/login.html?error=LOGIN_THROTTLED"
    assert 3590 <= int(r.headers["Retry-After"]) <= 3600


def test_the_audit_line_of_a_throttled_login(server):
    a = "198.51.100.90"
    mark = server.log_mark()
    for _ in range(4):
        login(server, "/auth/user/login", "o'neil \"x\"", "bad", a)
    line = server.log_since(mark, "event=login_throttled")
    assert re.search(
        r'\[auth_backend:warn\] .*auth_backend: event=login_throttled '
        r'reason=user_limit client=198\.51\.100\.90 '
        r'user="o\'neil %22x%22" backend=api retry_after=(60|59) '
        r'detail="3 failed logins within 60 s for this user; the password '
        r'is not checked"$', line, re.M), line


# ---- the client's own address, restarts and the cache ---------------------------

def graceful(h):
    """apache2 -k graceful, and wait for the new generation."""
    n = h.error_log().count("resuming normal operations")
    with open(h.path("run/httpd.pid")) as f:
        os.kill(int(f.read()), signal.SIGUSR1)
    wait_until(lambda: h.error_log().count("resuming normal operations") > n,
               15, 0.1, "a graceful restart")
    # a margin for the new generation's children to start: nothing to poll
    # for it without mod_status
    time.sleep(0.5)


def test_plain_address_and_a_graceful_restart_empties_the_counters(
        httpd_factory):
    """Without mod_remoteip the address is the connection's (127.0.0.1).
    The shmcb cache lives as long as the configuration: a restart,
    graceful or not, starts from empty counters."""
    h = httpd_factory(BACKEND + """
AuthBackendThrottleCache "shmcb:@ROOT@/run/throttle-cache(65536)"
<Location /login>
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthUserFile @ROOT@/users
    AuthBackendLoginThrottle address=2/1h
    Require all granted
</Location>
""", start=False, modules=["socache_shmcb"])
    users_file(h, bcrypt_cost=5)
    h.start()
    for user in ("a", "b"):
        assert login(h, "/login", user, "bad").status_code == 400
    assert_throttled(login(h, "/login", "dora", PASSWORDS["dora"]), 3600)
    assert 'client=127.0.0.1 user="dora"' in h.error_log()
    graceful(h)
    assert login(h, "/login", "dora", PASSWORDS["dora"]).status_code == 200


def test_a_failing_cache_lets_logins_through_and_says_so(httpd_factory):
    """Fail open: nothing listens on the memcached port."""
    port = free_port()
    h = httpd_factory(BACKEND + """
AuthBackendThrottleCache memcache:127.0.0.1:%d
<Location /login>
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthUserFile @ROOT@/users
    AuthBackendLoginThrottle 1 60
    Require all granted
</Location>
""" % port, start=False, modules=["socache_memcache"])
    users_file(h, bcrypt_cost=5)
    h.start()
    for _ in range(3):
        assert login(h, "/login", "dora", "bad").status_code == 400
    assert login(h, "/login", "dora", PASSWORDS["dora"]).status_code == 200
    log = h.log_since(0, "this login is not throttled")
    assert "[auth_backend:error]" in log
    assert "login throttle: the memcache:127.0.0.1:%d cache failed to " \
        "count the attempt" % port in log
    assert "this login is not throttled" in log


def test_counters_shared_by_two_servers_through_redis(httpd_factory,
                                                       tmp_path):
    """AuthBackendThrottleCache redis: two Apache servers, one Redis, one
    set of counters; the keys name no user."""
    from redis_server import RedisServer
    r = RedisServer().start()
    try:
        conf = BACKEND + """
AuthBackendThrottleCache redis:127.0.0.1:%d
<Location /login>
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthUserFile @ROOT@/users
    AuthBackendLoginThrottle user=3/60
    Require all granted
</Location>
""" % r.port
        servers = []
        for _ in range(2):
            h = httpd_factory(conf, start=False,
                              modules=["socache_redis"])
            users_file(h, bcrypt_cost=5)
            servers.append(h.start())
        one, two = servers
        assert login(one, "/login", "dora", "bad").status_code == 400
        assert login(two, "/login", "dora", "bad").status_code == 400
        assert login(one, "/login", "dora", "bad").status_code == 400
        assert_throttled(login(two, "/login", "dora", PASSWORDS["dora"]), 60)
        keys = r.client().keys("*")
        # mod_socache_redis writes "<cache name>:<the key in hex>"
        assert len(keys) == 1, keys
        name, hexkey = keys[0].split(":")
        key = bytes.fromhex(hexkey).decode()
        assert name == "auth-backend-thr"
        assert re.fullmatch(r"auth_backend:throttle:user:[\w-]{27}", key), key
        assert "dora" not in key.lower()
    finally:
        r.cleanup()


# ---- configuration errors ---------------------------------------------------------

@pytest.mark.parametrize("line,message", [
    ("AuthBackendLoginThrottle 0 60", "FAILURES must be a whole number"),
    ("AuthBackendLoginThrottle 100001 60", "FAILURES must be a whole number"),
    ("AuthBackendLoginThrottle five 60", "FAILURES must be a whole number"),
    ("AuthBackendLoginThrottle 5 0", "a period is a whole number of seconds"),
    ("AuthBackendLoginThrottle 5 25h", "a period is a whole number"),
    ("AuthBackendLoginThrottle 5 2d", "a period is a whole number"),
    ("AuthBackendLoginThrottle 5", "takes FAILURES PERIOD"),
    ("AuthBackendLoginThrottle 5 60 7", "takes FAILURES PERIOD"),
    ("AuthBackendLoginThrottle", "takes FAILURES PERIOD"),
    ("AuthBackendLoginThrottle user=5", "is not user=FAILURES/PERIOD"),
    ("AuthBackendLoginThrottle ip=5/60", "is not user=FAILURES/PERIOD"),
    ("AuthBackendLoginThrottle user=5/60 user=3/60", "user= is given twice"),
    ("AuthBackendLoginThrottle address=5/1x", "a period is a whole number"),
    ("AuthBackendLoginThrottle user=5/60 60", "takes FAILURES PERIOD"),
    ("AuthBackendThrottleCache nosuch", "unknown socache provider 'nosuch'"),
    ("AuthBackendThrottleCache shmcb:x(10)", "AuthBackendThrottleCache:"),
    ("<VirtualHost 127.0.0.1:@PORT@>\nAuthBackendThrottleCache shmcb\n"
     "</VirtualHost>", "cannot occur within"),
    ("<AuthBackend x>\nAuthBackendTransport bearer\nAuthBackendStrategy jwt "
     "secret=file:@ROOT@/secret\nAuthBackendLoginThrottle 5 60\n"
     "</AuthBackend>", "not allowed inside <AuthBackend>"),
])
def test_configuration_errors_fail_the_config_test(httpd_config, line,
                                                   message):
    h = httpd_config(BACKEND + line + "\n", modules=["socache_shmcb"])
    h.write("secret", SECRET, mode=0o600)
    out = h.check()
    assert out.returncode != 0, out
    assert message in out.stderr + out.stdout, out.stderr
    assert "httpd.conf" in out.stderr + out.stdout


def test_a_throttle_without_shmcb_fails_the_config_test(httpd_config):
    h = httpd_config(BACKEND + "<Location /login>\n"
                     "AuthBackendLoginThrottle 5 60\n</Location>\n")
    h.write("secret", SECRET, mode=0o600)
    out = h.check()
    assert out.returncode != 0
    assert "httpd.conf:%d: AuthBackendLoginThrottle keeps its counters in " \
        "a shared cache: load mod_socache_shmcb" % (
            h.read("conf/httpd.conf").splitlines().index(
                "AuthBackendLoginThrottle 5 60") + 1) in out.stderr


@pytest.mark.parametrize("cache,line,warning", [
    ("", "AuthBackendLoginThrottle user=5/15m",
     "without an address= limit, one client can push a locked-out user's "
     "counter out of the shmcb cache (524288 bytes, about 8594 counters) "
     "with about 4297 failed logins for other names"),
    ("", "AuthBackendLoginThrottle user=5/15m address=50/1h",
     "the shmcb cache (524288 bytes, about 8594 counters) is small for "
     "these limits: about 4297 failed logins for other names, from 85 "
     "addresses within the user period, push a locked-out user's counter "
     "out of it; give it at least 610000 bytes"),
    # address=50/1m: 15 windows within the user period of 15 minutes
    ("AuthBackendThrottleCache shmcb:@ROOT@/run/x(4194304)",
     "AuthBackendLoginThrottle user=5/15m address=50/1m",
     "the shmcb cache (4194304 bytes, about 68759 counters) is small"),
    ("AuthBackendThrottleCache shmcb:@ROOT@/run/x(4194304)",
     "AuthBackendLoginThrottle user=5/15m address=50/1h", None),
    ("", "AuthBackendLoginThrottle address=5/1m", None),
    ("AuthBackendThrottleCache memcache:127.0.0.1:1",
     "AuthBackendLoginThrottle user=5/15m", None),
])
def test_a_cache_too_small_for_the_limits_is_warned_of(httpd_config, cache,
                                                       line, warning):
    h = httpd_config(BACKEND + cache + "\n<Location /login>\n" + line +
                     "\n</Location>\n",
                     modules=["socache_shmcb", "socache_memcache"])
    h.write("secret", SECRET, mode=0o600)
    out = h.check()
    assert out.returncode == 0, out.stderr
    where = "httpd.conf:%d: AuthBackendLoginThrottle: " % (
        h.read("conf/httpd.conf").splitlines().index(line) + 1)
    if warning:
        assert "[auth_backend:warn]" in out.stderr, out.stderr
        assert where in out.stderr, out.stderr
        assert warning in out.stderr, out.stderr
    else:
        assert "AuthBackendLoginThrottle:" not in out.stderr, out.stderr


@pytest.mark.parametrize("line", [
    "AuthBackendLoginThrottle 5 60",
    "AuthBackendLoginThrottle 5 60s",
    "AuthBackendLoginThrottle user=5/15m address=50/1h",
    "AuthBackendLoginThrottle address=20/86400",
    "AuthBackendLoginThrottle OFF",
    "AuthBackendLoginThrottle 1 1\n</Location>\n"
    "AuthBackendThrottleCache shmcb:@ROOT@/run/x(100000)\n<Location /x>",
])
def test_valid_lines_pass_the_config_test(httpd_config, line):
    h = httpd_config(BACKEND + "<Location /login>\n" + line +
                     "\n</Location>\n", modules=["socache_shmcb"])
    h.write("secret", SECRET, mode=0o600)
    out = h.check()
    assert out.returncode == 0, out.stderr
