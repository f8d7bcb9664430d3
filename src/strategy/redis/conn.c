/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * conn.c — one hiredis connection, every step of it bounded by a
 * deadline.  hiredis 0.14's connect timeout covers the connect only, and
 * without a socket timeout a frozen server blocks a command forever
 * (reference/toolchain.md): so the socket timeout is set again before each
 * command to what is left of the caller's budget, and a new connection is
 * opened rather than redisReconnect()ed, which would drop that timeout.
 */

#include "strategy/redis/redis.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include <errno.h>

/* What is left until DEADLINE, or 0 when nothing is. */
static int time_left(apr_time_t deadline, struct timeval *tv)
{
    apr_interval_time_t left = deadline - apr_time_now();

    if (left <= 0) {
        return 0;
    }
    tv->tv_sec = (time_t)apr_time_sec(left);
    tv->tv_usec = (suseconds_t)apr_time_usec(left);
    return 1;
}

static void fail(redis_failure *f, redis_fail_kind kind, const char *cause)
{
    f->kind = kind;
    f->cause = cause;
}

/* A socket timeout shows as EAGAIN, a connect timeout as ETIMEDOUT; the
 * clock settles it when errno was not kept. */
static redis_fail_kind io_failure(const redisContext *c, int err,
                                  apr_time_t deadline)
{
    if (c->err == REDIS_ERR_IO
        && (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT
            || apr_time_now() >= deadline)) {
        return REDIS_FAIL_TIMEOUT;
    }
    return REDIS_FAIL_BROKEN;
}

const char *redis_error_code(apr_pool_t *p, const redisReply *reply)
{
    apr_size_t n = 0;

    if (reply->type != REDIS_REPLY_ERROR || !reply->str) {
        return "an unexpected reply";
    }
    while (n < reply->len && n < 32 && apr_isupper(reply->str[n])) {
        n++;
    }
    return n ? apr_pstrmemdup(p, reply->str, n) : "an error";
}

redisReply *redis_call(apr_pool_t *p, redisContext *c, int argc,
                       const char **argv, const size_t *lens,
                       apr_time_t deadline, redis_failure *f)
{
    struct timeval tv;
    redisReply *reply;
    int err;

    if (!time_left(deadline, &tv)) {
        fail(f, REDIS_FAIL_TIMEOUT, "no time left (timeout=)");
        return NULL;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK) {
        fail(f, REDIS_FAIL_BROKEN, apr_pstrdup(p, c->errstr));
        return NULL;
    }
    errno = 0;
    reply = redisCommandArgv(c, argc, argv, lens);
    err = errno;
    if (!reply) {
        redis_fail_kind kind = io_failure(c, err, deadline);
        fail(f, kind, kind == REDIS_FAIL_TIMEOUT
                      ? "no answer within the timeout"
                      : apr_pstrdup(p, c->err ? c->errstr : "no reply"));
        return NULL;
    }
    if (reply->type == REDIS_REPLY_ERROR && reply->str
        && !strncmp(reply->str, "READONLY", 8)) {
        freeReplyObject(reply);
        fail(f, REDIS_FAIL_NOT_MASTER, "it is a read-only replica (READONLY)");
        return NULL;
    }
    return reply;
}

redisReply *redis_expect(apr_pool_t *p, redisContext *c, int argc,
                         const char **argv, const char *what, int type,
                         apr_time_t deadline, redis_failure *f)
{
    redisReply *reply = redis_call(p, c, argc, argv, NULL, deadline, f);

    if (reply && reply->type != type) {
        fail(f, REDIS_FAIL_REPLY, apr_psprintf(p, "%s was refused (%s)", what,
                                               redis_error_code(p, reply)));
        freeReplyObject(reply);
        return NULL;
    }
    return reply;
}

/* A handshake command that must answer +OK. */
static int expect_ok(apr_pool_t *p, redisContext *c, int argc,
                     const char **argv, apr_time_t deadline,
                     redis_failure *f)
{
    redisReply *reply = redis_expect(p, c, argc, argv, argv[0],
                                     REDIS_REPLY_STATUS, deadline, f);
    int ok;

    if (!reply) {
        return 0;
    }
    if (!(ok = !strcmp(reply->str, "OK"))) {
        fail(f, REDIS_FAIL_REPLY, apr_psprintf(p, "%s was refused", argv[0]));
    }
    freeReplyObject(reply);
    return ok;
}

/* Sentinel's answer can lag behind a failover: ask the server itself. */
static int is_master(apr_pool_t *p, redisContext *c, apr_time_t deadline,
                     redis_failure *f)
{
    const char *argv[] = { "ROLE" };
    redisReply *reply = redis_expect(p, c, 1, argv, "ROLE",
                                     REDIS_REPLY_ARRAY, deadline, f);
    int master;

    if (!reply) {
        return 0;
    }
    if (reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_STRING) {
        fail(f, REDIS_FAIL_REPLY, "ROLE answered something unexpected");
        freeReplyObject(reply);
        return 0;
    }
    master = !strcmp(reply->element[0]->str, "master");
    if (!master) {
        fail(f, REDIS_FAIL_NOT_MASTER, "it is not the master (ROLE)");
    }
    freeReplyObject(reply);
    return master;
}

redisContext *redis_open(apr_pool_t *p, const redis_addr *a,
                         const redis_login *login, apr_time_t deadline,
                         redis_failure *f)
{
    struct timeval tv;
    redisContext *c;
    int err;

    if (!time_left(deadline, &tv)) {
        fail(f, REDIS_FAIL_TIMEOUT, "no time left to connect (timeout=)");
        return NULL;
    }
    errno = 0;
    c = a->host ? redisConnectWithTimeout(a->host, a->port, tv)
                : redisConnectUnixWithTimeout(a->path, tv);
    err = errno;
    if (!c) {
        fail(f, REDIS_FAIL_BROKEN, "cannot allocate a connection");
        return NULL;
    }
    if (c->err) {
        redis_fail_kind kind = io_failure(c, err, deadline);
        fail(f, kind, kind == REDIS_FAIL_TIMEOUT
                      ? "cannot connect within the timeout"
                      : apr_psprintf(p, "cannot connect: %s", c->errstr));
        redisFree(c);
        return NULL;
    }
    /* TCP keepalive finds a peer that vanished without a FIN (a dead
     * host, a dropped NAT entry) while the connection sits in the pool. */
    if (a->host && redisEnableKeepAlive(c) != REDIS_OK) {
        fail(f, REDIS_FAIL_BROKEN, apr_psprintf(p, "cannot enable TCP "
                                                "keepalive: %s", c->errstr));
        redisFree(c);
        return NULL;
    }
    if (login->password) {
        const char *auth[] = { "AUTH", login->user, login->password };
        if (!login->user) {
            auth[1] = login->password;
        }
        if (!expect_ok(p, c, login->user ? 3 : 2, auth, deadline, f)) {
            redisFree(c);
            return NULL;
        }
    }
    if (login->db) {
        const char *select[] = { "SELECT", apr_itoa(p, login->db) };
        if (!expect_ok(p, c, 2, select, deadline, f)) {
            redisFree(c);
            return NULL;
        }
    }
    if (login->require_master && !is_master(p, c, deadline, f)) {
        redisFree(c);
        return NULL;
    }
    return c;
}
