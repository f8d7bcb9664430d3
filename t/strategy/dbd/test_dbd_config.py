"""Configuration errors of the dbd strategy fail `apache2 -t` with the file,
the line and why: options are checked while the line is parsed, mod_dbd
and DBDriver by the strategy's check_config (which -t runs too)."""

import pytest

import conf
from conf import vhost
from config_check import (assert_check_error, assert_ok, assert_syntax_error,
                          line_of)

SQLITE = 'DBDriver sqlite3\nDBDParams "@ROOT@/tokens.sqlite"\n'


def backend(strategy="dbd", name="db"):
    return conf.backend(name, strategy)


# id, strategy line, reasons
OPTION_ERRORS = [
    ("table-not-identifier", "dbd table=x;drop",
     ["table must be an SQL identifier"]),
    ("table-quote", 'dbd table=a"b', ["table must be an SQL identifier"]),
    ("table-digit-first", "dbd table=1tokens",
     ["table must be an SQL identifier"]),
    ("table-too-long", "dbd table=" + "t" * 64,
     ["at most 63 characters"]),
    ("lifetime-zero", "dbd lifetime=0", ["lifetime must be a whole number"]),
    ("lifetime-text", "dbd lifetime=1h", ["lifetime must be a whole number"]),
    ("purge-negative", "dbd purge-interval=-1",
     ["purge-interval must be a whole number from 0"]),
    ("create-table-yes", "dbd create-table=yes",
     ["create-table must be on or off"]),
    ("select-no-param", 'dbd "select=SELECT user_id FROM t"',
     ["select= must be an SQL statement with 1 to 2 parameters "
      "(token, not-before)", "it has 0"]),
    ("insert-one-param",
     'dbd "insert=INSERT INTO t (token) VALUES (%s)"',
     ["insert= must be an SQL statement with 2 to 3 parameters "
      "(token, user id, created-at)", "it has 1"]),
    ("delete-two-params",
     'dbd "delete=DELETE FROM t WHERE token = %s OR token = %s"',
     ["delete= must be an SQL statement with 1 parameters (token)",
      "it has 2"]),
    ("blob-param", 'dbd "delete=DELETE FROM t WHERE token = %pDb"',
     ["it has a BLOB/CLOB parameter"]),
    ("cache-negative", "dbd cache=-1",
     ["cache must be a whole number from 0 to 65536"]),
    ("cache-too-large", "dbd cache=65537",
     ["cache must be a whole number from 0 to 65536"]),
    ("cache-text", "dbd cache=on",
     ["cache must be a whole number from 0 to 65536"]),
    ("timeout-zero", "dbd timeout=0",
     ["timeout (milliseconds) must be a whole number from 1 to 60000"]),
    ("timeout-too-long", "dbd timeout=60001",
     ["timeout (milliseconds) must be a whole number from 1 to 60000"]),
    ("timeout-text", "dbd timeout=2s",
     ["timeout (milliseconds) must be a whole number from 1 to 60000"]),
    ("unknown-option", "dbd prefix=x", ["unknown option 'prefix'"]),
    ("option-twice", "dbd table=a table=b",
     ["option 'table' is given more than once"]),
]


@pytest.mark.parametrize("strategy,reasons",
                         [e[1:] for e in OPTION_ERRORS],
                         ids=[e[0] for e in OPTION_ERRORS])
def test_bad_option(httpd_config, strategy, reasons):
    h = httpd_config(SQLITE + backend(strategy), modules=["dbd"])
    assert_syntax_error(h, line_of(h, "AuthBackendStrategy"),
                        "AuthBackendStrategy dbd (backend 'db')", *reasons)


def test_mod_dbd_not_loaded(httpd_config):
    h = httpd_config(backend())
    assert_check_error(h, line_of(h, "<AuthBackend db>"),
                       "<AuthBackend db>: the dbd strategy needs mod_dbd",
                       "LoadModule dbd_module")


def test_no_dbdriver(httpd_config):
    h = httpd_config(backend(), modules=["dbd"])
    assert_check_error(h, line_of(h, "<AuthBackend db>"),
                       "the server configuration has no DBDriver",
                       "'DBDriver sqlite3' (or pgsql) and DBDParams")


def test_no_dbdriver_in_virtual_host(httpd_config):
    # the other virtual host's DBDriver does not count for this one
    h = httpd_config(vhost(backend()) + vhost(SQLITE), modules=["dbd"])
    assert_check_error(h, line_of(h, "<AuthBackend db>"),
                       "this virtual host (nor the main server) has no "
                       "DBDriver")


def test_main_server_backend_needs_main_dbdriver(httpd_config):
    h = httpd_config(backend() + vhost(SQLITE), modules=["dbd"])
    assert_check_error(h, line_of(h, "<AuthBackend db>"),
                       "the server configuration has no DBDriver")


def test_cache_needs_sqlite(httpd_config):
    h = httpd_config('DBDriver pgsql\nDBDParams "host=127.0.0.1 port=1"\n'
                     + backend("dbd cache=1024"), modules=["dbd"])
    assert_check_error(h, line_of(h, "<AuthBackend db>"),
                       "cache= works with DBDriver sqlite3 only",
                       "use cache=0")


def test_timeout_is_for_postgresql(httpd_config):
    h = httpd_config(SQLITE + backend("dbd timeout=500"), modules=["dbd"])
    assert_check_error(h, line_of(h, "<AuthBackend db>"),
                       "timeout= is for DBDriver pgsql",
                       "after about 1.5 s; drop timeout=")


def test_cache_needs_the_built_in_select(httpd_config):
    h = httpd_config(SQLITE + backend('dbd cache=1024 "select=SELECT login '
                                      'FROM s WHERE id = %s"'),
                     modules=["dbd"])
    assert_check_error(h, line_of(h, "<AuthBackend db>"),
                       "cache= works with the built-in select only",
                       "drop select= or cache=")


@pytest.mark.parametrize("params", ["tokens.sqlite", "file:/srv/t.sqlite",
                                    ":memory:"])
def test_cache_needs_an_absolute_path(httpd_config, params):
    h = httpd_config('DBDriver sqlite3\nDBDParams "%s"\n' % params
                     + backend("dbd cache=1024"), modules=["dbd"])
    out = assert_check_error(h, line_of(h, "<AuthBackend db>"),
                             "cache= needs DBDParams to be the SQLite "
                             "file's absolute path")
    assert params not in out


def test_valid_configurations(httpd_config):
    # main server; a virtual host inheriting it; one with its own DBDriver;
    # custom statements with %% and every option
    conf = (SQLITE + backend("dbd table=tokens lifetime=60 create-table=on "
                             "purge-interval=300 cache=4096")
            + vhost(backend("dbd", name="inherits"))
            + vhost('DBDriver pgsql\nDBDParams "host=127.0.0.1 port=1"\n'
                    + backend("dbd create-table=off timeout=1500",
                              name="own"))
            + backend('dbd "select=SELECT login FROM s WHERE id = %s AND '
                      'note LIKE \'50%%\'" "insert=INSERT INTO s (id, '
                      'login) VALUES (%s, %s)" "delete=DELETE FROM s WHERE '
                      'id = %s" "purge=DELETE FROM s WHERE at < %pDz" '
                      'purge-interval=0 cache=0', name="custom"))
    assert_ok(httpd_config(conf, modules=["dbd"]))


def test_purge_needs_no_extra_module(httpd_config):
    # mod_watchdog is compiled into Debian's httpd
    assert_ok(httpd_config(SQLITE + backend("dbd purge-interval=60"),
                           modules=["dbd"]))
