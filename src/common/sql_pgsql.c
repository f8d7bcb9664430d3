/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * sql_pgsql.c — PostgreSQL statements with a deadline.  apr_dbd_pgsql runs
 * a prepared statement with PQexecPrepared, which waits for the server
 * without bound: behind a table lock, or on a server that is stopped or
 * black-holed (its kernel still acknowledges what is sent, so no TCP
 * timeout fires), every worker ends up waiting and the whole server stops
 * answering.  So on the connection mod_dbd lends, this file sends the
 * statement mod_dbd prepared (same name, same text parameters) with
 * libpq's asynchronous calls and waits for the answer with poll() and a
 * deadline:
 *
 *  - the session gets statement_timeout and lock_timeout = timeout=, so a
 *    server that is alive cancels the statement itself and the connection
 *    stays good (SET once per backend process: PQreset makes a new one);
 *  - a server that does not answer within timeout= + GRACE: the socket is
 *    shut down, libpq marks the connection bad, and mod_dbd's check
 *    reconnects it (bounded by connect_timeout) when it is lent next.
 *
 * libpq is the one the pgsql driver links; its functions are looked up in
 * it at configuration time, so the module does not depend on libpq where
 * PostgreSQL is not used.
 */

#include "common/sql.h"

#include "apr_dso.h"
#include "apr_strings.h"


#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>

#define LIBPQ           "libpq.so.5"
#define GRACE           apr_time_from_msec(250)
#define MIN_CONNECT_S   2           /* libpq's own minimum */
#define SESSION_KEY     "auth_backend_pg_session"

/* What this file uses of libpq-fe.h, whose ABI libpq.so.5 keeps (the
 * header itself, from libpq-dev, is not needed to build the module). */
typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
#define CONNECTION_OK           0
#define PGRES_EMPTY_QUERY       0
#define PGRES_COMMAND_OK        1
#define PGRES_TUPLES_OK         2
#define PGRES_FATAL_ERROR       7
#define PG_DIAG_SQLSTATE        'C'

/* libpq's functions, looked up once in the parent. */
typedef struct {
    int (*socket)(const PGconn *conn);
    int (*backend_pid)(const PGconn *conn);
    int (*status)(const PGconn *conn);
    int (*send_query)(PGconn *conn, const char *query);
    int (*send_prepared)(PGconn *conn, const char *name, int nparams,
                         const char *const *values, const int *lengths,
                         const int *formats, int result_format);
    int (*is_busy)(PGconn *conn);
    int (*consume_input)(PGconn *conn);
    PGresult *(*get_result)(PGconn *conn);
    int (*result_status)(const PGresult *res);
    char *(*result_error)(const PGresult *res);
    char *(*error_field)(const PGresult *res, int code);
    char *(*error_message)(const PGconn *conn);
    void (*clear)(PGresult *res);
    int (*ntuples)(const PGresult *res);
    int (*nfields)(const PGresult *res);
    char *(*fname)(const PGresult *res, int col);
    int (*getisnull)(const PGresult *res, int row, int col);
    char *(*getvalue)(const PGresult *res, int row, int col);
    char *(*cmd_tuples)(PGresult *res);
} pq_api;

static pq_api pq;

static const struct {
    const char *name;
    size_t offset;
} pq_names[] = {
#define PQ_FN(field, fn) { #fn, offsetof(pq_api, field) }
    PQ_FN(socket, PQsocket), PQ_FN(backend_pid, PQbackendPID),
    PQ_FN(status, PQstatus), PQ_FN(send_query, PQsendQuery),
    PQ_FN(send_prepared, PQsendQueryPrepared), PQ_FN(is_busy, PQisBusy),
    PQ_FN(consume_input, PQconsumeInput), PQ_FN(get_result, PQgetResult),
    PQ_FN(result_status, PQresultStatus),
    PQ_FN(result_error, PQresultErrorMessage),
    PQ_FN(error_field, PQresultErrorField),
    PQ_FN(error_message, PQerrorMessage), PQ_FN(clear, PQclear),
    PQ_FN(ntuples, PQntuples), PQ_FN(nfields, PQnfields),
    PQ_FN(fname, PQfname), PQ_FN(getisnull, PQgetisnull),
    PQ_FN(getvalue, PQgetvalue), PQ_FN(cmd_tuples, PQcmdTuples),
#undef PQ_FN
};

static int connect_timeout_set;     /* PGCONNECT_TIMEOUT is ours */

const char *sql_pgsql_init(apr_pool_t *pconf)
{
    static apr_dso_handle_t *dso;
    apr_dso_handle_sym_t sym;
    size_t i;

    if (pq.clear) {
        return NULL;
    }
    /* the library apr_dbd_pgsql links, kept loaded for the process */
    if (!dso && apr_dso_load(&dso, LIBPQ, apr_pool_parent_get(pconf)
                             ? apr_pool_parent_get(pconf) : pconf)
                != APR_SUCCESS) {
        char buf[200];
        return apr_psprintf(pconf, "timeout= on PostgreSQL needs %s "
                            "(libpq5, which the pgsql driver uses): %s",
                            LIBPQ, dso ? apr_dso_error(dso, buf, sizeof(buf))
                                       : "cannot load it");
    }
    for (i = 0; i < sizeof(pq_names) / sizeof(pq_names[0]); i++) {
        if (apr_dso_sym(&sym, dso, pq_names[i].name) != APR_SUCCESS) {
            memset(&pq, 0, sizeof(pq));
            return apr_psprintf(pconf, "%s has no %s", LIBPQ,
                                pq_names[i].name);
        }
        memcpy((char *)&pq + pq_names[i].offset, &sym, sizeof(sym));
    }
    return NULL;
}

void sql_pgsql_connect_timeout(apr_pool_t *p, const char *params,
                               apr_interval_time_t timeout)
{
    const char *now = getenv("PGCONNECT_TIMEOUT");
    long s = (long)((timeout + APR_USEC_PER_SEC - 1) / APR_USEC_PER_SEC);

    /* the administrator's own setting wins: DBDParams, or the variable
     * set outside (envvars) */
    if ((params && strstr(params, "connect_timeout"))
        || (now && !connect_timeout_set)) {
        return;
    }
    if (s < MIN_CONNECT_S) {
        s = MIN_CONNECT_S;
    }
    if (connect_timeout_set && now && atol(now) >= s) {
        return;
    }
    /* libpq reads it for every connection whose conninfo has none:
     * mod_dbd's, and create-table's */
    setenv("PGCONNECT_TIMEOUT", apr_ltoa(p, s), 1);
    connect_timeout_set = 1;
}

/* ---- one exchange within the deadline --------------------------------------- */

/* Waits until libpq has a whole result to hand out.  0, or -1 and *ERROR;
 * *TIMED_OUT when the deadline came first. */
static int wait_result(apr_pool_t *p, PGconn *conn, apr_time_t deadline,
                       const char **error, int *timed_out)
{
    while (pq.is_busy(conn)) {
        struct pollfd pfd;
        apr_interval_time_t left = deadline - apr_time_now();
        int n;

        if (left <= 0) {
            *timed_out = 1;
            return -1;
        }
        pfd.fd = pq.socket(conn);
        pfd.events = POLLIN;
        pfd.revents = 0;
        n = poll(&pfd, 1, (int)((left + 999) / 1000));
        if (n < 0 && errno != EINTR) {
            *error = apr_psprintf(p, "poll: %s", strerror(errno));
            return -1;
        }
        if (n > 0 && !pq.consume_input(conn)) {
            *error = pq.error_message(conn);
            return -1;
        }
    }
    return 0;
}

/* Collects every result of what was sent; the first is kept in *RES
 * (NULL if there was none). */
static int collect(apr_pool_t *p, PGconn *conn, apr_time_t deadline,
                   PGresult **res, const char **error, int *timed_out)
{
    PGresult *one;

    *res = NULL;
    for (;;) {
        if (wait_result(p, conn, deadline, error, timed_out)) {
            break;
        }
        if (!(one = pq.get_result(conn))) {
            return 0;
        }
        if (*res) {
            pq.clear(one);
        }
        else {
            *res = one;
        }
    }
    if (*res) {
        pq.clear(*res);
        *res = NULL;
    }
    return -1;
}

/* A statement the server did not answer in time: the connection is in
 * the middle of it and cannot be used again.  Shut down, libpq sees it
 * closed, PQstatus turns bad and mod_dbd's check reconnects it. */
static void abandon(PGconn *conn)
{
    shutdown(pq.socket(conn), SHUT_RDWR);
    pq.consume_input(conn);
}

/* The result's error without libpq's final newline. */
static const char *result_error(apr_pool_t *p, PGconn *conn, PGresult *res)
{
    const char *m = res ? pq.result_error(res) : pq.error_message(conn);
    apr_size_t n = m ? strlen(m) : 0;

    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) {
        n--;
    }
    return n ? apr_pstrmemdup(p, m, n) : "(no detail)";
}

/* statement_timeout and lock_timeout for the session, once per backend
 * process and value. */
static int session_timeouts(sql_call *x, PGconn *conn, apr_time_t deadline,
                            const char **error, int *timed_out)
{
    long ms = (long)apr_time_as_msec(x->timeout);
    const char *want = apr_psprintf(x->pool, "%d:%ld", pq.backend_pid(conn),
                                    ms);
    const char *have = NULL;
    PGresult *res;
    int ok;

    apr_pool_userdata_get((void **)&have, SESSION_KEY, x->dbd->pool);
    if (have && !strcmp(have, want)) {
        return 0;
    }
    if (!pq.send_query(conn, apr_psprintf(x->pool, "SET statement_timeout = "
                       "%ld; SET lock_timeout = %ld", ms, ms))) {
        *error = result_error(x->pool, conn, NULL);
        return -1;
    }
    if (collect(x->pool, conn, deadline, &res, error, timed_out)) {
        return -1;
    }
    ok = res && pq.result_status(res) == PGRES_COMMAND_OK;
    if (!ok) {
        *error = apr_pstrcat(x->pool, "setting statement_timeout: ",
                             result_error(x->pool, conn, res), NULL);
    }
    if (res) {
        pq.clear(res);
    }
    if (ok) {
        apr_pool_userdata_set(apr_pstrdup(x->dbd->pool, want), SESSION_KEY,
                              apr_pool_cleanup_null, x->dbd->pool);
    }
    return ok ? 0 : -1;
}

/* The first row of RES into ROWS, copied into P. */
static void rows_from(apr_pool_t *p, PGresult *res, sql_rows *rows)
{
    int i;

    rows->nrows = pq.ntuples(res);
    rows->ncols = pq.nfields(res);
    rows->names = apr_pcalloc(p, sizeof(char *) * (rows->ncols + 1));
    rows->first = apr_pcalloc(p, sizeof(char *) * (rows->ncols + 1));
    for (i = 0; i < rows->ncols; i++) {
        const char *name = pq.fname(res, i);
        rows->names[i] = name ? apr_pstrdup(p, name) : NULL;
        if (rows->nrows > 0 && !pq.getisnull(res, 0, i)) {
            rows->first[i] = apr_pstrdup(p, pq.getvalue(res, 0, i));
        }
    }
}

sql_pg_status sql_pgsql_run(sql_call *x, const char **args, sql_rows *rows,
                            int *nrows, const char **error)
{
    PGconn *conn = apr_dbd_native_handle(x->dbd->driver, x->dbd->handle);
    apr_time_t deadline = apr_time_now() + x->timeout + GRACE;
    PGresult *res = NULL;
    int st;
    int timed_out = 0, ok, missing = 0;

    *error = NULL;
    if (!conn || pq.status(conn) != CONNECTION_OK) {
        *error = "the connection is broken";
        return SQL_PG_RETRY;
    }
    if (session_timeouts(x, conn, deadline, error, &timed_out)
        || !pq.send_prepared(conn, x->label, x->nparams,
                             (const char *const *)args, NULL, NULL, 0)
        || collect(x->pool, conn, deadline, &res, error, &timed_out)) {
        if (timed_out) {
            abandon(conn);
            *error = apr_psprintf(x->pool, "no answer within %" APR_TIME_T_FMT
                                  " ms; the connection is dropped",
                                  apr_time_as_msec(x->timeout + GRACE));
            return SQL_PG_TIMEOUT;
        }
        if (!*error) {
            *error = result_error(x->pool, conn, NULL);
        }
        /* a link that broke (a server restarted): made again, it may */
        return pq.status(conn) == CONNECTION_OK ? SQL_PG_FAILED
                                                : SQL_PG_RETRY;
    }
    st = res ? pq.result_status(res) : PGRES_FATAL_ERROR;
    ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK
         || st == PGRES_EMPTY_QUERY;
    if (!ok) {
        const char *state = res ? pq.error_field(res, PG_DIAG_SQLSTATE)
                                : NULL;
        *error = result_error(x->pool, conn, res);
        /* invalid_sql_statement_name: the session is new (PQreset) */
        missing = state && !strcmp(state, "26000");
    }
    else if (rows) {
        rows_from(x->pool, res, rows);
    }
    else if (nrows) {
        *nrows = atoi(pq.cmd_tuples(res));
    }
    if (res) {
        pq.clear(res);
    }
    return ok ? SQL_PG_OK : missing ? SQL_PG_RETRY : SQL_PG_FAILED;
}
