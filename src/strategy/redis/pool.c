/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * pool.c — the Redis connections of one child process, shared by its
 * threads.  A hiredis context is not thread-safe, so a thread takes one
 * out of a mutex-guarded stack for one command and puts it back after; no
 * I/O ever happens under the mutex, so a frozen Redis stalls only the
 * threads that wait on it, each for at most the timeout.
 *
 * hiredis does not reconnect by itself.  The rules here:
 *  - a context that failed (err != 0) is freed, never put back;
 *  - a failure of the connection (closed, reset, timed out, a replica)
 *    makes every idle context suspect: the generation moves on and older
 *    contexts are dropped as they come by (a restarted Redis closed them
 *    all);
 *  - a command is retried once, at once, on a new connection, when the
 *    failed one came from the pool (it may just have gone stale) or, with
 *    Sentinel, when the master's address was not asked for afresh; never
 *    after a timeout (Redis is slow or frozen: a retry would only double
 *    the wait), and never past the deadline, which bounds the whole
 *    operation, retry and Sentinel lookup included.
 */

#include "auth_backend.h"
#include "strategy/redis/redis.h"

#include "ap_mpm.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#define MASTER_HOST_MAX 256

typedef struct {
    redisContext *ctx;
    apr_uint64_t generation;
} pooled;

struct redis_pool {
    const redis_target *target;
    apr_thread_mutex_t *mutex;
    apr_array_header_t *idle;           /* pooled, a stack */
    int max_idle;
    apr_uint64_t generation;
    /* Sentinel: the master as last found (host NULL: ask again), and the
     * sentinel that answered last.  Fixed storage: the child pool must not
     * grow with every failover. */
    redis_addr master;
    char master_host[MASTER_HOST_MAX];
    int sentinel_first;
};

static void lock(redis_pool *pool)
{
    apr_thread_mutex_lock(pool->mutex);
}

static void unlock(redis_pool *pool)
{
    apr_thread_mutex_unlock(pool->mutex);
}

static apr_status_t pool_cleanup(void *data)
{
    redis_pool *pool = data;
    int i;

    lock(pool);
    for (i = 0; i < pool->idle->nelts; i++) {
        redisFree(APR_ARRAY_IDX(pool->idle, i, pooled).ctx);
    }
    pool->idle->nelts = 0;
    unlock(pool);
    return APR_SUCCESS;
}

redis_pool *redis_pool_create(apr_pool_t *pchild, const redis_target *t)
{
    redis_pool *pool = apr_pcalloc(pchild, sizeof(*pool));
    int threads = 1;

    /* more idle connections than threads could never be used at once */
    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS
        || threads < 1) {
        threads = 1;
    }
    if (apr_thread_mutex_create(&pool->mutex, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS) {
        return NULL;
    }
    pool->target = t;
    pool->max_idle = threads;
    pool->idle = apr_array_make(pchild, threads, sizeof(pooled));
    /* registered after the mutex, so it runs before the mutex is gone */
    apr_pool_cleanup_register(pchild, pool, pool_cleanup,
                              apr_pool_cleanup_null);
    return pool;
}

/* An idle connection of the current generation, if any; *WHERE names the
 * master it leads to (Sentinel). */
static int checkout(redis_pool *pool, apr_pool_t *p, pooled *out,
                    const char **where)
{
    int found = 0;

    lock(pool);
    while (!found && pool->idle->nelts) {
        pooled *e = apr_array_pop(pool->idle);
        if (e->generation == pool->generation) {
            *out = *e;
            found = 1;
        }
        else {
            redisFree(e->ctx);
        }
    }
    if (found && pool->master.host) {
        *where = redis_addr_text(p, &pool->master);
    }
    unlock(pool);
    return found;
}

static void checkin(redis_pool *pool, pooled *conn)
{
    lock(pool);
    if (!conn->ctx->err && conn->generation == pool->generation
        && pool->idle->nelts < pool->max_idle) {
        *(pooled *)apr_array_push(pool->idle) = *conn;
        conn->ctx = NULL;
    }
    unlock(pool);
    if (conn->ctx) {
        redisFree(conn->ctx);
    }
}

/* The connections made so far are suspect; with Sentinel, so is the
 * master's address. */
static void invalidate(redis_pool *pool)
{
    lock(pool);
    pool->generation++;
    pool->master.host = NULL;
    unlock(pool);
}

/* The master's address: the one known, or a new one from Sentinel
 * (*ASKED set). */
static int find_master(redis_pool *pool, request_rec *r, const char *backend,
                       apr_uint64_t generation, apr_time_t deadline,
                       redis_addr *addr, int *asked, redis_failure *f)
{
    const redis_target *t = pool->target;
    int first, changed = 0;

    lock(pool);
    if (pool->master.host) {
        addr->host = apr_pstrdup(r->pool, pool->master.host);
        addr->port = pool->master.port;
        addr->path = NULL;
    }
    first = pool->sentinel_first;
    unlock(pool);
    if (addr->host) {
        return 1;
    }

    *asked = 1;
    if (!redis_sentinel_master(r->pool, t->url, &t->sentinel_login, &first,
                               deadline, addr, f)) {
        return 0;
    }
    lock(pool);
    pool->sentinel_first = first;
    /* an answer older than the last failure may be stale: use it for
     * this request only */
    if (pool->generation == generation) {
        /* master_host and the port outlive invalidate(): compare with them */
        changed = pool->master.port != addr->port
                  || strcmp(pool->master_host, addr->host) != 0;
        apr_cpystrn(pool->master_host, addr->host, MASTER_HOST_MAX);
        pool->master.host = pool->master_host;
        pool->master.port = addr->port;
    }
    unlock(pool);
    ap_log_rerror(APLOG_MARK, changed ? APLOG_NOTICE : APLOG_DEBUG, 0, r,
                  "backend '%s': Sentinel names %s as the master of '%s'",
                  backend, redis_addr_text(r->pool, addr),
                  t->url->master_name);
    return 1;
}

/* A new connection, to the master when Sentinel is asked. */
static redisContext *connect_new(redis_pool *pool, request_rec *r,
                                 const char *backend, apr_time_t deadline,
                                 apr_uint64_t *generation, const char **where,
                                 int *asked, redis_failure *f)
{
    const redis_target *t = pool->target;
    redis_addr addr = t->url->server;

    lock(pool);
    *generation = pool->generation;
    unlock(pool);
    if (t->url->kind == REDIS_URL_SENTINEL) {
        memset(&addr, 0, sizeof(addr));
        if (!find_master(pool, r, backend, *generation, deadline, &addr,
                         asked, f)) {
            return NULL;
        }
        *where = redis_addr_text(r->pool, &addr);
    }
    return redis_open(r->pool, &addr, &t->login, deadline, f);
}

redisReply *redis_pool_command(redis_pool *pool, request_rec *r,
                               const char *backend, int argc,
                               const char **argv, const size_t *lens,
                               redis_failure *f)
{
    const redis_target *t = pool->target;
    apr_time_t deadline = apr_time_now() + t->timeout;
    int attempt;

    for (attempt = 0; ; attempt++) {
        pooled conn = { NULL, 0 };
        const char *where = NULL;
        int reused, asked = 0;

        reused = checkout(pool, r->pool, &conn, &where);
        if (!reused) {
            conn.ctx = connect_new(pool, r, backend, deadline,
                                   &conn.generation, &where, &asked, f);
        }
        if (conn.ctx) {
            redisReply *reply = redis_call(r->pool, conn.ctx, argc, argv,
                                           lens, deadline, f);
            if (reply) {
                checkin(pool, &conn);
                return reply;
            }
            redisFree(conn.ctx);
        }
        if (where) {
            f->cause = apr_psprintf(r->pool, "master %s: %s", where,
                                    f->cause);
        }
        if (f->kind == REDIS_FAIL_REPLY) {      /* Redis is there; it said no */
            return NULL;
        }
        invalidate(pool);
        if (attempt > 0 || f->kind == REDIS_FAIL_TIMEOUT
            || apr_time_now() >= deadline
            || !(reused
                 || (t->url->kind == REDIS_URL_SENTINEL && !asked))) {
            return NULL;
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "backend '%s': Redis "
                      "connection failed (%s); trying once more on a new "
                      "one", backend, f->cause);
    }
}
