"""Real redis-server and redis-sentinel processes for the tests.

Each one gets its own temp dir and a free loopback port, runs in the
foreground (no daemonize) and is stopped by PID.  Persistence is off unless
a test asks for it.  `client()` gives a redis-py client, the library
fastapi-users' RedisStrategy itself uses.
"""

import os
import shutil
import signal
import subprocess
import tempfile

import redis

import conf
from conf import htpasswd  # noqa: F401 (for the tests)
from harness import free_port
from wait import wait_until

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_SENTINEL = "/usr/bin/redis-sentinel"
ADMIN_PASSWORD = "tests-admin-password"


def wait_for(predicate, timeout, what):
    """Polls PREDICATE until it is true; a server that does not answer
    yet counts as false."""
    wait_until(predicate, timeout, 0.05, what,
               ignore=(redis.RedisError, OSError))


class _Process:
    """A redis-server (or sentinel) in a temp dir; subclasses give argv."""

    binary = REDIS_SERVER
    prefix = "mab-redis-"

    def __init__(self, port=None):
        self.dir = tempfile.mkdtemp(prefix=self.prefix)
        os.chmod(self.dir, 0o755)      # httpd's children reach the socket
        self.port = port or free_port()
        self.proc = None
        self.stopped = False

    def path(self, name):
        return os.path.join(self.dir, name)

    def argv(self):
        raise NotImplementedError

    def start(self, timeout=10):
        self.proc = subprocess.Popen(
            self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.stopped = False
        wait_for(lambda: self.proc.poll() is None and self._ping(), timeout,
                 "%s on port %d" % (os.path.basename(self.binary),
                                    self.port))
        return self

    def _ping(self):
        return self.admin().ping()

    def admin(self):
        raise NotImplementedError

    def freeze(self):
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.stopped = True

    def thaw(self):
        os.kill(self.proc.pid, signal.SIGCONT)
        self.stopped = False

    def _end(self, graceful):
        if self.proc and self.proc.poll() is None:
            if self.stopped:
                self.thaw()
            if graceful:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def kill(self):
        """Dies at once, as on a crash: no goodbye to clients."""
        self._end(graceful=False)

    def stop(self):
        """A clean shutdown (SIGTERM), which writes the append-only file."""
        self._end(graceful=True)

    def restart(self, timeout=10):
        self.stop()
        return self.start(timeout)

    def cleanup(self):
        self.kill()       # a clean shutdown would wait for replicas
        if not os.environ.get("KEEP_REDIS"):
            shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer(_Process):
    """redis-server on 127.0.0.1:PORT and on DIR/redis.sock (mode 777).

    requirepass: the password of the default user (--requirepass).  users:
    ACL rules by user name, e.g. {"app": "on >pw ~fastapi_users_token:*
    +get +set +del"}, written to an ACL file that also has an "admin" user
    for the tests themselves.  replicaof: port of a master on 127.0.0.1.
    extra: more "--key value" words."""

    def __init__(self, port=None, requirepass=None, users=None,
                 replicaof=None, extra=()):
        super().__init__(port)
        self.requirepass = requirepass
        self.users = users or {}
        self.replicaof = replicaof
        self.extra = list(extra)
        self.socket = self.path("redis.sock")

    def argv(self):
        a = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.dir, "--daemonize", "no", "--save", "",
             "--appendonly", "no", "--logfile", self.path("redis.log"),
             "--unixsocket", self.socket, "--unixsocketperm", "777",
             "--protected-mode", "no",
             # a replica syncs at once instead of after Redis' 5 s wait
             # for more replicas (the Sentinel tests wait for syncs)
             "--repl-diskless-sync-delay", "0"]
        if self.users:
            default = (">%s" % self.requirepass if self.requirepass
                       else "nopass")
            lines = ["user admin on >%s ~* &* +@all" % ADMIN_PASSWORD,
                     "user default on %s ~* &* +@all" % default]
            lines += ["user %s %s" % u for u in self.users.items()]
            with open(self.path("users.acl"), "w") as f:
                f.write("\n".join(lines) + "\n")
            a += ["--aclfile", self.path("users.acl")]
        elif self.requirepass:
            a += ["--requirepass", self.requirepass]
        if self.replicaof:
            a += ["--replicaof", "127.0.0.1", str(self.replicaof)]
        return a + self.extra

    def admin(self, db=0):
        """A client that gets past any password or ACL under test."""
        if self.users:
            auth = {"username": "admin", "password": ADMIN_PASSWORD}
        else:
            auth = {"password": self.requirepass}
        return redis.Redis(host="127.0.0.1", port=self.port, db=db,
                           decode_responses=True, socket_timeout=5, **auth)

    # the client a fastapi-users application would use
    client = admin

    def url(self, db=0, auth=""):
        return "redis://%s127.0.0.1:%d/%d" % (auth, self.port, db)

    def calls(self, command):
        """How often COMMAND ran (INFO commandstats)."""
        stats = self.admin().info("commandstats")
        return stats.get("cmdstat_" + command, {}).get("calls", 0)


class Sentinel(_Process):
    """redis-sentinel watching MASTER_PORT on 127.0.0.1 as NAME; short
    timings so that a failover takes seconds."""

    binary = REDIS_SENTINEL
    prefix = "mab-sentinel-"

    def __init__(self, master_port, name="mymaster", quorum=2,
                 down_after_ms=1000, failover_timeout_ms=4000,
                 requirepass=None, port=None):
        super().__init__(port)
        self.master_port = master_port
        self.name = name
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.requirepass = requirepass

    def argv(self):
        conf = self.path("sentinel.conf")
        # sentinel rewrites its config file: write it only the first time
        if not os.path.exists(conf):
            lines = [
                "port %d" % self.port,
                "bind 127.0.0.1",
                "daemonize no",
                "protected-mode no",
                "dir %s" % self.dir,
                "logfile %s" % self.path("redis.log"),
                "sentinel monitor %s 127.0.0.1 %d %d" % (
                    self.name, self.master_port, self.quorum),
                "sentinel down-after-milliseconds %s %d" % (
                    self.name, self.down_after_ms),
                "sentinel failover-timeout %s %d" % (
                    self.name, self.failover_timeout_ms),
                "sentinel parallel-syncs %s 1" % self.name,
            ]
            if self.requirepass:
                lines.append("requirepass %s" % self.requirepass)
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
        return [REDIS_SENTINEL, conf]

    def admin(self):
        return redis.Redis(host="127.0.0.1", port=self.port,
                           password=self.requirepass, decode_responses=True,
                           socket_timeout=5)

    def master(self):
        """(host, port) this sentinel names as the master, or None."""
        addr = self.admin().execute_command(
            "SENTINEL", "get-master-addr-by-name", self.name)
        return (addr[0], int(addr[1])) if addr else None


# ---- httpd configuration for a redis backend --------------------------------

ROUTES = """
AliasMatch "^/p/[^/]+/(.*)$" "@ROOT@/htdocs/$1"
ScriptAliasMatch "^/who/[^/]+$" "@ROOT@/cgi/env"
"""


def backend_conf(name, strategy, users="@ROOT@/users"):
    """<AuthBackend NAME> (bearer + STRATEGY) and its locations (see
    backend_locations).  Add ROUTES once."""
    return conf.backend(name, strategy) + backend_locations(name, users)


def backend_locations(name, users="@ROOT@/users"):
    """The locations of backend NAME: /p/NAME/... (protected files),
    /who/NAME (protected CGI showing REMOTE_USER), /login/NAME (checking
    passwords against USERS) and /logout/NAME."""
    return (conf.location("^/(p|who)/%s(/|$)" % name, name, name=name,
                          match=True)
            + conf.login_location("/login/%s" % name, name, users=users)
            + conf.logout_location("/logout/%s" % name, name))


class Client:
    """HTTP calls against the locations of backend_conf()."""

    def __init__(self, httpd):
        from harness import session
        self.h = httpd
        self.s = session()

    def login(self, backend, user, password, expect=200):
        r = self.s.post(self.h.url("/login/" + backend),
                        data={"username": user, "password": password},
                        timeout=10)
        assert r.status_code == expect, (r.status_code, r.text)
        return r.json()["access_token"] if expect == 200 else r

    @staticmethod
    def bearer(token):
        return {"Authorization": "Bearer " + token}

    def get(self, backend, token, path="index.html", timeout=10):
        return self.s.get(self.h.url("/p/%s/%s" % (backend, path)),
                          headers=self.bearer(token), timeout=timeout)

    def who(self, backend, token):
        """REMOTE_USER etc. as the protected CGI sees them, or None."""
        r = self.s.get(self.h.url("/who/" + backend),
                       headers=self.bearer(token), timeout=10)
        if r.status_code != 200:
            return None
        return dict(line.split("=", 1) for line in r.text.splitlines()
                    if "=" in line)

    def logout(self, backend, token):
        return self.s.post(self.h.url("/logout/" + backend),
                           headers=self.bearer(token), timeout=10)
