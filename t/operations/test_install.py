"""Building and installing the way README's "Build and install" says, in a
copy of the source tree:

- an in-tree build (autoreconf -fi && ./configure && make) and the
  scripts' build in _build/ (scripts/build.sh, run by demo.sh and test.sh)
  coexist: each builds, and neither undoes the other;
- make uninstall removes what make install put there, the module too;
- the release tarball (make dist) holds every file of the repository and
  no build output, so an unpacked one runs the scripts like a clone;
- make distcheck passes.

Each step is a real build (several minutes in all).
"""

import os
import subprocess
import tarfile

import pytest

from harness import PRELOAD, REPO

JOBS = "-j2"

# They build the module from source themselves and never load the build
# under test: the sanitizer pass (scripts/sanitize.sh) would only repeat
# several minutes of builds.
pytestmark = pytest.mark.skipif(
    bool(PRELOAD), reason="builds from source: run by the normal pass only")


def run(cmd, cwd, **kw):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, **kw)
    assert p.returncode == 0, "%s in %s: rc %d\n%s\n%s" % (
        cmd, cwd, p.returncode, p.stdout[-3000:], p.stderr[-3000:])
    return p


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of the source tree (what a clone has, plus the autotools
    output a tarball has), configured and built in place."""
    d = tmp_path_factory.mktemp("install")
    view = d / "tree"
    run(["scripts/tree-view.sh", str(view)], REPO)
    src = d / "src"
    run(["cp", "-RLp", str(view), str(src)], d)
    run(["autoreconf", "-fi"], src)
    run(["./configure", "--quiet"], src)
    run(["make", "-s", JOBS], src)
    assert (src / ".libs" / "mod_auth_backend.so").exists()
    return src


def test_scripts_build_beside_an_in_tree_build(tree):
    run(["scripts/build.sh"], tree)
    assert (tree / "_build" / ".libs" / "mod_auth_backend.so").exists()
    # the in-tree build is still configured and built...
    assert (tree / "config.status").exists()
    assert (tree / ".libs" / "mod_auth_backend.so").exists()
    # ...and make there still works, as does build.sh again
    run(["make", "-s", JOBS], tree)
    run(["scripts/build.sh"], tree)
    run(["make", "-s", "-C", "_build", JOBS, "check"], tree)


def test_uninstall_removes_everything_install_put(tree, tmp_path):
    dest = tmp_path / "dest"
    run(["make", "-s", "install", "DESTDIR=%s" % dest], tree)
    installed = sorted(str(p.relative_to(dest)) for p in dest.rglob("*")
                       if not p.is_dir())
    assert any(p.endswith("/mod_auth_backend.so") for p in installed), \
        installed
    assert not any(p.endswith(".la") for p in installed), installed
    assert any(p.endswith("/mod_auth_backend.h") for p in installed), \
        installed
    run(["make", "-s", "uninstall", "DESTDIR=%s" % dest], tree)
    left = [str(p.relative_to(dest)) for p in dest.rglob("*")
            if not p.is_dir()]
    assert left == [], "left after make uninstall: %s" % left


def repository_files():
    if not os.path.isdir(os.path.join(REPO, ".git")) and \
            not os.path.isfile(os.path.join(REPO, ".git")):
        pytest.skip("not a git checkout: nothing to compare the tarball with")
    out = run(["git", "ls-files", "--cached", "--others",
               "--exclude-standard"], REPO).stdout.split("\n")
    return {f for f in out if f and os.path.lexists(os.path.join(REPO, f))}


def test_tarball_is_the_repository(tree):
    files = repository_files()
    # a test run and the unit tests leave files in the tree: not shipped
    run(["make", "-s", JOBS, "check"], tree)
    os.makedirs(tree / "t" / "lib" / "__pycache__", exist_ok=True)
    (tree / "t" / "lib" / "__pycache__" / "harness.cpython-311.pyc") \
        .write_bytes(b"")
    run(["make", "-s", "dist"], tree)
    version = run(["./configure", "--version"], tree).stdout.split()[2]
    top = "mod_auth_backend-%s/" % version
    with tarfile.open(tree / ("mod_auth_backend-%s.tar.gz" % version)) as t:
        shipped = {m.name[len(top):] for m in t.getmembers()
                   if not m.isdir() and m.name.startswith(top)}
    missing = sorted(files - shipped)
    assert missing == [], "not in the tarball: %s" % missing
    generated = {"configure", "Makefile.in", "aclocal.m4"}
    extra = sorted(f for f in shipped - files if f not in generated
                   and not f.startswith(("build-aux/", "m4/")))
    assert extra == [], "in the tarball, not in the repository: %s" % extra


def test_distcheck_in_a_build_directory(tree):
    """From _build/ (configured by scripts/build.sh beside the in-tree
    build): the tarball builds out of tree and read-only, its unit tests
    pass, install and uninstall leave nothing, distclean leaves nothing."""
    run(["scripts/build.sh"], tree)
    run(["make", "-s", "-C", "_build", "distcheck"], tree)
