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

/* One prepared statement run on a pooled connection, and how to name it
 * in the error log. */
typedef struct {
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

/* Runs X with ARGS: a random-access select into *RES when RES is given,
 * else a query counting *NROWS.  A statement gone stale on its connection
 * is prepared again and run once more.  Failures are logged. */
sql_result sql_run(sql_call *x, const char **args, apr_dbd_results_t **res,
                   int *nrows);
/* "WHO: MSG" at LEVEL, for the request if there is one. */
void sql_log(const sql_call *x, int level, const char *msg);

#endif /* AUTH_BACKEND_SQL_H */
