#!/usr/bin/python3
"""Benchmarks of mod_auth_backend against an unprotected location and stock
mod_auth_basic.  Prints figures and writes bench/RESULTS.md; never fails on
timing.  Run it through bench/run.sh.

By default every JWT location gets one token, sent on every request (a
client for its token's lifetime).  `--distinct N` measures instead the
JWT locations with N distinct tokens each, cycled by a wrk script, with
forged tokens and mod_auth_openidc on the same tokens (bench/distinct.py).

One private httpd (event MPM) serves the same tiny static file at every
location.  Rounds are interleaved, /open before and after every protected
location (A B A C A ...), and each location's req/s is divided by the mean
of the two /open runs beside it;
the report gives the medians over the rounds, the httpd CPU time per request
(summed over its processes from /proc) and the RSS growth of the children
over many requests per location.
"""

import argparse
import base64
import datetime
import hashlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "t", "lib"))

from harness import APACHE2, Httpd, session  # noqa: E402
import distinct  # noqa: E402

SECRET = "bench-secret-0123456789-abcdefghijklmnop"
# A peer, measured where Debian's package is installed (deps.sh bench):
# mod_auth_openidc as an OAuth 2.0 resource server checking the same HS256
# tokens as /jwt-hs256.
OPENIDC_SO = "/usr/lib/apache2/modules/mod_auth_openidc.so"
OPENIDC_CONF = """LoadModule auth_openidc_module %s
OIDCOAuthVerifySharedKeys plain##%s
OIDCCryptoPassphrase bench-passphrase-0123456789
""" % (OPENIDC_SO, SECRET)
PASSWORD = "bench-password"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
PG_HOST = "pg.bench"
WRK_THREADS = 2


def sh(cmd):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True,
                          text=True).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


# ---- token stores, when the machine has them ------------------------------------

class Redis:
    def __init__(self, d):
        self.port = free_port()
        self.socket = os.path.join(d, "redis.sock")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--unixsocket", self.socket, "--unixsocketperm", "777",
             "--save", "", "--appendonly", "no", "--dir", d],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Postgres:
    """A throw-away cluster, run as the postgres user (it refuses root)."""

    def __init__(self, d):
        version = sorted(os.listdir("/usr/lib/postgresql"))[-1]
        self.bin = "/usr/lib/postgresql/%s/bin/" % version
        self.dir = os.path.join(d, "pg")
        self.port = free_port()
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(["runuser", "-u", "postgres", "--", self.bin + "initdb",
                        "-D", self.dir + "/data", "-A", "trust", "-U",
                        "postgres"], check=True, capture_output=True)
        self.proc = subprocess.Popen(
            ["runuser", "-u", "postgres", "--", self.bin + "postgres",
             "-D", self.dir + "/data", "-p", str(self.port), "-k", self.dir,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, 30)
        time.sleep(0.5)

    def params(self):
        return "host=127.0.0.1 port=%d user=postgres dbname=postgres" \
               % self.port

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


# ---- locations ------------------------------------------------------------------

class Location:
    """NAME is served at /NAME/; BACKEND is an <AuthBackend> of TRANSPORT
    and STRATEGY (None: not ours); PROVIDER names what the build must have."""

    def __init__(self, name, transport=None, strategy=None, host=None,
                 provider=None, auth=None, uses=None, tokens=None,
                 status=200, verify=None, target=None, needs=None):
        """--distinct: USES names the location whose backend serves this
        one; TOKENS is its token set, STATUS the answer they get, VERIFY
        the openssl speed figure it compares with, TARGET the issue's."""
        self.name, self.transport, self.strategy = name, transport, strategy
        self.host, self.provider, self.auth = host, provider, auth
        self.backend = name.replace("-", "") if strategy else None
        self.uses, self.tokens, self.status = uses, tokens, status
        self.verify, self.target = verify, target
        # locations whose backends this one needs configured (--only)
        self.needs = set(needs or ()) | ({uses} if uses else set())
        if uses:
            self.auth = ("    AuthType backend\n"
                         "    AuthBackendProvider %s\n"
                         % uses.replace("-", ""))
        self.headers = []
        self.script = None

    def conf(self):
        text = ""
        if self.backend:
            text += ("<AuthBackend %s>\n    AuthBackendTransport %s\n"
                     "    AuthBackendStrategy %s\n</AuthBackend>\n"
                     % (self.backend, self.transport, self.strategy))
            self.auth = ("    AuthType backend\n"
                         "    AuthBackendProvider %s\n" % self.backend)
            # a login handler of this backend issues its benchmark token
            text += ("<Location /login-%s>\n    SetHandler auth-backend-login\n"
                     "    AuthBackendProvider %s\n"
                     "    AuthUserFile @ROOT@/users\n    Require all granted\n"
                     "</Location>\n" % (self.backend, self.backend))
        if self.auth:
            text += ("<Location /%s>\n    AuthName bench\n%s"
                     "    Require valid-user\n</Location>\n"
                     % (self.name, self.auth))
        return text


def locations(keys, redis, pg):
    basic = ("    AuthType Basic\n    AuthBasicProvider file\n"
             "    AuthUserFile @ROOT@/users\n")
    locs = [
        Location("open"),
        Location("basic", auth=basic),
        Location("jwt-hs256", "bearer", "jwt secret=file:@ROOT@/secret"),
        Location("jwt-rs256", "bearer",
                 "jwt algorithm=RS256 private-key=file:%s/rsa.key" % keys),
        Location("jwt-ps256", "bearer",
                 "jwt algorithm=PS256 private-key=file:%s/rsa.key" % keys),
        Location("jwt-es256", "bearer",
                 "jwt algorithm=ES256 private-key=file:%s/ec.key" % keys),
        Location("jwt-eddsa", "bearer",
                 "jwt algorithm=EdDSA private-key=file:%s/ed.key" % keys),
        Location("cookie-jwt", "cookie secure=off",
                 "jwt secret=file:@ROOT@/secret", provider="cookie"),
    ]
    if redis:
        locs.append(Location("redis", "bearer",
                             "redis url=redis://127.0.0.1:%d/0" % redis.port,
                             provider="redis"))
        locs.append(Location("redis-unix", "bearer",
                             "redis url=unix:%s" % redis.socket,
                             provider="redis"))
        # the same Redis, with the per-process cache that Redis invalidates
        locs.append(Location("redis-cache", "bearer",
                             "redis url=redis://127.0.0.1:%d/0 cache=4096"
                             % redis.port, provider="redis"))
    locs.append(Location("dbd-sqlite", "bearer", "dbd create-table=on",
                         provider="dbd"))
    # the same file, with the per-process cache that follows its header
    locs.append(Location("dbd-sqlite-cache", "bearer",
                         "dbd create-table=on cache=4096", provider="dbd"))
    if pg:
        locs.append(Location("dbd-pg", "bearer", "dbd create-table=on",
                             host=PG_HOST, provider="dbd"))
    if os.path.exists(OPENIDC_SO):
        # it checks the tokens /jwt-hs256's login issues
        locs.append(Location("peer-openidc", auth="    AuthType oauth20\n",
                             needs=["jwt-hs256"]))
    return locs


def server_conf(locs, pg, sqlite, dbd_pool="", sqlite_init="", work=None):
    main = [l for l in locs if not l.host]
    # EnableMMAP Off: httpd reads the small static file instead of mapping
    # it.  Mapped, every response ends in a munmap whose TLB shootdown
    # interrupts the other core whenever another httpd thread runs there,
    # which is more often the more CPU a location uses: perf showed the
    # kernel's munmap at 9 us per /open request and 28 us per /jwt-hs256
    # one in the same run, a cost of the file, charged to the module.
    conf = ("KeepAlive On\nMaxKeepAliveRequests 0\nThreadsPerChild 32\n"
            "MaxRequestWorkers 32\nMaxSpareThreads 32\nEnableMMAP Off\n")
    if any(l.name.startswith("peer-openidc") for l in locs):
        conf += OPENIDC_CONF
    if any(l.name.startswith("peer-openidc-") for l in locs):
        conf += distinct.openidc_conf(work)
    if any(l.provider == "dbd" for l in locs):
        conf += ('DBDriver sqlite3\nDBDParams "%s"\n%s%s'
                 % (sqlite, dbd_pool, sqlite_init))
    conf += "".join(l.conf() for l in main)
    conf += 'AliasMatch "^/(%s)/(.*)$" "@ROOT@/htdocs/$2"\n' % \
        "|".join(l.name for l in main)
    virtual = [l for l in locs if l.host]
    if virtual:
        # mod_dbd takes one DBDriver per server: PostgreSQL in a vhost
        conf += ("<VirtualHost *:@PORT@>\n    ServerName 127.0.0.1\n"
                 "    DocumentRoot @ROOT@/htdocs\n</VirtualHost>\n"
                 "<VirtualHost *:@PORT@>\n    ServerName %s\n"
                 "    DocumentRoot @ROOT@/htdocs\n    DBDriver pgsql\n"
                 '    DBDParams "%s"\n%s%s'
                 '    AliasMatch "^/(%s)/(.*)$" "@ROOT@/htdocs/$2"\n'
                 "</VirtualHost>\n"
                 % (PG_HOST, pg.params(), dbd_pool,
                    "".join(l.conf() for l in virtual),
                    "|".join(l.name for l in virtual)))
    return conf


def start_server(locs, pg, sqlite, args):
    """An httpd serving LOCS, less those whose provider this build lacks."""
    users = "bench:{SHA}%s\n" % base64.b64encode(
        hashlib.sha1(PASSWORD.encode()).digest()).decode()
    users += sh("htpasswd -nbB -C 10 bcrypt %s" % PASSWORD).strip() + "\n"
    while True:
        pool = ("DBDKeep %d\nDBDMax %d\n" % (args.dbd_pool, args.dbd_pool)
                if args.dbd_pool else "")
        init = ('DBDInitSQL "PRAGMA journal_mode=WAL"\n'
                if args.sqlite_wal else "")
        h = Httpd(server_conf(locs, pg, sqlite, pool, init, args.work),
                  loglevel="warn",
                  modules=["auth_basic", "dbd"],
                  files={"users": users})
        h.write("secret", SECRET, mode=0o600)
        check = h.check()
        if check.returncode == 0:
            return h.start(), locs
        text = check.stderr + check.stdout
        h.cleanup()
        missing = [l for l in locs if l.provider
                   and "unknown strategy '%s'" % l.provider in text
                   or l.provider and "unknown transport '%s'" % l.provider
                   in text]
        if not missing:
            raise SystemExit("httpd configuration failed:\n" + text)
        for l in missing:
            print("skipping /%s: this build has no '%s' provider"
                  % (l.name, l.provider))
        locs = [l for l in locs if l not in missing]


def prepare(h, locs):
    """Gets each location its credentials and checks that it refuses a
    request without them: a location that lets everyone in is not
    measured."""
    s = session()
    for l in locs:
        host = {"Host": l.host} if l.host else {}
        if l.name == "basic":
            cred = {"Authorization": "Basic " + base64.b64encode(
                ("bench:" + PASSWORD).encode()).decode()}
        elif l.name.startswith("peer-"):
            # a peer checks the tokens /jwt-hs256 takes
            r = s.post(h.url("/login-jwths256"),
                       data={"username": "bench", "password": PASSWORD})
            cred = {"Authorization": "Bearer " + r.json()["access_token"]}
        elif l.backend:
            # a cookie login is checked against CSRF: say where it is from
            origin = {"Origin": "http://%s:%d" % (l.host or "127.0.0.1",
                                                  h.port)}
            r = s.post(h.url("/login-" + l.backend),
                       headers=dict(host, **origin),
                       data={"username": "bench", "password": PASSWORD})
            if r.status_code == 204 and "fastapiusersauth" in r.cookies:
                cred = {"Cookie": "fastapiusersauth="
                        + r.cookies["fastapiusersauth"]}
            elif r.status_code == 200:
                cred = {"Authorization": "Bearer " + r.json()["access_token"]}
            else:
                raise SystemExit("/%s: login answered %d %s"
                                 % (l.name, r.status_code, r.text))
        else:
            cred = {}
        url = h.url("/%s/index.html" % l.name)
        s.cookies.clear()       # only what is given explicitly counts
        if cred and s.get(url, headers=host).status_code != 401:
            raise SystemExit("/%s does not refuse a request without "
                             "credentials" % l.name)
        r = s.get(url, headers=dict(host, **cred))
        if r.status_code != 200:
            raise SystemExit("/%s refuses its credentials: %d"
                             % (l.name, r.status_code))
        l.headers = ["%s: %s" % kv for kv in dict(host, **cred).items()]


def prepare_distinct(h, locs, work):
    """--distinct: each location refuses a request without a token, and
    the first, a middle and the last token of its set get the status the
    location expects; a forged location takes a valid token of its
    sibling's set (so its 401s come from the key, nothing else)."""
    s = session()
    for l in locs:
        url = h.url("/%s/index.html" % l.name)
        if l.name != "open" and s.get(url).status_code != 401:
            raise SystemExit("/%s does not refuse a request without "
                             "credentials" % l.name)
        checks = [(t, l.status) for t in distinct.sample_tokens(work,
                                                                 l.tokens)]
        if l.tokens.startswith("forged-"):
            checks += [(t, 200) for t in distinct.sample_tokens(
                work, l.tokens[len("forged-"):])]
        for token, status in checks:
            r = s.get(url, headers={"Authorization": "Bearer " + token})
            if r.status_code != status:
                raise SystemExit("/%s answers %d to a token of set %s, not "
                                 "%d" % (l.name, r.status_code, token[:12],
                                         status))


# ---- measuring --------------------------------------------------------------------

def httpd_pids(h):
    parent = h.proc.pid
    kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)],
                          capture_output=True, text=True).stdout.split()
    return [parent] + [int(k) for k in kids]


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])     # utime + stime
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def children_rss_kb(h):
    total = 0
    for pid in httpd_pids(h)[1:]:
        try:
            with open("/proc/%d/statm" % pid) as f:
                total += int(f.read().split()[1]) * PAGE_KB
        except FileNotFoundError:
            pass
    return total


def wrk(url, seconds, conns, headers=(), script=None):
    cmd = ["wrk", "-t%d" % WRK_THREADS, "-c%d" % conns, "-d%ds" % seconds]
    for x in headers:
        cmd += ["-H", x]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    n = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (int(n.group(1)) if n else 0, float(rps.group(1)) if rps else 0.0,
            int(bad.group(1)) if bad else 0)


def measure(h, url, seconds, conns, headers=(), script=None, status=200):
    """One wrk run; "bad" counts the answers other than STATUS's kind
    (2xx/3xx for 200; for 401, those that were not refused)."""
    pids = httpd_pids(h)
    before = cpu_ticks(pids)
    n, rps, refused = wrk(url, seconds, conns, headers, script)
    ticks = cpu_ticks(pids) - before
    cpu_us = ticks * 1e6 / CLK_TCK / n if n else float("nan")
    bad = refused if status < 400 else n - refused
    return {"rps": rps, "cpu_us": cpu_us, "bad": bad}


LOGIN_LUA = """
wrk.method = "POST"
wrk.body = "username=%s&password=%s"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
"""


def run(h, locs, args, work):
    """Each round measures /open before every protected location and once
    more at the end (A B A C A ...): a location's ratio is to the mean of
    the /open runs on either side of it, which follows the drift of a
    shared machine better than one /open per round."""
    rounds = {l.name: [] for l in locs}
    protected = [l for l in locs if l.name != "open"]
    open_loc = [l for l in locs if l.name == "open"][0]

    def open_run():
        m = measure(h, h.url("/open/index.html"), args.seconds,
                    args.connections, open_loc.headers, open_loc.script)
        m["ratio"], m["cpu_above"] = 1.0, 0.0
        rounds["open"].append(m)
        return m

    for i in range(args.rounds):
        line = []
        speed = distinct.openssl_verify_us() if args.distinct else {}
        if args.distinct:
            print("round %d: openssl verify %s" % (i + 1, ", ".join(
                "%s %.1f µs" % kv for kv in speed.items())), flush=True)
        before = open_run()
        for l in protected:
            m = measure(h, h.url("/%s/index.html" % l.name), args.seconds,
                        args.connections, l.headers, l.script, l.status)
            m["verify_us"] = speed.get(l.verify)
            after = open_run()
            base_rps = (before["rps"] + after["rps"]) / 2
            m["ratio"] = m["rps"] / base_rps if base_rps else 0
            m["cpu_above"] = m["cpu_us"] - (before["cpu_us"]
                                            + after["cpu_us"]) / 2
            rounds[l.name].append(m)
            line.append("%s %.0f (%.2f)%s" % (l.name, m["rps"], m["ratio"],
                                             " !%d" % m["bad"] if m["bad"]
                                             else ""))
            before = after
        opens = rounds["open"][-len(protected) - 1:]
        print("round %d: open %.0f-%.0f, %s"
              % (i + 1, min(m["rps"] for m in opens),
                 max(m["rps"] for m in opens), ", ".join(line)), flush=True)

    logins = {}
    # the login of /jwt-hs256's backend, when it is measured
    with_login = not args.distinct and any(l.name == "jwt-hs256"
                                           for l in locs)
    for user in ("bench", "bcrypt") if with_login else ():
        script = os.path.join(work, "login-%s.lua" % user)
        with open(script, "w") as f:
            f.write(LOGIN_LUA % (user, PASSWORD))
        logins[user] = measure(h, h.url("/login-jwths256"), args.seconds,
                               args.connections, script=script)
        print("login (%s): %.0f req/s%s" % (user, logins[user]["rps"],
                                            " !%d" % logins[user]["bad"]
                                            if logins[user]["bad"] else ""),
              flush=True)

    memory = {}
    for l in locs:
        per_sec = statistics.median(m["rps"] for m in rounds[l.name]) or 1
        seconds = max(2, int(args.memory_requests / per_sec) + 1)
        before = children_rss_kb(h)
        n, _, _ = wrk(h.url("/%s/index.html" % l.name), seconds,
                      args.connections, l.headers, l.script)
        memory[l.name] = (n, children_rss_kb(h) - before)
        print("memory /%s: %+d KB over %d requests"
              % (l.name, memory[l.name][1], n), flush=True)
    statuses = {}
    expected = {l.name: str(l.status) for l in locs}
    with open(h.path("logs/access_log")) as f:
        for line in f:
            m = re.search(r'"\S+ /([^/ ]*)\S* HTTP/[\d.]+" (\d+)', line)
            if m and not m.group(2).startswith(
                    expected.get(m.group(1), "2")[0]):
                key = "%s %s" % (m.group(1), m.group(2))
                statuses[key] = statuses.get(key, 0) + 1
    if statuses:
        print("responses other than expected (2xx; 401 for the forged "
              "tokens; one 401 per location is the check without "
              "credentials, more in --distinct's checks): %s" % statuses)
    return rounds, logins, memory


# ---- report -------------------------------------------------------------------------

def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    version = subprocess.run([APACHE2, "-v"], capture_output=True,
                             text=True).stdout.splitlines()[0]
    return "%d cores (%s); %s; event MPM" % (os.cpu_count(), model,
                                             version.split(": ", 1)[-1])


def report(locs, results, args):
    rounds, logins, memory = results
    med = statistics.median
    rows = ["| location | req/s | ratio to /open | httpd CPU µs/request | "
            "above /open | RSS growth |",
            "|---|---:|---:|---:|---:|---:|"]
    for l in locs:
        ms = rounds[l.name]
        n, grow = memory[l.name]
        rows.append("| /%s | %.0f | %.2f | %.1f | %+.1f | %+d KB / %dk req |"
                    % (l.name, med(m["rps"] for m in ms),
                       med(m["ratio"] for m in ms),
                       med(m["cpu_us"] for m in ms),
                       med(m["cpu_above"] for m in ms), grow, n // 1000))
    for user, hash_ in (("bench", "SHA1"), ("bcrypt", "bcrypt cost 10")):
        if user not in logins:
            continue
        m = logins[user]
        rows.append("| login (HS256, %s htpasswd) | %.0f | — | %.1f | — | — |"
                    % (hash_, m["rps"], m["cpu_us"]))
    table = "\n".join(rows)
    print("\n" + table)
    if args.no_results:
        return
    text = """# Benchmark results

Written by `bench/run.sh` on %s.

- Machine: %s
- Load: wrk, 2 threads, %d connections, keep-alive, %d s per run, %d
  rounds; in each round `/open` runs before and after every protected
  location (A B A C A ...), and a location's ratio and "above /open" are
  to the mean of the two `/open` runs beside it.  Figures are medians over
  the rounds (`/open`: over all its runs).
- httpd CPU µs/request: utime+stime of all httpd processes over the run,
  divided by the requests served.
- RSS growth: the children's resident memory before and after the given
  number of requests to that location alone, after the rounds warmed it up.

%s

Each protected location was checked to refuse a request without
credentials before it was measured.  The JWT locations send the same
token on every request, as a client does for the token's lifetime;
"Many distinct tokens" measures many clients (`--distinct`), and "What
changed" says what the first request of a token costs.
""" % (datetime.date.today().isoformat(), machine(), args.connections,
       args.seconds, args.rounds, table)
    write_results(args.results, preamble=text)


DISTINCT_HEADING = "## Many distinct tokens"


def write_results(path, preamble=None, section=None):
    """RESULTS.md is the default mode's preamble, then "## " sections: the
    default mode replaces the preamble, --distinct its own section (put
    first when new); every other section is kept as it is."""
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    parts = re.split(r"(?m)^(?=## )", old)
    head, sections = parts[0], parts[1:]
    if preamble is not None:
        head = preamble + "\n"
    if section is not None:
        section += "\n"
        mine = [i for i, x in enumerate(sections)
                if x.startswith(DISTINCT_HEADING)]
        if mine:
            sections[mine[0]] = section
        else:
            sections.insert(0, section)
    with open(path, "w") as f:
        f.write(head + "".join(sections))
    print("\nwrote %s" % path)


def report_distinct(locs, results, args):
    rounds, _, memory = results
    text = distinct.table(locs, rounds, memory, statistics.median)
    print("\n" + text)
    note = distinct.cache_note(args.distinct, args.jwt_cache)
    print("\n" + note)
    if not args.no_results:
        write_results(args.results, section=distinct.section(
            text, args, " ".join(sys.argv[1:]), note,
            datetime.date.today().isoformat(), machine()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--memory-requests", type=int, default=200000)
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--only", help="these locations (comma-separated) and "
                    "/open")
    ap.add_argument("--dbd-pool", type=int, default=0,
                    help="DBDKeep and DBDMax for the dbd locations "
                    "(default: mod_dbd's own)")
    ap.add_argument("--sqlite-wal", action="store_true",
                    help="DBDInitSQL PRAGMA journal_mode=WAL for SQLite")
    ap.add_argument("--no-results", action="store_true",
                    help="print the figures, leave RESULTS.md alone")
    ap.add_argument("--distinct", type=int, nargs="?", const=20000,
                    metavar="N",
                    help="the many-distinct-tokens mode instead of the "
                    "default one: N distinct tokens per JWT location "
                    "(20000 when N is not given), forged tokens, "
                    "mod_auth_openidc on the same tokens")
    ap.add_argument("--jwt-cache", type=int, metavar="N",
                    help="with --distinct: cache=N on the module's jwt "
                    "backends (default: theirs, 1024; 0 turns it off)")
    args = ap.parse_args()
    if args.distinct is not None and args.distinct < 1:
        ap.error("--distinct takes a number of tokens from 1")
    if args.jwt_cache is not None and not args.distinct:
        ap.error("--jwt-cache goes with --distinct")

    work = tempfile.mkdtemp(prefix="mab-bench-")
    args.work = work
    os.chmod(work, 0o755)
    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
       "-out %s/rsa.key 2>/dev/null" % work)
    sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
       "-out %s/ec.key 2>/dev/null" % work)
    os.chmod(work + "/rsa.key", 0o600)
    os.chmod(work + "/ec.key", 0o600)
    distinct.make_keys(work, sh)
    sqlite = os.path.join(work, "tokens.sqlite")
    db_dir = os.path.join(work, "db")
    os.makedirs(db_dir)
    shutil.chown(db_dir, "www-data", "www-data")   # sqlite writes beside it
    sqlite = os.path.join(db_dir, "tokens.sqlite")
    redis = pg = None
    if not args.distinct:
        redis = Redis(work) if shutil.which("redis-server") else None
        pg = Postgres(work) if os.path.isdir("/usr/lib/postgresql") else None
    h = None
    try:
        if args.distinct:
            locs = distinct.locations(work, Location, OPENIDC_SO)
            if args.jwt_cache is not None:
                for l in locs:
                    if l.strategy and l.strategy.startswith("jwt "):
                        l.strategy += " cache=%d" % args.jwt_cache
        else:
            locs = locations(work, redis, pg)
        measured = locs
        if args.only:
            keep = set(args.only.split(",")) | {"open"}
            unknown = keep - {l.name for l in locs}
            if unknown:
                raise SystemExit("--only: no location %s in this mode "
                                 "on this machine"
                                 % ", ".join(sorted(unknown)))
            measured = [l for l in locs if l.name in keep]
            # a forged location needs its sibling's backend
            needed = keep.union(*(l.needs for l in measured))
            locs = [l for l in locs if l.name in needed]
        h, locs = start_server(locs, pg, sqlite, args)
        measured = [l for l in measured if l in locs]
        if args.distinct:
            scripts = {}
            for l in measured:
                if l.tokens not in scripts:
                    scripts[l.tokens] = distinct.make_tokens(
                        work, l.tokens, args.distinct, SECRET, WRK_THREADS)
                l.script = scripts[l.tokens]
            for name in {l.tokens[len("forged-"):] for l in measured
                         if l.tokens.startswith("forged-")} - set(scripts):
                distinct.make_tokens(work, name, 3, SECRET, WRK_THREADS)
            prepare_distinct(h, measured, work)
        else:
            prepare(h, measured)
        results = run(h, measured, args, work)
    finally:
        if h:
            h.cleanup()
        for s in (redis, pg):
            if s:
                s.stop()
        shutil.rmtree(work, ignore_errors=True)
    (report_distinct if args.distinct else report)(measured, results, args)


if __name__ == "__main__":
    main()
