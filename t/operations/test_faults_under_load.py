"""Faults under load: one httpd (event MPM, two children) with locations
protected by the jwt, redis (with and without cache=) and dbd (PostgreSQL)
strategies, under `wrk`
with missing, bad, revoked and expired tokens and, at the same time, with
valid ones, while Redis is killed and restarted, PostgreSQL is stopped and
started, and httpd makes 20 graceful restarts.

A correctness test, not a benchmark: the only time limits are generous
bounds on waiting.  It asserts that no request without a valid token ever
got a 2xx (wrk's own tally and the access log, request by request), that
valid tokens only ever got 200 or, while their store was down, 503; that
no child crashed; that neither the parent nor the children gained file
descriptors and the parent no memory beyond a small bound across the
restarts; and that every location serves valid tokens again by itself.
"""

import collections
import os
import re
import signal
import subprocess
import time

import pytest

from harness import APACHE2, PRELOAD, httpd_env, session
from pg_server import PgServer
from redis_server import RedisServer, htpasswd
from tokens import fastapi_users_token
from wait import wait_until

SECRET = "faults-secret-0123456789-abcdefghijklmno"
PASSWORD = "faults-Pa55word"
LOCATIONS = ("jwt", "rd", "rdc", "pg")
STORES = ("rd", "rdc", "pg")
CONNECTIONS = 4                 # per wrk process
GRACEFUL_RESTARTS = 20
THREADS = 8                     # per child
FD_SLACK = 2
# VmRSS of the parent may grow a little while its allocators settle; a
# leak of what a restart re-reads (keys, secrets, pools) would grow it by
# that much 20 times.  The sanitizer runtime keeps freed memory in
# quarantine, which is not a leak.
RSS_SLACK_KB = 16384 if PRELOAD else 512

WRK_SCRIPT = r"""
-- Sends the requests of the file given after "--" in turn (one per line:
-- PATH, a tab, and the Authorization value or nothing) and tallies the
-- statuses; done() prints them as "status CODE COUNT".
local lines = {}
counts = {}
local i = 0

function init(args)
    for line in io.lines(args[1]) do
        local path, auth = line:match("^([^\t]+)\t?(.*)$")
        local headers = {}
        if auth ~= "" then headers["Authorization"] = auth end
        lines[#lines + 1] = wrk.format("GET", path, headers)
    end
end

function request()
    i = i % #lines + 1
    return lines[i]
end

-- a few milliseconds between requests: load, not a benchmark
function delay()
    return 4
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

local threads = {}

function setup(thread)
    threads[#threads + 1] = thread
end

function done(summary, latency, requests)
    local total = {}
    for _, t in ipairs(threads) do
        for status, n in pairs(t:get("counts")) do
            total[status] = (total[status] or 0) + n
        end
    end
    for status, n in pairs(total) do
        io.write(string.format("status %d %d\n", status, n))
    end
    local e = summary.errors
    io.write(string.format("errors connect=%d read=%d write=%d timeout=%d\n",
                           e.connect, e.read, e.write, e.timeout))
end
"""

CONF = """
StartServers 2
ServerLimit 2
ThreadsPerChild %(threads)d
MaxRequestWorkers 16
MinSpareThreads 16
MaxSpareThreads 16
KeepAliveTimeout 1
GracefulShutdownTimeout 10
DBDriver pgsql
DBDParams "%(pg)s"
DBDMax %(threads)d
<AuthBackend jwt>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
<AuthBackend rd>
    AuthBackendTransport bearer
    AuthBackendStrategy redis url=%(redis)s timeout=300
</AuthBackend>
<AuthBackend rdc>
    AuthBackendTransport bearer
    AuthBackendStrategy redis url=%(redis)s timeout=300 cache=1024
</AuthBackend>
<AuthBackend pg>
    AuthBackendTransport bearer
    AuthBackendStrategy dbd create-table=on
</AuthBackend>
<LocationMatch "^/(jwt|rd|rdc|pg)/">
    AuthType backend
    AuthName "faults"
    Require valid-user
</LocationMatch>
<LocationMatch "^/login/(jwt|rd|rdc|pg)$">
    SetHandler auth-backend-login
    AuthUserFile @ROOT@/users
    Require all granted
</LocationMatch>
<LocationMatch "^/logout/(jwt|rd|rdc|pg)$">
    SetHandler auth-backend-logout
    Require all granted
</LocationMatch>
AliasMatch "^/(jwt|rd|rdc|pg)/(.*)$" "@ROOT@/htdocs/$2"
"""
for _name in LOCATIONS:
    CONF += """<Location /%(n)s/>
    AuthBackendProvider %(n)s
</Location>
<Location /login/%(n)s>
    AuthBackendProvider %(n)s
</Location>
<Location /logout/%(n)s>
    AuthBackendProvider %(n)s
</Location>
""" % {"n": _name}

ACCESS = re.compile(r'"GET /(\w+)/index\.html\?k=([\w-]+) HTTP/1\.1" (\d{3}) ')


@pytest.fixture(scope="module")
def stores():
    pg = PgServer().start()
    rd = RedisServer(extra=["--appendonly", "yes", "--appendfsync",
                            "always"]).start()
    yield rd, pg
    rd.cleanup()
    pg.cleanup()


@pytest.fixture(scope="module")
def node(httpd_factory, stores):
    rd, pg = stores
    h = httpd_factory(CONF % {"pg": pg.dbd_params(), "redis": rd.url(),
                              "threads": THREADS},
                      start=False, modules=["dbd"], loglevel="info")
    h.write("secret", SECRET, mode=0o600)
    h.write("users", htpasswd("alice", PASSWORD) + "\n")
    return h.start()


# ---- processes ------------------------------------------------------------------

def children(ppid):
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid:
            out.append(int(pid))
    return sorted(out)


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def _sockets():
    """inode -> (local port, remote port, state) of the TCP sockets."""
    out = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            for line in f.read().splitlines()[1:]:
                p = line.split()
                out[p[9]] = (int(p[1].rsplit(":", 1)[1], 16),
                             int(p[2].rsplit(":", 1)[1], 16), p[3])
    return out


def descriptors(pid, node, store_ports):
    """PID's descriptors as (fixed, store, what): STORE counts the TCP
    connections to the token stores (a pool, whose size follows the load),
    FIXED everything else but client connections (logs, pipes, listeners:
    the same in every child of a configuration), WHAT lists them all."""
    socks = _sockets()
    fixed = store = 0
    what = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        kind = "fixed"
        if target.startswith("socket:["):
            s = socks.get(target[8:-1])
            if s and s[1] in store_ports:
                kind = "store"
            elif s and s[0] == node.port and s[2] != "0A":
                kind = "client"
            target = "%s %r" % (target, s)
        fixed += kind == "fixed"
        store += kind == "store"
        what.append("%s %s %s" % (fd, kind, target))
    return fixed, store, what


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def settle(node, store_ports, count=3, timeout=30):
    """{pid: descriptors()} of the parent's COUNT children (two workers
    and mod_cgid's daemon), once no client connection is left and the
    counts hold still."""
    last = [None]

    def settled():
        state = {p: descriptors(p, node, store_ports)
                 for p in children(node.proc.pid)}
        counts = {p: d[:2] for p, d in state.items()}
        clients = any(" client " in w for d in state.values() for w in d[2])
        if len(state) == count and not clients and counts == last[0]:
            return state
        last[0] = counts
        return None

    # the interval is what "hold still" means: two samples 1.2 s apart
    return wait_until(settled, timeout, 1.2,
                      lambda: "the children to settle: %r" % (last[0],))


# ---- HTTP ------------------------------------------------------------------------

def login(node, loc):
    r = session().post(node.url("/login/" + loc),
                       data={"username": "alice", "password": PASSWORD},
                       timeout=10)
    assert r.status_code == 200, (loc, r.status_code, r.text)
    return r.json()["access_token"]


def get(node, loc, token, kind="check"):
    headers = {"Authorization": "Bearer " + token} if token else {}
    return session().get(node.url("/%s/index.html?k=%s" % (loc, kind)),
                         headers=headers, timeout=10)


def wait_served(node, tokens, timeout=20):
    """Every location serves its valid token again (polling: the module
    must recover by itself; nothing here helps it)."""
    pending = set(LOCATIONS)

    def all_served():
        for loc in list(pending):
            if get(node, loc, tokens[loc]).status_code == 200:
                pending.discard(loc)
        return not pending

    wait_until(all_served, timeout, 0.2,
               lambda: "every location to serve again: not %s"
               % sorted(pending))
    assert not pending, "not served again: %s" % sorted(pending)


# ---- wrk ------------------------------------------------------------------------

class Wrk:
    def __init__(self, node, name, requests, seconds):
        self.path = node.path(name + ".txt")
        with open(self.path, "w") as f:
            for loc, kind, auth in requests:
                f.write("/%s/index.html?k=%s\t%s\n" % (loc, kind, auth))
        # one file per run: wrk reads it while the next run starts
        script = node.path(name + ".lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT)
        self.out = open(node.path(name + ".out"), "w+")
        self.proc = subprocess.Popen(
            ["wrk", "-t1", "-c%d" % CONNECTIONS, "-d%ds" % seconds,
             "--timeout", "5s", "-s", script, node.url("/"), "--",
             self.path], stdout=self.out, stderr=subprocess.STDOUT)

    def result(self):
        self.proc.wait(timeout=120)
        self.out.seek(0)
        text = self.out.read()
        self.out.close()
        counts = {int(s): int(n) for s, n in
                  re.findall(r"^status (\d+) (\d+)$", text, re.M)}
        assert counts, "wrk (exit %s) printed no tally:\n%s" % (
            self.proc.returncode, text)
        return counts, text


def bad_requests(tokens, revoked, expired):
    reqs = []
    for loc in LOCATIONS:
        reqs += [(loc, "bad-none", ""),
                 (loc, "bad-garbage", "Bearer x.y.z"),
                 (loc, "bad-basic", "Basic YWxpY2U6eA=="),
                 (loc, "bad-opaque", "Bearer " + "A" * 42 + "Q"),
                 (loc, "bad-jwt-other-secret", "Bearer " + fastapi_users_token(
                     "another-secret-0123456789-abcdefghijklm")),
                 (loc, "bad-expired", "Bearer " + expired)]
    reqs += [(loc, "bad-revoked", "Bearer " + revoked[loc])
             for loc in STORES]
    reqs += [("rd", "bad-other-store", "Bearer " + tokens["pg"]),
             ("rdc", "bad-other-store", "Bearer " + tokens["pg"]),
             ("pg", "bad-other-store", "Bearer " + tokens["rd"]),
             ("rd", "bad-jwt-token", "Bearer " + tokens["jwt"]),
             ("rdc", "bad-jwt-token", "Bearer " + tokens["jwt"])]
    return reqs


def good_requests(tokens):
    return [(loc, "good", "Bearer " + tokens[loc]) for loc in LOCATIONS]


def access_tally(node, since=0):
    tally = collections.Counter()
    with open(node.path("logs/access_log")) as f:
        lines = f.read().splitlines()[since:]
    for line in lines:
        m = ACCESS.search(line)
        if m:
            tally[(m.group(1), m.group(2), int(m.group(3)))] += 1
    return tally, len(lines)


def graceful(node, n):
    """One `apache2 -k graceful` with the same -d/-f; waits until the
    parent logs that it resumed operations for the Nth time."""
    subprocess.run([APACHE2, "-d", node.root, "-f", node.conf_path, "-k",
                    "graceful"], check=True, capture_output=True, timeout=30,
                   env=httpd_env())

    def resumed():
        if node.error_log().count("resuming normal operations") >= n + 1:
            return True
        assert node.proc.poll() is None, "httpd exited"
        return False

    wait_until(resumed, 30, 0.1, "graceful restart %d (it hangs)" % n)


# ---- the test --------------------------------------------------------------------

def test_faults_under_load(node, stores):
    rd, pg = stores
    tokens = {loc: login(node, loc) for loc in LOCATIONS}
    revoked = {}
    for loc in STORES:
        revoked[loc] = login(node, loc)
        r = session().post(node.url("/logout/" + loc), timeout=10,
                           headers={"Authorization": "Bearer " +
                                    revoked[loc]})
        assert r.status_code == 204
    expired = fastapi_users_token(SECRET, lifetime=-60)
    for loc in LOCATIONS:
        assert get(node, loc, tokens[loc]).status_code == 200
        assert get(node, loc, None).status_code == 401
    bad = bad_requests(tokens, revoked, expired)
    good = good_requests(tokens)

    # ---- warm-up: the store pools grow to the size this load needs ------
    ports = {rd.port, pg.port}
    warm = [Wrk(node, "warm-bad", bad, 3), Wrk(node, "warm-good", good, 3)]
    for w in warm:
        w.result()
    before = settle(node, ports)

    # ---- phase 1: the stores fail under load --------------------------------
    _, start_line = access_tally(node)
    wb = Wrk(node, "bad1", bad, 20)
    wg = Wrk(node, "good1", good, 20)
    # deliberate time passing: the load runs through each outage
    time.sleep(2)
    rd.kill()
    time.sleep(3)
    rd.start()
    time.sleep(2)
    pg.stop()
    time.sleep(4)
    pg.start()
    bad1, bad1_text = wb.result()
    good1, good1_text = wg.result()
    wait_served(node, tokens)
    after = settle(node, ports)
    same = set(before) & set(after)
    assert len(same) == 3, "the children were replaced: %r -> %r" % (
        list(before), list(after))
    for pid in same:
        fixed, store, what = after[pid]
        # reconnecting leaked nothing: the same fixed descriptors, and
        # store connections within what the pools may hold (two Redis
        # pools and mod_dbd's, at most one connection per thread each,
        # and the cache's subscription)
        assert fixed == before[pid][0], (before[pid][2], what)
        assert store <= 3 * THREADS + 1, what

    # ---- phase 2: 20 graceful restarts under load ------------------------
    parent = node.proc.pid
    fds_parent_before = fd_count(parent)
    rss_start = rss_kb(parent)
    wb = Wrk(node, "bad2", bad, 60)
    wg = Wrk(node, "good2", good, 60)
    time.sleep(1)               # deliberate: the load is running first
    # the first restarts let the parent's allocators settle
    graceful(node, 1)
    graceful(node, 2)
    time.sleep(1)               # deliberate: under load between restarts
    rss_before = rss_kb(parent)
    t = time.monotonic()
    for n in range(3, GRACEFUL_RESTARTS + 1):
        graceful(node, n)
        time.sleep(0.3)         # deliberate: requests between restarts
    restarts_took = time.monotonic() - t
    # stop the load early: the restarts are what this phase is about
    for w in (wb, wg):
        w.proc.send_signal(signal.SIGINT)
    bad2, bad2_text = wb.result()
    good2, good2_text = wg.result()
    wait_served(node, tokens)
    final = settle(node, ports)
    fds_parent_after = fd_count(parent)
    rss_after = rss_kb(parent)
    assert node.proc.poll() is None and node.proc.pid == parent

    # ---- what the clients saw ------------------------------------------------
    report = "\n".join((bad1_text, good1_text, bad2_text, good2_text))
    for counts in (bad1, bad2):
        assert not [s for s in counts if 200 <= s < 300], report
        assert set(counts) <= {401, 503}, report
        assert counts.get(401, 0) > 100, report
    for counts in (good1, good2):
        assert set(counts) <= {200, 503}, report
        assert counts.get(200, 0) > 100, report
    assert 503 in good1, "the store outages were not seen: " + report

    # ---- request by request, from the access log ----------------------------
    tally, _ = access_tally(node, start_line)
    statuses = collections.defaultdict(collections.Counter)
    for (loc, kind, status), n in tally.items():
        statuses[(loc, kind)][status] += n
    assert statuses, "no request in the access log"
    for (loc, kind), c in sorted(statuses.items()):
        if kind.startswith("bad"):
            assert set(c) <= {401, 503}, (loc, kind, c)
            assert not any(200 <= s < 300 for s in c), (loc, kind, c)
        elif kind == "good":
            allowed = {200} if loc == "jwt" else {200, 503}
            assert set(c) <= allowed, (loc, kind, c)
            assert c[200] > 0, (loc, kind, c)
    for loc in STORES:
        assert statuses[(loc, "good")][503] > 0, \
            "%s: its outage did not show" % loc
    # the jwt location has no store: the outages never showed there
    assert not any(c[503] for (loc, _), c in statuses.items()
                   if loc == "jwt")

    # ---- the server ---------------------------------------------------------
    log = node.error_log()
    assert log.count("resuming normal operations") == GRACEFUL_RESTARTS + 1
    for bad_line in ("exit signal", "Segmentation fault", "AH00052",
                     "AH00060"):
        assert bad_line not in log, bad_line
    assert PASSWORD not in log and SECRET not in log
    for t in list(tokens.values()) + list(revoked.values()):
        assert t.split(".")[-1] not in log

    assert fds_parent_after <= fds_parent_before + FD_SLACK, \
        (fds_parent_before, fds_parent_after)
    assert rss_after - rss_before <= RSS_SLACK_KB, (rss_before, rss_after)
    # the 21st generation of children holds what the first one held (a
    # descriptor leaked by the parent would be inherited)
    assert sorted(d[0] for d in final.values()) == \
        sorted(d[0] for d in before.values()), (before, final)

    def brief(state):
        return {p: d[:2] for p, d in state.items()}
    print("\nrestarts: %d in %.1fs; parent fds %d -> %d, VmRSS %d -> %d "
          "-> %d kB; children (fixed, store) fds %r -> %r -> %r\n%s" % (
              GRACEFUL_RESTARTS, restarts_took, fds_parent_before,
              fds_parent_after, rss_start, rss_before, rss_after,
              brief(before), brief(after), brief(final), report))

    # ---- and the service is restored -------------------------------------------
    for loc in LOCATIONS:
        r = get(node, loc, tokens[loc])
        assert r.status_code == 200 and "hello" in r.text, loc
        assert get(node, loc, None).status_code == 401
    fresh = {loc: login(node, loc) for loc in LOCATIONS}
    for loc in LOCATIONS:
        assert get(node, loc, fresh[loc]).status_code == 200
