import os
import subprocess
import sys

import pytest

# the helpers (harness, servers, tokens, the config builder) live in t/lib;
# the tests import them by their plain names
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))

from echo_server import EchoServer  # noqa: E402
from harness import Httpd, MODULE, free_port  # noqa: E402


def pytest_sessionstart(session):
    if not os.path.exists(MODULE):
        raise pytest.UsageError(
            "module not built: %s (run scripts/test.sh)" % MODULE)


@pytest.fixture(scope="session")
def keydir(tmp_path_factory):
    """RSA and EC key pairs made by openssl for this run."""
    d = tmp_path_factory.mktemp("keys")
    os.chmod(d, 0o755)

    def gen(name, *algo):
        priv, pub = d / (name + ".key"), d / (name + ".pub")
        subprocess.run(["openssl", "genpkey", *algo, "-out", str(priv)],
                       check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", str(priv), "-pubout",
                        "-out", str(pub)], check=True, capture_output=True)
        # private keys are root-only, as on a real server: httpd must read
        # them while parsing its configuration, before it drops privileges
        os.chmod(priv, 0o600)
        os.chmod(pub, 0o644)

    gen("rsa", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    gen("rsa2", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    gen("ec256", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    gen("ec384", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384")
    gen("ec521", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521")
    return d


@pytest.fixture(scope="module")
def upstream():
    """A loopback echo server that proxied locations of a module's httpd
    forward to: it answers with the request it received."""
    server = EchoServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def httpd_factory():
    """Starts Httpd instances and stops them all when the module is done."""
    started = []

    def make(conf, start=True, **kw):
        h = Httpd(conf, **kw)
        started.append(h)
        return h.start() if start else h

    yield make
    for h in started:
        h.cleanup()


@pytest.fixture
def httpd_config():
    """Httpd instances used only for `apache2 -t`, removed after the test."""
    made = []

    def make(conf, **kw):
        h = Httpd(conf, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        h.cleanup()


@pytest.fixture
def make(httpd_config, keydir):
    """make(conf, files=None) -> Httpd with a 0600 secret file in its root,
    for the configuration-error tests (apache2 -t).

    @KEYS@ in CONF is the directory of the session's openssl keys."""

    def _make(conf, **kw):
        h = httpd_config(conf.replace("@KEYS@", str(keydir)), **kw)
        h.write("secret", "x" * 40, mode=0o600)
        return h

    return _make
