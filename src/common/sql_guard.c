/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * sql_guard.c — what keeps a PostgreSQL server that does not answer from
 * holding every worker (sql.h says why each part is there): a breaker,
 * lock-free, and a gate in front of mod_dbd's connection pool.  Both are
 * per process; the memory they live in is copied at fork.
 */

#include "common/sql.h"

#include "apr_atomic.h"

#define MIN_HOLD        apr_time_from_sec(1)

const char *sql_guard_init(sql_guard *g, apr_pool_t *p)
{
    memset(g, 0, sizeof(*g));
    /* made in the parent, unlocked at fork: each child has its own */
    if (apr_thread_mutex_create(&g->mutex, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS
        || apr_thread_cond_create(&g->cond, p) != APR_SUCCESS) {
        return "cannot create a mutex for the database connections";
    }
    return NULL;
}

static apr_uint32_t now_ms(void)
{
    return (apr_uint32_t)apr_time_as_msec(apr_time_now());
}

/* The breaker is closed, or it is time to try again and X is the one
 * request that does. */
int sql_guard_allow(sql_call *x)
{
    sql_guard *g = x->guard;

    x->probe = 0;
    if (!g || !apr_atomic_read32(&g->open)) {
        return 1;
    }
    if ((apr_int32_t)(apr_atomic_read32(&g->until) - now_ms()) <= 0
        && apr_atomic_cas32(&g->probing, 1, 0) == 0) {
        x->probe = 1;
        return 1;
    }
    return 0;
}

void sql_guard_done(sql_call *x, int hung)
{
    sql_guard *g = x->guard;
    apr_interval_time_t hold = x->timeout > MIN_HOLD ? x->timeout : MIN_HOLD;

    if (!g) {
        return;
    }
    if (hung) {
        apr_atomic_set32(&g->until, now_ms()
                         + (apr_uint32_t)apr_time_as_msec(hold));
        apr_atomic_set32(&g->open, 1);
    }
    else if (x->probe) {
        apr_atomic_set32(&g->open, 0);
    }
    if (x->probe) {
        apr_atomic_set32(&g->probing, 0);
        x->probe = 0;
    }
}

int sql_guard_enter(sql_call *x)
{
    sql_guard *g = x->guard;
    apr_time_t deadline = apr_time_now() + x->timeout;

    if (!g || !g->mutex) {
        return 1;
    }
    apr_thread_mutex_lock(g->mutex);
    while (g->busy) {
        apr_interval_time_t left = deadline - apr_time_now();

        if (left <= 0) {
            apr_thread_mutex_unlock(g->mutex);
            return 0;
        }
        apr_thread_cond_timedwait(g->cond, g->mutex, left);
    }
    g->busy = 1;
    apr_thread_mutex_unlock(g->mutex);
    return 1;
}

void sql_guard_leave(sql_call *x)
{
    sql_guard *g = x->guard;

    if (!g || !g->mutex) {
        return;
    }
    apr_thread_mutex_lock(g->mutex);
    g->busy = 0;
    apr_thread_cond_signal(g->cond);
    apr_thread_mutex_unlock(g->mutex);
}
