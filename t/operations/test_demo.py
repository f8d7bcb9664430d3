"""scripts/demo.sh on a port that is taken: it says which port and how to
choose another (DEMO_PORT) and stops before building or printing its
instructions, rather than printing them and then httpd's bind error; a
DEMO_PORT that is no port number is refused the same way."""

import os
import socket
import subprocess

from harness import REPO


def demo(port, tmp_path):
    env = dict(os.environ, DEMO_PORT=str(port), DEMO_DIR=str(tmp_path / "d"))
    return subprocess.run([os.path.join(REPO, "scripts", "demo.sh")],
                          env=env, capture_output=True, text=True,
                          timeout=60)


def test_a_taken_port_is_named_with_the_way_out(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = demo(port, tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "port %d on 127.0.0.1 is already in use" % port in p.stderr
    assert "DEMO_PORT=%d " % (port + 1) in p.stderr
    # nothing was started or promised
    assert "demo on http" not in p.stdout
    assert not (tmp_path / "d").exists()


def test_a_port_that_is_no_number_is_refused(tmp_path):
    for bad in ("80a", "0", "65536", ""):
        p = demo(bad, tmp_path)
        assert p.returncode == 2, (bad, p.stdout, p.stderr)
        assert "DEMO_PORT='%s' is not a port number" % bad in p.stderr
