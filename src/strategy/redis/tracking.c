/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * tracking.c — the cache= option of the redis strategy: a per-child
 * cache of token lookups that Redis itself keeps honest (server-assisted
 * client-side caching, Redis 6 and later).
 *
 * One connection per child runs CLIENT TRACKING on REDIRECT <its own id>
 * BCAST PREFIX <prefix> and subscribes to __redis__:invalidate: from then
 * on Redis sends it the name of every key under the prefix that anyone
 * writes, deletes or expires, and a nil for a flush.  Redis sends these
 * broadcasts in the same turn of its event loop as the reply of the
 * command that caused them, so when a logout's DEL has been answered the
 * invalidation is already in this socket.  Every lookup first drains the
 * socket (a non-blocking recv) and applies what came, so a deleted token
 * is forgotten before the next request can use it.
 *
 * What can go wrong, and what happens:
 *  - the connection breaks (EOF, reset, a protocol error): every entry is
 *    forgotten, and the cache serves nothing until a new subscription is
 *    up;
 *  - the invalidations come late (a slow or silent link, a busy Redis):
 *    a PING goes out every LAG/4 at most (cache-lag=), and hits are
 *    served only while the last PONG answers a PING sent less than LAG
 *    ago.  The PONG comes on the same stream after every invalidation
 *    Redis queued before it read the PING, so a key deleted anywhere
 *    more than LAG ago is never served.  A PING unanswered after LAG (a
 *    second at least) breaks the connection;
 *  - a logout through another child of this server: its invalidation may
 *    be late too, so the logout also moves a counter in shared memory
 *    (REVOKED), and a child that sees it moved empties its cache;
 *  - a lookup races a write: an answer is cached only when no invalidation
 *    and no reconnection came between the GET and the insert (the ticket);
 *  - the key expires: an entry never outlives the key's PTTL.
 * The subscription is made by the request that finds it missing, after
 * that request's own lookup and within what is left of its timeout=,
 * outside the mutex (no I/O waits under it, as in pool.c); at most
 * once a second after a failure, and once a minute when Redis refused one
 * of its commands (Redis 5, an ACL without the rights).
 */

#include "common/common.h"
#include "strategy/redis/redis.h"

#include "apr_atomic.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <errno.h>
#include <sys/socket.h>

#define MIN_DEAD        apr_time_from_sec(1)
#define RETRY_BROKEN    apr_time_from_sec(1)
#define RETRY_REFUSED   apr_time_from_sec(60)
#define NO_TTL_MAX      60.0        /* seconds, for a key without expiry */
#define CHANNEL         "__redis__:invalidate"

typedef enum { TRACK_DOWN, TRACK_CONNECTING, TRACK_UP } track_state;

struct redis_tracking {
    const redis_target *target;
    const char *prefix;
    apr_size_t prefix_len;
    token_cache *cache;
    apr_interval_time_t lag;        /* cache-lag= */
    apr_interval_time_t dead;       /* a PING unanswered for this long */
    const char *dead_why;
    apr_uint32_t *revoked;          /* shared with the other children */
    apr_thread_mutex_t *mutex;
    /* all below under the mutex */
    track_state state;
    redisContext *ctx;              /* the subscription, when UP */
    apr_uint64_t seq;               /* moves on with every invalidation
                                     * and every (re)connection */
    apr_time_t retry_at;            /* DOWN: no new subscription before */
    apr_time_t confirmed;           /* the last PONG answers a PING sent then */
    apr_time_t ping_sent;           /* the PING in flight, or 0 */
    apr_uint32_t revoked_seen;      /* *REVOKED when the cache last
                                     * followed it */
};

static apr_status_t tracking_cleanup(void *data)
{
    redis_tracking *tr = data;

    if (tr->ctx) {
        redisFree(tr->ctx);
        tr->ctx = NULL;
    }
    return APR_SUCCESS;
}

redis_tracking *redis_tracking_create(apr_pool_t *pchild,
                                      const redis_target *t,
                                      const char *prefix,
                                      unsigned int nslots,
                                      apr_interval_time_t lag,
                                      apr_uint32_t *revoked)
{
    redis_tracking *tr = apr_pcalloc(pchild, sizeof(*tr));

    if (apr_thread_mutex_create(&tr->mutex, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS
        || !(tr->cache = token_cache_create(pchild, nslots))) {
        return NULL;
    }
    tr->target = t;
    tr->prefix = prefix;
    tr->prefix_len = strlen(prefix);
    tr->lag = lag;
    tr->dead = lag > MIN_DEAD ? lag : MIN_DEAD;
    tr->dead_why = tr->dead == MIN_DEAD ? "no answer to PING within a second"
        : apr_psprintf(pchild, "no answer to PING within %" APR_INT64_T_FMT
                       " ms", (apr_int64_t)apr_time_as_msec(tr->dead));
    tr->revoked = revoked;
    tr->revoked_seen = revoked ? apr_atomic_read32(revoked) : 0;
    tr->state = TRACK_DOWN;
    apr_pool_cleanup_register(pchild, tr, tracking_cleanup,
                              apr_pool_cleanup_null);
    return tr;
}

/* ---- the subscription ------------------------------------------------------ */

static redisContext *subscribe(redis_tracking *tr, apr_pool_t *p,
                               apr_time_t deadline, redis_failure *f)
{
    const redis_target *t = tr->target;
    const char *id[] = { "CLIENT", "ID" };
    /* BCAST: whichever pooled connection read a key, the subscription
     * hears of its change */
    const char *track[] = { "CLIENT", "TRACKING", "on", "REDIRECT", NULL,
                            "BCAST", "PREFIX", tr->prefix };
    const char *sub[] = { "SUBSCRIBE", CHANNEL };
    redisContext *c;
    redisReply *reply;

    if (!(c = redis_open(p, &t->url->server, &t->login, deadline, f))) {
        return NULL;
    }
    if (!(reply = redis_expect(p, c, 2, id, "CLIENT ID", REDIS_REPLY_INTEGER,
                               deadline, f))) {
        goto failed;
    }
    track[4] = apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)reply->integer);
    freeReplyObject(reply);
    if (!(reply = redis_expect(p, c, 8, track, "CLIENT TRACKING",
                               REDIS_REPLY_STATUS, deadline, f))) {
        goto failed;
    }
    freeReplyObject(reply);
    if (!(reply = redis_expect(p, c, 2, sub, "SUBSCRIBE", REDIS_REPLY_ARRAY,
                               deadline, f))) {
        goto failed;
    }
    freeReplyObject(reply);
    return c;

failed:
    redisFree(c);
    return NULL;
}

/* Under the mutex: nothing cached can be trusted any more. */
static void go_down(redis_tracking *tr, apr_time_t retry_after)
{
    if (tr->ctx) {
        redisFree(tr->ctx);
        tr->ctx = NULL;
    }
    tr->state = TRACK_DOWN;
    tr->retry_at = apr_time_now() + retry_after;
    tr->ping_sent = 0;
    tr->seq++;
    token_cache_clear(tr->cache);
}

/* From the request that found no subscription, after its own lookup; the
 * state is CONNECTING meanwhile, so no other thread tries too. */
void redis_tracking_subscribe(redis_tracking *tr, request_rec *r,
                              const char *backend, apr_time_t deadline)
{
    apr_time_t start = apr_time_now();
    redis_failure f = { REDIS_FAIL_NONE, NULL };
    redisContext *c;

    if (start >= deadline) {
        /* the lookup used the request's time up: another request will */
        apr_thread_mutex_lock(tr->mutex);
        go_down(tr, RETRY_BROKEN);
        apr_thread_mutex_unlock(tr->mutex);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "backend '%s': no time "
                      "left to subscribe to the invalidations", backend);
        return;
    }
    c = subscribe(tr, r->pool, deadline, &f);

    apr_thread_mutex_lock(tr->mutex);
    if (c) {
        tr->ctx = c;
        tr->state = TRACK_UP;
        tr->seq++;
        tr->confirmed = start;
        tr->ping_sent = 0;
    }
    else {
        go_down(tr, f.kind == REDIS_FAIL_REPLY ? RETRY_REFUSED : RETRY_BROKEN);
    }
    apr_thread_mutex_unlock(tr->mutex);

    if (c) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "backend '%s': token "
                      "cache on: %s sends its invalidations (CLIENT "
                      "TRACKING)", backend, tr->target->url->redacted);
    }
    else {
        ap_log_rerror(APLOG_MARK,
                      f.kind == REDIS_FAIL_REPLY ? APLOG_ERR : APLOG_WARNING,
                      0, r, "backend '%s': token cache off, every token is "
                      "looked up in %s: cannot subscribe to its "
                      "invalidations: %s%s", backend,
                      tr->target->url->redacted, f.cause,
                      f.kind == REDIS_FAIL_REPLY
                      ? " (the cache needs Redis 6 or later, and the rights "
                        "the README lists); trying again in a minute" : "");
    }
}

/* ---- what comes in --------------------------------------------------------- */

static int is_string(const redisReply *e, const char *s)
{
    return (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS)
           && e->len == strlen(s) && !memcmp(e->str, s, e->len);
}

/* One push of the subscription; 0 for something it never sends. */
static int apply(redis_tracking *tr, const redisReply *m)
{
    const redisReply *payload;
    size_t i;

    if (m->type != REDIS_REPLY_ARRAY || m->elements < 2) {
        return 0;
    }
    if (is_string(m->element[0], "pong")) {
        if (tr->ping_sent) {
            tr->confirmed = tr->ping_sent;
            tr->ping_sent = 0;
        }
        return 1;
    }
    if (!is_string(m->element[0], "message") || m->elements != 3) {
        return is_string(m->element[0], "subscribe");
    }
    tr->seq++;
    payload = m->element[2];
    if (payload->type == REDIS_REPLY_NIL) {            /* FLUSHDB, FLUSHALL */
        token_cache_clear(tr->cache);
        return 1;
    }
    if (payload->type != REDIS_REPLY_ARRAY) {
        return 0;
    }
    for (i = 0; i < payload->elements; i++) {
        const redisReply *key = payload->element[i];
        if (key->type == REDIS_REPLY_STRING && key->len > tr->prefix_len
            && !memcmp(key->str, tr->prefix, tr->prefix_len)) {
            token_cache_forget(tr->cache, key->str + tr->prefix_len,
                               key->len - tr->prefix_len);
        }
    }
    return 1;
}

/* Under the mutex, UP: reads whatever has arrived, without waiting, and
 * applies it.  NULL, or why the subscription is broken. */
static const char *drain(redis_tracking *tr)
{
    char buf[4096];
    void *reply;

    for (;;) {
        ssize_t n = recv(tr->ctx->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            if (redisReaderFeed(tr->ctx->reader, buf, (size_t)n) != REDIS_OK) {
                return "out of memory";
            }
            continue;
        }
        if (n == 0) {
            return "Redis closed the connection";
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        }
        return "the connection failed";
    }
    for (;;) {
        if (redisReaderGetReply(tr->ctx->reader, &reply) != REDIS_OK) {
            return "Redis sent something that is not RESP";
        }
        if (!reply) {
            return NULL;
        }
        if (!apply(tr, reply)) {
            freeReplyObject(reply);
            return "Redis sent something that is not an invalidation";
        }
        freeReplyObject(reply);
    }
}

/* Under the mutex, UP: a PING now and then proves the connection alive
 * and the invalidations read up to when it was sent. */
static const char *heartbeat(redis_tracking *tr, apr_time_t now)
{
    static const char ping[] = "*1\r\n$4\r\nPING\r\n";

    if (tr->ping_sent) {
        return now - tr->ping_sent > tr->dead ? tr->dead_why : NULL;
    }
    if (now - tr->confirmed > tr->lag / 4) {
        if (send(tr->ctx->fd, ping, sizeof(ping) - 1,
                 MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(sizeof(ping) - 1)) {
            return "cannot send PING";
        }
        tr->ping_sent = now;
    }
    return NULL;
}

/* Under the mutex: brings the state up to date.  NULL or why it broke. */
static const char *refresh(redis_tracking *tr, apr_time_t now)
{
    const char *broken = NULL;
    apr_uint32_t revoked = tr->revoked ? apr_atomic_read32(tr->revoked) : 0;

    if (revoked != tr->revoked_seen) {
        /* a logout through another child: whatever it was, forget it */
        tr->revoked_seen = revoked;
        tr->seq++;
        token_cache_clear(tr->cache);
    }
    if (tr->state == TRACK_UP
        && ((broken = drain(tr)) || (broken = heartbeat(tr, now)))) {
        go_down(tr, RETRY_BROKEN);
    }
    return broken;
}

/* ---- the strategy's calls -------------------------------------------------- */

/* Outside the mutex: logging may wait on the error log. */
static void log_broken(const redis_tracking *tr, request_rec *r,
                       const char *backend, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "backend '%s': token "
                  "cache emptied: the subscription to the invalidations of "
                  "%s broke: %s", backend, tr->target->url->redacted, why);
}

int redis_tracking_get(redis_tracking *tr, request_rec *r,
                       const char *backend, const char *token,
                       const char **user, apr_uint64_t *ticket,
                       int *subscribe)
{
    apr_time_t now = apr_time_now();
    const char *broken, *claims;
    int trusted, connect = 0;

    apr_thread_mutex_lock(tr->mutex);
    broken = refresh(tr, now);
    if (tr->state == TRACK_DOWN && now >= tr->retry_at) {
        tr->state = TRACK_CONNECTING;
        connect = 1;
    }
    trusted = tr->state == TRACK_UP && now - tr->confirmed < tr->lag;
    *ticket = tr->state == TRACK_UP ? tr->seq : 0;
    apr_thread_mutex_unlock(tr->mutex);

    if (broken) {
        log_broken(tr, r, backend, broken);
    }
    if (connect) {
        *subscribe = 1;
        return 0;
    }
    return trusted && token_cache_get(tr->cache, NULL, token,
                                      (double)now / APR_USEC_PER_SEC,
                                      r->pool, user, &claims);
}

void redis_tracking_put(redis_tracking *tr, request_rec *r,
                        const char *backend, const char *token,
                        const char *user, apr_time_t asked,
                        long long pttl_ms, apr_uint64_t ticket)
{
    double until = (double)asked / APR_USEC_PER_SEC;
    const char *broken = NULL;

    if (pttl_ms == -1) {
        until += NO_TTL_MAX;
    }
    else if (pttl_ms > 0) {
        until += (double)pttl_ms / 1000.0;
    }
    else {
        return;                         /* gone, or about to be */
    }
    apr_thread_mutex_lock(tr->mutex);
    /* whatever came since the GET may concern this token */
    if (tr->state == TRACK_UP && tr->seq == ticket
        && !(broken = refresh(tr, apr_time_now())) && tr->seq == ticket) {
        token_cache_put(tr->cache, NULL, token, until, user, "");
    }
    apr_thread_mutex_unlock(tr->mutex);
    if (broken) {
        log_broken(tr, r, backend, broken);
    }
}

void redis_tracking_forget(redis_tracking *tr, const char *token)
{
    apr_thread_mutex_lock(tr->mutex);
    tr->seq++;                  /* a GET in flight must not bring it back */
    token_cache_forget(tr->cache, token, strlen(token));
    if (tr->revoked) {
        /* after the DEL, so that another child's GET made before it cannot
         * be cached after the others saw the counter move; this child
         * keeps its cache unless another logout came in between */
        apr_uint32_t before = apr_atomic_inc32(tr->revoked);
        if (before == tr->revoked_seen) {
            tr->revoked_seen = before + 1;
        }
    }
    apr_thread_mutex_unlock(tr->mutex);
}
