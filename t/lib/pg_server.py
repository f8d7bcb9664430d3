"""A real, private PostgreSQL server for the tests.

PostgreSQL refuses to run as root, so initdb and postgres run as the
`postgres` user (created by Debian's postgresql package) in a temp dir, on a
free loopback port, with a non-UTC TimeZone so that a timestamp written
without an explicit zone would show.  The server is stopped by PID.
"""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile

import psycopg2

from harness import free_port
from wait import wait_until

# A zone with a half-hour offset and no daylight saving time.
TIMEZONE = "Asia/Kolkata"
DBNAME = "mab"


def pg_bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (scripts/deps.sh test)")
    return os.path.dirname(found[-1])


class PgServer:
    def __init__(self):
        self.bindir = pg_bindir()
        self.root = tempfile.mkdtemp(prefix="mab-pg-")
        os.chmod(self.root, 0o755)
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.proc = None
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(["initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                   "--no-sync", "-E", "UTF8", "--locale=C"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("timezone = '%s'\nfsync = off\nlisten_addresses = "
                    "'127.0.0.1'\nunix_socket_directories = '%s'\n"
                    % (TIMEZONE, self.root))

    def _as_postgres(self, argv):
        argv = [os.path.join(self.bindir, argv[0])] + argv[1:]
        if not self.user:
            return argv
        # setpriv execs the command itself, so its PID is the server's
        return ["setpriv", "--reuid=postgres", "--regid=postgres",
                "--init-groups", "--"] + argv

    def _run(self, argv):
        subprocess.run(self._as_postgres(argv), check=True,
                       capture_output=True, cwd=self.root)

    def start(self, timeout=30):
        log = open(os.path.join(self.root, "postgres.log"), "a")
        self.proc = subprocess.Popen(
            self._as_postgres(["postgres", "-D", self.data, "-p",
                               str(self.port)]),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.root)
        log.close()

        def accepts():
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited:\n" + self.log())
            psycopg2.connect(**self.connect_args("postgres")).close()
            return True

        try:
            wait_until(accepts, timeout, 0.1, "postgres to accept",
                       ignore=psycopg2.OperationalError)
        except AssertionError:
            raise RuntimeError("postgres did not start:\n" + self.log())
        conn = psycopg2.connect(**self.connect_args("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        (DBNAME,))
            if not cur.fetchone():
                cur.execute("CREATE DATABASE " + DBNAME)
        conn.close()
        return self

    def stop(self):
        self.thaw()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)      # fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def _tree(self):
        """The postmaster and every process it started."""
        pids, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                    todo += [int(c) for c in f.read().split()]
            except FileNotFoundError:
                pass
        return pids

    def freeze(self):
        """SIGSTOP to the whole server: connections stay open, the
        kernel still acknowledges what is sent, nothing answers."""
        self.frozen = self._tree()
        for pid in self.frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in getattr(self, "frozen", []):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.frozen = []

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.root, "postgres.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def connect_args(self, dbname=DBNAME):
        return {"host": "127.0.0.1", "port": self.port, "user": "postgres",
                "dbname": dbname}

    def connect(self):
        conn = psycopg2.connect(**self.connect_args())
        conn.autocommit = True
        return conn

    def dbd_params(self):
        """DBDParams for mod_dbd's pgsql driver (a libpq conninfo)."""
        return "host=127.0.0.1 port=%d user=postgres dbname=%s" % (
            self.port, DBNAME)

    def sql(self, query, args=()):
        """Runs QUERY; returns the rows of a SELECT."""
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()
