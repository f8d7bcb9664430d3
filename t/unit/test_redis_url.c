/* Unit tests of src/redis_url.c, the url= option of the redis strategy
 * (TAP output). */

#include "strategy/redis/redis.h"

#include "apr_general.h"
#include "apr_strings.h"

#include "tap.h"

static apr_pool_t *p;

static const char *parse(const char *text, redis_url *u)
{
    return redis_url_parse(p, text, u);
}

static int str_eq(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

/* TEXT is refused, and the message quotes none of SECRET. */
static void refused(const char *text, const char *secret, const char *name)
{
    redis_url u;
    const char *err = parse(text, &u);

    CHECK(err != NULL, name);
    if (err && secret) {
        CHECK(!strstr(err, secret), apr_pstrcat(p, name, ": not quoted",
                                                NULL));
    }
}

static const redis_addr *sentinel(const redis_url *u, int i)
{
    return &APR_ARRAY_IDX(u->sentinels, i, redis_addr);
}

int main(void)
{
    redis_url u;

    apr_initialize();
    apr_pool_create(&p, NULL);

    /* redis:// */
    CHECK(!parse("redis://127.0.0.1", &u) && u.kind == REDIS_URL_TCP
          && str_eq(u.server.host, "127.0.0.1") && u.server.port == 6379
          && u.db == 0 && !u.user && !u.password
          && str_eq(u.redacted, "redis://127.0.0.1:6379/0"),
          "host alone: port 6379, db 0");
    CHECK(!parse("redis://cache.example.com:6380/", &u)
          && str_eq(u.server.host, "cache.example.com")
          && u.server.port == 6380 && u.db == 0, "host:port/");
    CHECK(!parse("REDIS://h:1/15", &u) && u.db == 15 && u.server.port == 1,
          "scheme case-insensitive; db 15");
    CHECK(!parse("redis://[::1]:7000/2", &u) && str_eq(u.server.host, "::1")
          && u.server.port == 7000 && u.db == 2
          && str_eq(u.redacted, "redis://[::1]:7000/2"), "IPv6 literal");
    CHECK(!parse("redis://:s3cret@h/1", &u) && !u.user
          && str_eq(u.password, "s3cret")
          && str_eq(u.redacted, "redis://***@h:6379/1"),
          ":password@ (redacted)");
    CHECK(!parse("redis://app:pa%40ss%2Fw@h:6379/0", &u)
          && str_eq(u.user, "app") && str_eq(u.password, "pa@ss/w")
          && !strstr(u.redacted, "app") && !strstr(u.redacted, "pa"),
          "user:password@, %-decoded, both redacted");
    CHECK(!parse("redis://a:b@c@h", &u) && str_eq(u.password, "b@c")
          && str_eq(u.server.host, "h"), "the last '@' ends the credentials");
    CHECK(!parse("redis://:pa/ss%25@h/2", &u) && str_eq(u.password, "pa/ss%")
          && str_eq(u.server.host, "h") && u.db == 2,
          "'/' in a password needs no escape; %25 is '%'");
    CHECK(!parse("redis://app@h", &u) && str_eq(u.user, "app")
          && !u.password, "user@ without password (given by password=)");
    refused("redis://", NULL, "no host");
    refused("redis://:6379", NULL, "empty host");
    refused("redis://h:0", NULL, "port 0");
    refused("redis://h:65536", NULL, "port 65536");
    refused("redis://h:63a9", NULL, "port not a number");
    refused("redis://h:", NULL, "empty port");
    refused("redis://h/x", NULL, "db not a number");
    refused("redis://h/65536", NULL, "db too large");
    refused("redis://h/0/1", NULL, "extra path");
    refused("redis://h/0?db=1", NULL, "query");
    refused("redis://h o", NULL, "space in host");
    refused("redis://[::1", NULL, "unclosed IPv6");
    refused("redis://[::1]x", NULL, "text after IPv6");
    refused("redis://[zz::1]", NULL, "bad IPv6");
    refused("redis://user:@h", NULL, "empty password after ':'");
    refused("redis://@h", NULL, "empty credentials");
    refused("redis://u:bad%zzpw@h", "bad%zzpw", "bad %-escape");
    refused("redis://u:%00@h", NULL, "NUL in password");
    refused("redis://user:hunter2/h", "hunter2",
            "a forgotten '@' does not leak the password as a port");

    /* unix: */
    CHECK(!parse("unix:/run/redis/redis.sock", &u) && u.kind == REDIS_URL_UNIX
          && !u.server.host && str_eq(u.server.path, "/run/redis/redis.sock")
          && u.db == 0 && str_eq(u.redacted, "unix:/run/redis/redis.sock"),
          "unix socket");
    CHECK(!parse("unix:/tmp/r.sock?db=3", &u) && u.db == 3
          && str_eq(u.server.path, "/tmp/r.sock")
          && str_eq(u.redacted, "unix:/tmp/r.sock?db=3"), "unix ?db=3");
    CHECK(!parse("unix:///tmp/r.sock", &u)
          && str_eq(u.server.path, "/tmp/r.sock"), "unix:///path");
    refused("unix:", NULL, "unix without path");
    refused("unix:relative.sock", NULL, "relative path");
    refused("unix:/tmp/r.sock?database=1", NULL, "unknown query");
    refused("unix:/tmp/r.sock?db=x", NULL, "bad db");
    refused(apr_pstrcat(p, "unix:/", apr_pstrndup(p,
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        120), NULL), NULL, "path too long for sun_path");

    /* redis-sentinel:// */
    CHECK(!parse("redis-sentinel://10.0.0.1:26379,10.0.0.2,[::1]:26380/"
                 "mymaster/4", &u)
          && u.kind == REDIS_URL_SENTINEL && u.sentinels->nelts == 3
          && str_eq(sentinel(&u, 0)->host, "10.0.0.1")
          && sentinel(&u, 0)->port == 26379
          && str_eq(sentinel(&u, 1)->host, "10.0.0.2")
          && sentinel(&u, 1)->port == 26379
          && str_eq(sentinel(&u, 2)->host, "::1")
          && sentinel(&u, 2)->port == 26380
          && str_eq(u.master_name, "mymaster") && u.db == 4
          && str_eq(u.redacted, "redis-sentinel://10.0.0.1:26379,"
                                "10.0.0.2:26379,[::1]:26380/mymaster/4"),
          "three sentinels, default port, master name, db");
    CHECK(!parse("redis-sentinel://:pw@s1:5000/main", &u)
          && str_eq(u.password, "pw") && u.db == 0
          && str_eq(u.redacted, "redis-sentinel://***@s1:5000/main/0"),
          "sentinel URL with a password for the master");
    refused("redis-sentinel://s1:26379", NULL, "no master name");
    refused("redis-sentinel://s1:26379/", NULL, "empty master name");
    refused("redis-sentinel:///mymaster", NULL, "no sentinel");
    refused("redis-sentinel://s1,/mymaster", NULL, "trailing comma");
    refused("redis-sentinel://s1,,s2/mymaster", NULL, "empty sentinel");
    refused("redis-sentinel://s1:x/mymaster", NULL, "bad sentinel port");
    refused("redis-sentinel://s1/my master", NULL, "space in master name");
    refused("redis-sentinel://s1/mymaster/x", NULL, "bad db");

    /* other schemes */
    refused("rediss://h:6379", NULL, "TLS is refused with a reason");
    refused("http://h", NULL, "unknown scheme");
    refused("s3cretpassword", "s3cretpassword", "no scheme, not quoted");
    refused("", NULL, "empty URL");

    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
