/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * sql.c — running SQL through mod_dbd, for the dbd strategy and
 * AuthBackendUserQuery alike.  Selects are random-access: with a
 * sequential select a dead PostgreSQL connection reads as "no rows", which
 * is how mod_authn_dbd turns an outage into a 401.  Every return code is
 * checked, and a statement gone stale on a pooled connection is prepared
 * again once.
 */

#include "common/sql.h"

#include "apr_lib.h"
#include "apr_strings.h"

static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *open_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *close_fn;

int sql_init(void)
{
    prepare_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    open_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    close_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    return prepare_fn && open_fn && close_fn;
}

void sql_prepare(server_rec *s, const char *query, const char *label)
{
    prepare_fn(s, query, label);
}

ap_dbd_t *sql_open(apr_pool_t *p, server_rec *s)
{
    return open_fn ? open_fn(p, s) : NULL;
}

void sql_close(server_rec *s, ap_dbd_t *dbd)
{
    close_fn(s, dbd);
}

int sql_connect(sql_call *x, server_rec *s)
{
    apr_time_t start;

    x->dbd = NULL;
    if (!sql_guard_allow(x)) {
        sql_log(x, APLOG_ERR, "the database did not answer in time a moment "
                "ago (see above): until it answers again, one request at a "
                "time tries it and the others fail at once");
        return -1;
    }
    if (!sql_guard_enter(x)) {
        sql_guard_done(x, 0);
        sql_log(x, APLOG_ERR, apr_psprintf(x->pool, "no connection to the "
                "database within %" APR_TIME_T_FMT " ms: another request is "
                "still waiting for one (a database that does not answer, or "
                "more requests at once than DBDMax)",
                apr_time_as_msec(x->timeout)));
        return -1;
    }
    start = apr_time_now();
    x->dbd = sql_open(x->pool, s);
    sql_guard_leave(x);
    if (!x->dbd) {
        /* refused at once is an outage mod_dbd retries by itself; slow is
         * a connect_timeout, which would hold every worker */
        sql_guard_done(x, apr_time_now() - start >= SQL_SLOW_OPEN);
        return 0;
    }
    return 1;
}

/* ---- configuration ----------------------------------------------------------- */

/* Counts the parameters of an apr_dbd statement the way apr_dbd_prepare()
 * does ('%' and a letter; "%%" is a literal '%').  -1 for the BLOB/CLOB
 * types, which take extra values this module never passes. */
int sql_statement_params(const char *sql)
{
    int n = 0;

    for (; *sql; sql++) {
        if (sql[0] != '%') {
            continue;
        }
        if (sql[1] == '%') {
            sql++;
        }
        else if (apr_isalpha(sql[1])) {
            if (!strncmp(sql + 1, "pDb", 3) || !strncmp(sql + 1, "pDc", 3)) {
                return -1;
            }
            n++;
        }
    }
    return n;
}

/* The value of the last NAME line among the siblings from FIRST, as a
 * TAKE1 directive keeps it. */
static const char *directive_value(apr_pool_t *p, const ap_directive_t *first,
                                   const char *name)
{
    const char *value = NULL, *args;

    for (; first; first = first->next) {
        if (!strcasecmp(first->directive, name)) {
            args = first->args;
            value = ap_getword_conf(p, &args);
        }
    }
    return value;
}

/* Merged as mod_dbd merges it: a virtual host's own line, else the main
 * server's.  It is read from the configuration tree because mod_dbd keeps
 * its configuration private, and -t must find a missing DBDriver too. */
const char *sql_dbd_setting(apr_pool_t *p, const server_rec *s,
                            const char *name)
{
    const ap_directive_t *d;
    const char *v = NULL;

    for (d = ap_conftree; s->is_virtual && d && !v; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")
            && (unsigned)d->line_num == s->defn_line_number && s->defn_name
            && !strcmp(d->filename, s->defn_name)) {
            v = directive_value(p, d->first_child, name);
        }
    }
    return v ? v : directive_value(p, ap_conftree, name);
}

/* ---- running a statement ----------------------------------------------------- */

const char *sql_driver_error(apr_pool_t *p, const apr_dbd_driver_t *driver,
                             apr_dbd_t *handle, int rv)
{
    const char *msg = apr_dbd_error(driver, handle, rv);
    apr_size_t n = msg ? strlen(msg) : 0;

    while (n && apr_isspace(msg[n - 1])) {
        n--;
    }
    return n ? apr_pstrmemdup(p, msg, n) : "(no detail)";
}

void sql_log(const sql_call *x, int level, const char *msg)
{
    if (x->r) {
        ap_log_rerror(APLOG_MARK, level, 0, x->r, "%s: %s", x->who, msg);
    }
    else {
        ap_log_error(APLOG_MARK, level, 0, x->s, "%s: %s", x->who, msg);
    }
}

/* A prepared statement can go stale while its connection stays in the
 * pool: PostgreSQL forgets it when a broken connection is reset (which is
 * how mod_dbd's connection check revives one after the server restarted),
 * and apr's SQLite driver uses the legacy sqlite3_prepare(), whose
 * statements fail for good once any schema change (a migration, another
 * table) happened.  So after a failure, prepare the statement again and
 * let the caller retry once.  On PostgreSQL that succeeds only if it was
 * missing (the name is taken otherwise).  On SQLite the old statement stays
 * with the handle until it closes, so not for a locked database, which a
 * new statement would not cure. */
static int reprepare(sql_call *x, const char **error)
{
    const apr_dbd_driver_t *driver = x->dbd->driver;
    int pgsql = !strcmp(apr_dbd_name(driver), "pgsql");
    apr_dbd_prepared_t *stmt = NULL;
    int rv;

    if (pgsql ? apr_dbd_check_conn(driver, x->pool, x->dbd->handle)
                != APR_SUCCESS
              : strstr(*error, "locked") != NULL) {
        return 0;
    }
    rv = apr_dbd_prepare(driver, x->dbd->pool, x->dbd->handle, x->sql,
                         x->label, &stmt);
    if (rv || !stmt) {
        if (!pgsql) {
            /* the stale statement's own message may be "not an error" */
            *error = apr_pstrcat(x->pool, *error, "; preparing it again: ",
                                 sql_driver_error(x->pool, driver,
                                                  x->dbd->handle, rv), NULL);
        }
        return 0;
    }
    apr_hash_set(x->dbd->prepared, x->label, APR_HASH_KEY_STRING, stmt);
    sql_log(x, APLOG_INFO, apr_psprintf(x->pool, "prepared %s again (%s)",
                                        x->what, *error));
    return 1;
}

/* The apr_dbd results of a random-access select, as sql_rows. */
static int rows_from_dbd(sql_call *x, apr_dbd_results_t *res, sql_rows *rows)
{
    const apr_dbd_driver_t *driver = x->dbd->driver;
    apr_dbd_row_t *row = NULL;
    int i;

    rows->nrows = apr_dbd_num_tuples(driver, res);
    rows->ncols = apr_dbd_num_cols(driver, res);
    if (rows->nrows < 0 || rows->ncols < 0) {
        return -1;
    }
    rows->names = apr_pcalloc(x->pool, sizeof(char *) * (rows->ncols + 1));
    rows->first = apr_pcalloc(x->pool, sizeof(char *) * (rows->ncols + 1));
    if (rows->nrows > 0
        && apr_dbd_get_row(driver, x->pool, res, &row, 1) != 0) {
        return -1;
    }
    for (i = 0; i < rows->ncols; i++) {
        const char *name = apr_dbd_get_name(driver, res, i);
        const char *v = row ? apr_dbd_get_entry(driver, row, i) : NULL;

        rows->names[i] = name ? apr_pstrdup(x->pool, name) : NULL;
        rows->first[i] = v ? apr_pstrdup(x->pool, v) : NULL;
    }
    return 0;
}

/* One attempt through apr_dbd: 0, or the driver's error in *MSG. */
static int run_dbd(sql_call *x, apr_dbd_prepared_t *stmt, const char **args,
                   sql_rows *rows, int *nrows, const char **msg)
{
    const apr_dbd_driver_t *driver = x->dbd->driver;
    apr_dbd_results_t *res = NULL;
    int rv;

    if (rows) {
        rv = apr_dbd_pselect(driver, x->pool, x->dbd->handle, &res, stmt,
                             1 /* random access */, 0, args);
        if (rv == 0 && rows_from_dbd(x, res, rows)) {
            *msg = "cannot read the rows it returned";
            return -1;
        }
    }
    else {
        rv = apr_dbd_pquery(driver, x->pool, x->dbd->handle, nrows, stmt, 0,
                            args);
    }
    if (rv) {
        *msg = sql_driver_error(x->pool, driver, x->dbd->handle, rv);
    }
    return rv ? -1 : 0;
}

sql_result sql_run(sql_call *x, const char **args, sql_rows *rows,
                   int *nrows)
{
    const apr_dbd_driver_t *driver = x->dbd->driver;
    /* libpq alone would wait for the server without bound */
    int bounded = x->timeout > 0 && !strcmp(apr_dbd_name(driver), "pgsql");
    const char *msg = NULL;
    int attempt;

    for (attempt = 0; attempt < 2; attempt++) {
        apr_dbd_prepared_t *stmt = apr_hash_get(x->dbd->prepared, x->label,
                                                APR_HASH_KEY_STRING);
        sql_pg_status st;

        if (!stmt) {
            sql_guard_done(x, 0);
            sql_log(x, APLOG_ERR, apr_psprintf(x->pool, "%s is not prepared "
                    "on this connection", x->what));
            return SQL_NOT_PREPARED;
        }
        if (!bounded) {
            if (!run_dbd(x, stmt, args, rows, nrows, &msg)) {
                sql_guard_done(x, 0);
                return SQL_OK;
            }
        }
        else if ((st = sql_pgsql_run(x, args, rows, nrows, &msg))
                 == SQL_PG_OK) {
            sql_guard_done(x, 0);
            return SQL_OK;
        }
        else if (st == SQL_PG_FAILED) {
            /* preparing it again would wait behind the same lock */
            break;
        }
        else if (st == SQL_PG_TIMEOUT) {
            sql_guard_done(x, 1);
            sql_log(x, APLOG_ERR, apr_psprintf(x->pool, "the %s database "
                    "failed %s: %s", apr_dbd_name(driver), x->what, msg));
            return SQL_FAILED;  /* no time left for another attempt */
        }
        if (attempt || !reprepare(x, &msg)) {
            break;
        }
    }
    sql_guard_done(x, 0);         /* it answered, if with an error */
    sql_log(x, APLOG_ERR, apr_psprintf(x->pool, "the %s database failed %s: "
            "%s", apr_dbd_name(driver), x->what, msg));
    return SQL_FAILED;
}
