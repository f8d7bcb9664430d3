/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * sql.h — the one layer through which this module runs SQL: mod_dbd's
 * connection pool, prepared statements only, and the faults of a pooled
 * connection handled once (sql.c).  The dbd strategy and
 * AuthBackendUserQuery both call it.
 */

#ifndef AUTH_BACKEND_SQL_H
#define AUTH_BACKEND_SQL_H

#include "auth_backend.h"

#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"
#include "apr_dbd.h"            /* before mod_dbd.h, which uses its types */
#include "mod_dbd.h"

/* Finds mod_dbd's functions (at check_config, in the parent, so that the
 * children inherit them).  0 if mod_dbd is not loaded. */
int sql_init(void);
/* mod_dbd's ap_dbd_prepare, ap_dbd_open and ap_dbd_close, after sql_init. */
void sql_prepare(server_rec *s, const char *query, const char *label);
ap_dbd_t *sql_open(apr_pool_t *p, server_rec *s);
void sql_close(server_rec *s, ap_dbd_t *dbd);

/* The parameters of an apr_dbd statement; -1 for BLOB/CLOB ones. */
int sql_statement_params(const char *sql);
/* mod_dbd's setting NAME (DBDriver, DBDParams) for server S, as mod_dbd
 * merges it, read from the configuration tree. */
const char *sql_dbd_setting(apr_pool_t *p, const server_rec *s,
                            const char *name);
/* The driver's last error, without the newline libpq ends it with. */
const char *sql_driver_error(apr_pool_t *p, const apr_dbd_driver_t *driver,
                             apr_dbd_t *handle, int rv);

/* Per process and user of a pool (a backend, a user query), on
 * PostgreSQL with timeout= (sql_guard.c):
 *  - a breaker: a database that did not answer in time is not asked again
 *    for a moment, and then by one request at a time, so that a frozen
 *    server holds one worker, not all of them;
 *  - a gate: one request at a time asks mod_dbd for a connection, the
 *    others wait at most timeout=.  mod_dbd's pool opens a connection
 *    while it holds its lock, and every other request, even one giving a
 *    connection back, waits behind it: behind connect_timeout each, for a
 *    server that does not answer.
 * sql_guard_init makes one in the parent; zeroed memory is no guard. */
typedef struct {
    apr_uint32_t open;          /* the breaker tripped */
    apr_uint32_t until;         /* apr_time_as_msec(), wrapping */
    apr_uint32_t probing;       /* a request is trying it */
    apr_thread_mutex_t *mutex;  /* the gate */
    apr_thread_cond_t *cond;
    int busy;                   /* under the mutex */
} sql_guard;

/* One prepared statement run on a pooled connection, and how to name it
 * in the error log. */
typedef struct {
    int nparams;                /* the parameters SQL takes */
    apr_interval_time_t timeout;    /* PostgreSQL: the bound of one
                                       statement (0: none) */
    sql_guard *guard;           /* NULL: none */
    int probe;                  /* this call probes an open breaker */
    request_rec *r;             /* NULL outside a request (a purge) */
    server_rec *s;
    apr_pool_t *pool;
    ap_dbd_t *dbd;              /* from sql_open */
    const char *who;            /* "backend 'db'", "AuthBackendUserQuery of
                                   file:line": starts each log line */
    const char *what;           /* "the select statement" */
    const char *sql;            /* to prepare it again */
    const char *label;          /* the name mod_dbd prepared it under */
} sql_call;

typedef enum {
    SQL_OK,
    SQL_NOT_PREPARED,           /* a configuration fault: 500 */
    SQL_FAILED                  /* the database failed it: 503 */
} sql_result;

/* What a select returned: its row count, its column names and the values
 * of its first row (NULL for an SQL NULL, and all NULL without rows). */
typedef struct {
    int nrows;
    int ncols;
    const char **names;
    const char **first;
} sql_rows;

/* X->dbd from mod_dbd's pool of S, through X->guard: 1, or 0 if mod_dbd
 * has no connection (its own message gives the reason), or -1 if the guard
 * refused (logged).  After 1, call sql_run. */
int sql_connect(sql_call *x, server_rec *s);

/* ---- the guard (sql_guard.c) ---------------------------------------------------- */

#define SQL_SLOW_OPEN   apr_time_from_sec(1)    /* connect_timeout is >= 2 s */

/* In the parent: G's gate, in P.  NULL or why not. */
const char *sql_guard_init(sql_guard *g, apr_pool_t *p);
/* 1 if X may ask the database; else 0. */
int sql_guard_allow(sql_call *x);
/* After X's call: HUNG if the database did not answer in time. */
void sql_guard_done(sql_call *x, int hung);
/* Through the gate within X->timeout: 1, or 0; then leave. */
int sql_guard_enter(sql_call *x);
void sql_guard_leave(sql_call *x);

/* Runs X with ARGS: a select into *ROWS when ROWS is given, else a query
 * counting *NROWS.  A statement gone stale on its connection is prepared
 * again and run once more.  Failures are logged. */
sql_result sql_run(sql_call *x, const char **args, sql_rows *rows,
                   int *nrows);

/* ---- PostgreSQL within a deadline (sql_pgsql.c) ------------------------------- */

typedef enum {
    SQL_PG_OK,
    SQL_PG_FAILED,              /* the server failed it */
    SQL_PG_RETRY,               /* the link broke, or the statement is not
                                   prepared on the server's session: made
                                   and prepared again, it may succeed */
    SQL_PG_TIMEOUT              /* no answer in time: the link is dropped */
} sql_pg_status;

/* Finds libpq's functions, in the parent; NULL or why not. */
const char *sql_pgsql_init(apr_pool_t *pconf);
/* Bounds the connections libpq makes for DBDParams PARAMS by TIMEOUT
 * (PGCONNECT_TIMEOUT, whole seconds, at least 2), unless PARAMS or the
 * environment already sets one.  In the parent, before the children. */
void sql_pgsql_connect_timeout(apr_pool_t *p, const char *params,
                               apr_interval_time_t timeout);
/* Runs X (a statement mod_dbd prepared) on X's pgsql connection within
 * X->timeout and a little more; *ERROR says why not. */
sql_pg_status sql_pgsql_run(sql_call *x, const char **args, sql_rows *rows,
                            int *nrows, const char **error);
/* "WHO: MSG" at LEVEL, for the request if there is one. */
void sql_log(const sql_call *x, int level, const char *msg);

#endif /* AUTH_BACKEND_SQL_H */
