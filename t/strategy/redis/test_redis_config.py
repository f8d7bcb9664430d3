"""Configuration errors of the redis strategy fail `apache2 -t` with the
file, the line and why, and never quote a credential back.  No Redis is
needed: nothing connects at startup."""

import pytest

from config_check import (assert_ok, assert_syntax_error, backend, line_of,
                          location)

PASSWORD = "hunter2-s3cret"

BAD = [
    ("no-url", "redis", ["url= is required"]),
    ("unknown-scheme", "redis url=http://127.0.0.1:6379",
     ["url: unknown scheme"]),
    ("no-scheme", "redis url=127.0.0.1:6379", ["url: unknown scheme"]),
    ("tls", "redis url=rediss://127.0.0.1:6380",
     ["url: rediss:// (TLS) is not supported"]),
    ("bad-port", "redis url=redis://127.0.0.1:99999",
     ["url: a port is not a number from 1 to 65535"]),
    ("bad-host", "redis url=redis://local%host",
     ["url: a host name holds a character"]),
    ("bad-db", "redis url=redis://127.0.0.1:6379/x",
     ["url: the database must be a number from 0 to 65535"]),
    ("unix-relative", "redis url=unix:redis.sock",
     ["url: a unix socket needs an absolute path"]),
    ("unix-query", "redis url=unix:/run/redis.sock?database=1",
     ["url: after the unix socket path only ?db=N"]),
    ("sentinel-no-master", "redis url=redis-sentinel://127.0.0.1:26379",
     ["url: the Sentinel URL names no master"]),
    ("sentinel-empty-master", "redis url=redis-sentinel://127.0.0.1:26379/",
     ["url: the Sentinel URL names no master"]),
    ("sentinel-no-host", "redis url=redis-sentinel:///mymaster",
     ["url: the Sentinel URL lists no sentinel"]),
    ("sentinel-bad-port",
     "redis url=redis-sentinel://127.0.0.1:26379,127.0.0.1:x/mymaster",
     ["url: a port is not a number"]),
    ("timeout-abc", "redis url=redis://h timeout=abc",
     ["timeout (milliseconds) must be a whole number from 1 to 60000",
      "'abc'"]),
    ("timeout-zero", "redis url=redis://h timeout=0",
     ["timeout (milliseconds) must be a whole number from 1 to 60000"]),
    ("timeout-too-long", "redis url=redis://h timeout=60001",
     ["timeout (milliseconds) must be a whole number from 1 to 60000"]),
    ("lifetime-zero", "redis url=redis://h lifetime=0",
     ["lifetime must be a whole number from 1 "]),
    ("prefix-empty", "redis url=redis://h prefix=",
     ["prefix is empty"]),
    ("user-without-password", "redis url=redis://app@h",
     ["a user needs a password"]),
    ("user-option-without-password", "redis url=redis://h user=app",
     ["a user needs a password"]),
    ("user-twice", "redis url=redis://app:x@h user=app",
     ["the user is given twice"]),
    ("password-twice",
     "redis url=redis://:x@h password=file:@ROOT@/secret",
     ["the password is given twice"]),
    ("password-file-missing", "redis url=redis://h password=file:@ROOT@/nope",
     ["password: cannot read"]),
    ("password-env-unset",
     "redis url=redis://h password=env:MAB_NO_SUCH_VARIABLE",
     ["password: environment variable MAB_NO_SUCH_VARIABLE is unset"]),
    ("sentinel-password-without-sentinel",
     "redis url=redis://h sentinel-password=file:@ROOT@/secret",
     ["sentinel-password= is for redis-sentinel:// URLs only"]),
    ("unknown-option", "redis url=redis://h db=2", ["unknown option 'db'"]),
    ("cache-abc", "redis url=redis://h cache=abc",
     ["cache must be a whole number from 0 to 65536", "'abc'"]),
    ("cache-negative", "redis url=redis://h cache=-1",
     ["cache must be a whole number from 0 to 65536"]),
    ("cache-too-big", "redis url=redis://h cache=65537",
     ["cache must be a whole number from 0 to 65536"]),
    ("cache-lag-too-small", "redis url=redis://h cache=64 cache-lag=9",
     ["cache-lag (milliseconds) must be a whole number from 10 to 60000"]),
    ("cache-lag-too-long", "redis url=redis://h cache=64 cache-lag=60001",
     ["cache-lag (milliseconds) must be a whole number from 10 to 60000"]),
    ("cache-lag-abc", "redis url=redis://h cache=64 cache-lag=1s",
     ["cache-lag (milliseconds) must be a whole number from 10 to 60000"]),
    ("cache-with-sentinel",
     "redis url=redis-sentinel://127.0.0.1:26379/mymaster cache=1024",
     ["cache= cannot be used with redis-sentinel:// URLs",
      "invalidations of the new master could be missed", "use cache=0"]),
]


@pytest.mark.parametrize("strategy, reasons", [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_bad_redis_option(make, strategy, reasons):
    h = make(backend(strategy=strategy) + location("/api/", "api"))
    assert_syntax_error(h, line_of(h, "AuthBackendStrategy"),
                        "AuthBackendStrategy redis (backend 'api')", *reasons)


@pytest.mark.parametrize("url", [
    "redis://user:%s@127.0.0.1:99999/0" % PASSWORD,     # bad port
    "redis://user:%s/127.0.0.1" % PASSWORD,             # forgotten '@'
    "redis-sentinel://:%s@127.0.0.1:26379" % PASSWORD,  # no master name
    "redis://:%s@127.0.0.1/x" % PASSWORD,               # bad db
    PASSWORD,                                           # no scheme
])
def test_url_errors_never_quote_the_url(make, url):
    h = make(backend(strategy="redis url=" + url))
    out = assert_syntax_error(h, line_of(h, "AuthBackendStrategy"), "url: ")
    assert PASSWORD not in out


@pytest.mark.parametrize("strategy", [
    "redis url=redis://127.0.0.1",
    "redis url=redis://127.0.0.1:6379/15 prefix=app: lifetime=60 "
    "timeout=2000",
    "redis url=redis://[::1]:6379/0",
    "redis url=redis://app@127.0.0.1 password=file:@ROOT@/secret",
    "redis url=redis://127.0.0.1 user=app password=file:@ROOT@/secret",
    "redis url=unix:/run/redis/redis.sock?db=2",
    "redis url=unix:/run/redis/redis.sock?db=2 cache=65536",
    "redis url=redis://127.0.0.1 cache=0",
    "redis url=redis://127.0.0.1 cache=4096 cache-lag=250",
    "redis url=redis-sentinel://10.0.0.1/mymaster cache=0",
    "redis url=redis-sentinel://10.0.0.1:26379,10.0.0.2,10.0.0.3/mymaster/1 "
    "sentinel-password=file:@ROOT@/secret password=file:@ROOT@/secret",
])
def test_valid_redis_strategy(make, strategy):
    assert_ok(make(backend(strategy=strategy) + location("/api/", "api")))


def test_literal_password_warns_and_is_never_shown(make):
    h = make(backend(strategy="redis url=redis://:%s@127.0.0.1" % PASSWORD))
    out = assert_ok(h)
    assert "url= holds a password written literally" in out
    assert PASSWORD not in out
    h = make(backend(strategy="redis url=redis://127.0.0.1 password="
                     + PASSWORD))
    out = assert_ok(h)
    assert "password is written literally" in out
    assert PASSWORD not in out
