"""A real, private httpd for the tests.

Each Httpd gets its own ServerRoot in a temp dir, listens on a free loopback
port, runs in the foreground with the module under test loaded, and is
stopped by PID.  Configuration snippets use @ROOT@, @PORT@ and @MODULE@
placeholders (Apache's own syntax is full of braces and dollars).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile

import requests

from wait import wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
APACHE2 = os.environ.get("HTTPD", "/usr/sbin/apache2")
MODDIR = "/usr/lib/apache2/modules"
MODULE = os.environ.get(
    "MOD_AUTH_BACKEND_SO",
    os.path.join(REPO, "_build", ".libs", "mod_auth_backend.so"))

# A sanitizer build (scripts/sanitize.sh) runs httpd with its runtime
# preloaded; its reports land in the error log or httpd's stdout, and an
# instance that shows one fails the test that started it.
PRELOAD = os.environ.get("HTTPD_PRELOAD")
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:")


def httpd_env():
    env = dict(os.environ)
    if PRELOAD:
        env["LD_PRELOAD"] = PRELOAD
    return env


# Always loaded; tests add more with modules=.
BASE_MODULES = ["mpm_event", "authn_core", "authz_core", "authz_user",
                "authn_file", "mime", "alias", "cgid", "headers", "env",
                "dir"]

ENV_CGI = """#!/bin/sh
printf 'Content-Type: text/plain\\n\\n'
for v in REMOTE_USER AUTH_TYPE AUTH_BACKEND HTTP_AUTHORIZATION; do
  eval "printf '%s=%s\\n' $v \\"\\${$v-}\\""
done
"""

BASE_CONF = """
ServerRoot @ROOT@
ServerName 127.0.0.1
Listen 127.0.0.1:@PORT@
PidFile @ROOT@/run/httpd.pid
DefaultRuntimeDir @ROOT@/run
Mutex file:@ROOT@/run default
ScriptSock @ROOT@/run/cgisock
ErrorLog @ROOT@/logs/error_log
LogLevel @LOGLEVEL@
LogFormat "%h %u \\"%r\\" %>s %b" common
CustomLog @ROOT@/logs/access_log common
@USER@
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16
Timeout 10
TypesConfig /etc/mime.types
DocumentRoot @ROOT@/htdocs
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory @ROOT@/htdocs>
    Require all granted
</Directory>
ScriptAlias /cgi/ @ROOT@/cgi/
<Directory @ROOT@/cgi>
    Require all granted
</Directory>
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session():
    """A requests session that ignores proxy settings of the environment."""
    s = requests.Session()
    s.trust_env = False
    return s


class Httpd:
    def __init__(self, conf, modules=(), loglevel="info auth_backend:trace1",
                 files=None, module=MODULE, load_module=True):
        self.root = tempfile.mkdtemp(prefix="mab-httpd-")
        os.chmod(self.root, 0o755)
        self.port = free_port()
        self.proc = None
        for d in ("run", "logs", "htdocs", "cgi", "conf"):
            os.makedirs(os.path.join(self.root, d))
            os.chmod(os.path.join(self.root, d), 0o755)
        self.write("htdocs/index.html", "<p>hello</p>\n")
        self.write("htdocs/data.json", '{"ok":true}\n')
        self.write("cgi/env", ENV_CGI, mode=0o755)
        for name, text in (files or {}).items():
            self.write(name, text)
        mods = [m for m in BASE_MODULES + list(modules)]
        loads = "".join("LoadModule %s_module %s/mod_%s.so\n" % (m, MODDIR, m)
                        for m in dict.fromkeys(mods))
        if load_module:
            loads += "LoadModule auth_backend_module %s\n" % module
        user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
        text = loads + BASE_CONF + conf
        for k, v in (("@ROOT@", self.root), ("@PORT@", str(self.port)),
                     ("@MODULE@", module), ("@USER@", user),
                     ("@LOGLEVEL@", loglevel)):
            text = text.replace(k, v)
        self.conf_path = os.path.join(self.root, "conf", "httpd.conf")
        self.write("conf/httpd.conf", text)

    def path(self, name):
        return os.path.join(self.root, name)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w" if isinstance(text, str) else "wb") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def check(self):
        """`apache2 -t` on this configuration."""
        return subprocess.run([APACHE2, "-d", self.root, "-f", self.conf_path,
                               "-t"], capture_output=True, text=True,
                              timeout=60, env=httpd_env())

    def start(self, timeout=15):
        out = open(self.path("logs/stdout"), "w")
        self.proc = subprocess.Popen(
            [APACHE2, "-d", self.root, "-f", self.conf_path, "-DFOREGROUND"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=httpd_env())
        out.close()

        def answers():
            if self.proc.poll() is not None:
                raise RuntimeError("httpd exited with %s:\n%s\n%s" % (
                    self.proc.returncode, self.read("logs/stdout"),
                    self.error_log()))
            session().get(self.url("/index.html"), timeout=1)
            return True

        try:
            wait_until(answers, timeout, 0.05, "httpd to answer",
                       ignore=requests.RequestException)
        except AssertionError:
            self.stop()
            raise RuntimeError("httpd did not answer in %ss" % timeout)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        reports = self.sanitizer_reports()
        if not os.environ.get("KEEP_HTTPD") and not reports:
            shutil.rmtree(self.root, ignore_errors=True)
        if reports:
            raise AssertionError("sanitizer report in %s:\n%s"
                                 % (self.root, reports))

    def sanitizer_reports(self):
        text = self.error_log() + self.read("logs/stdout")
        found = [line for line in text.splitlines()
                 if any(s in line for s in SANITIZER_REPORTS)]
        return "\n".join(found[:20])

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def read(self, name):
        try:
            with open(self.path(name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def error_log(self):
        return self.read("logs/error_log")

    def log_mark(self):
        """Position in the error log; pass to log_since()."""
        return len(self.error_log())

    def log_since(self, mark, wait_for=None, timeout=3):
        """Error-log text written after MARK; with WAIT_FOR, waits until
        that text shows up (httpd writes the log asynchronously from the
        client's point of view)."""
        if wait_for is None:
            return self.error_log()[mark:]
        seen = [""]

        def shows_up():
            seen[0] = self.error_log()[mark:]
            return wait_for in seen[0]

        try:
            wait_until(shows_up, timeout, 0.05, repr(wait_for))
        except AssertionError:
            pass                # the caller judges the text it gets
        return seen[0]
