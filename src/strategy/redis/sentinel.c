/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * sentinel.c — where is the master?  Asks the sentinels of a
 * redis-sentinel:// URL in turn (SENTINEL get-master-addr-by-name), as the
 * Sentinel client guidelines describe: the sentinel that answered is asked
 * first next time.  hiredis has no Sentinel support of its own.
 */

#include "strategy/redis/redis.h"

#include "apr_lib.h"
#include "apr_strings.h"

/* The address in a get-master-addr-by-name reply, checked: it is used to
 * connect and shows up in log lines. */
static int master_from_reply(apr_pool_t *p, const redisReply *reply,
                             redis_addr *master)
{
    const redisReply *host, *port;
    apr_size_t i;
    char *end;
    long n;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        return 0;
    }
    host = reply->element[0];
    port = reply->element[1];
    if (host->type != REDIS_REPLY_STRING || port->type != REDIS_REPLY_STRING
        || host->len == 0 || host->len > 255 || port->len == 0) {
        return 0;
    }
    for (i = 0; i < host->len; i++) {
        if (!apr_isgraph(host->str[i])) {
            return 0;
        }
    }
    n = strtol(port->str, &end, 10);
    if (*end || n < 1 || n > 65535) {
        return 0;
    }
    master->host = apr_pstrmemdup(p, host->str, host->len);
    master->port = (int)n;
    master->path = NULL;
    return 1;
}

/* Asks one sentinel; NULL on success, else why not. */
static const char *ask(apr_pool_t *p, const redis_addr *sentinel,
                       const redis_url *url, const redis_login *login,
                       apr_time_t until, redis_addr *master,
                       redis_failure *f)
{
    const char *argv[] = { "SENTINEL", "get-master-addr-by-name",
                           url->master_name };
    redisContext *c = redis_open(p, sentinel, login, until, f);
    redisReply *reply;
    const char *why = NULL;

    if (!c) {
        return f->cause;
    }
    reply = redis_call(p, c, 3, argv, NULL, until, f);
    if (!reply) {
        why = f->cause;
    }
    else if (reply->type == REDIS_REPLY_NIL) {
        why = apr_psprintf(p, "it does not know master '%s'",
                           url->master_name);
    }
    else if (!master_from_reply(p, reply, master)) {
        why = apr_psprintf(p, "it answered %s", redis_error_code(p, reply));
    }
    if (reply) {
        freeReplyObject(reply);
    }
    redisFree(c);
    return why;
}

int redis_sentinel_master(apr_pool_t *p, const redis_url *url,
                          const redis_login *sentinel_login, int *first,
                          apr_time_t deadline, redis_addr *master,
                          redis_failure *f)
{
    int n = url->sentinels->nelts, i;
    const char *causes = "";

    for (i = 0; i < n; i++) {
        int idx = (*first + i) % n;
        const redis_addr *s = &APR_ARRAY_IDX(url->sentinels, idx, redis_addr);
        apr_time_t now = apr_time_now();
        /* a fair share of what is left: one frozen sentinel must not use
         * up the time of the others */
        apr_time_t until = now >= deadline ? deadline
                                            : now + (deadline - now) / (n - i);
        const char *why = ask(p, s, url, sentinel_login, until, master, f);

        if (!why) {
            *first = idx;
            f->kind = REDIS_FAIL_NONE;
            return 1;
        }
        causes = apr_psprintf(p, "%s%ssentinel %s: %s", causes,
                              *causes ? "; " : "", redis_addr_text(p, s), why);
    }
    f->kind = apr_time_now() >= deadline ? REDIS_FAIL_TIMEOUT
                                         : REDIS_FAIL_BROKEN;
    f->cause = apr_psprintf(p, "no sentinel gave the master's address (%s)",
                            causes);
    return 0;
}
