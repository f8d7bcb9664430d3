/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * user_query.c — AuthBackendUserQuery: the user record, loaded through
 * mod_dbd once a token is accepted, as fastapi-users' Authenticator reads
 * the user after its strategy returned an id:
 *
 *     SELECT email, is_active, is_verified, is_superuser FROM "user" WHERE id = %s
 *
 * Its columns become claims (Require token-claim, AuthBackendPassClaims)
 * and the flags of Require backend-user.  The statement is prepared by
 * mod_dbd on the connections of the server it is written in (ap_dbd_prepare
 * at check_config, as the dbd strategy does), and run at most once per
 * request, only when a rule or the application needs it.
 *
 * Faults as in the dbd strategy: a random-access select, every return code
 * checked, a stale statement prepared again once, and a database that
 * cannot be reached is a 503.
 */

#include "identity/identity.h"
#include "common/common.h"
#include "common/sql.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include <jansson.h>

#define USER_QUERIES_KEY "auth_backend_user_queries"
#define DEFAULT_TIMEOUT_MS 2000
#define MAX_TIMEOUT_MS     60000

struct user_query {
    const char *sql;
    const char *label;          /* the name mod_dbd prepares it under */
    server_rec *server;         /* whose database (DBDriver) it runs on */
    const char *where;          /* "file:line", for messages */
    apr_interval_time_t timeout;    /* timeout=, PostgreSQL; 0 on SQLite */
    int timeout_set;
    sql_guard *guard;           /* per child process (copied at fork) */
};

/* ---- configuration --------------------------------------------------------- */

const char *cmd_user_query(cmd_parms *cmd, void *mconfig, const char *arg,
                           const char *opt)
{
    static unsigned int next_id;
    auth_backend_dir_conf *conf = mconfig;
    apr_array_header_t *all = NULL;
    user_query *q;
    apr_int64_t ms = DEFAULT_TIMEOUT_MS;
    int n = sql_statement_params(arg);
    const char *err;

    if (n != 1) {
        return apr_psprintf(cmd->pool, "AuthBackendUserQuery must be an SQL "
                            "statement with one parameter, the user id, "
                            "written %%s (on PostgreSQL, %%s::uuid for a "
                            "uuid column); it has %s",
                            n < 0 ? "a BLOB/CLOB parameter"
                                  : apr_itoa(cmd->temp_pool, n));
    }
    if (opt && strncasecmp(opt, "timeout=", 8)) {
        return "AuthBackendUserQuery takes the statement and, optionally, "
               "timeout=MILLISECONDS";
    }
    if (opt && (err = option_int(cmd->pool, "timeout (milliseconds)",
                                 opt + 8, 1, MAX_TIMEOUT_MS, &ms))) {
        return err;
    }
    q = apr_pcalloc(cmd->pool, sizeof(*q));
    q->sql = arg;
    q->timeout = apr_time_from_msec(ms);
    q->timeout_set = opt != NULL;
    q->guard = apr_pcalloc(cmd->pool, sizeof(*q->guard));
    q->server = cmd->server;
    q->label = apr_psprintf(cmd->pool, "auth_backend_user_%u", ++next_id);
    q->where = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                            cmd->directive->line_num);
    conf->user_query = q;

    /* prepared at check_config, once every module is loaded */
    apr_pool_userdata_get((void **)&all, USER_QUERIES_KEY, cmd->pool);
    if (!all) {
        all = apr_array_make(cmd->pool, 4, sizeof(user_query *));
        apr_pool_userdata_setn(all, USER_QUERIES_KEY, NULL, cmd->pool);
    }
    APR_ARRAY_PUSH(all, user_query *) = q;
    return NULL;
}

/* timeout= bounds the statement on PostgreSQL (sql_pgsql.c); apr's SQLite
 * driver has its own bound. */
static const char *check_timeout(apr_pool_t *pconf, user_query *q,
                                 const char *driver)
{
    const char *err;

    if (strcmp(driver, "pgsql")) {
        q->timeout = 0;
        return q->timeout_set ? "timeout= is for DBDriver pgsql: apr's "
               "SQLite driver gives up on a locked database by itself, "
               "after about 1.5 s; drop timeout=" : NULL;
    }
    if ((err = sql_pgsql_init(pconf)) || (err = sql_guard_init(q->guard,
                                                               pconf))) {
        return err;
    }
    sql_pgsql_connect_timeout(pconf, sql_dbd_setting(pconf, q->server,
                                                     "DBDParams"),
                              q->timeout);
    return NULL;
}

int user_query_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *all = NULL;
    const char *driver, *err;
    int i, dbd, failed = 0;

    (void)plog;
    (void)ptemp;
    apr_pool_userdata_get((void **)&all, USER_QUERIES_KEY, pconf);
    if (!all) {
        return OK;
    }
    dbd = sql_init();
    for (i = 0; i < all->nelts; i++) {
        user_query *q = APR_ARRAY_IDX(all, i, user_query *);

        if (!dbd) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: "
                         "AuthBackendUserQuery needs mod_dbd: add "
                         "'LoadModule dbd_module modules/mod_dbd.so' "
                         "(a2enmod dbd)", q->where);
            failed = 1;
        }
        else if (!(driver = sql_dbd_setting(pconf, q->server, "DBDriver"))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: "
                         "AuthBackendUserQuery runs on mod_dbd's connection "
                         "pool, but %s has no DBDriver: add 'DBDriver "
                         "sqlite3' (or pgsql) and DBDParams", q->where,
                         q->server->is_virtual ? "this virtual host (nor "
                         "the main server)" : "the server configuration");
            failed = 1;
        }
        else if ((err = check_timeout(pconf, q, driver))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: "
                         "AuthBackendUserQuery: %s", q->where, err);
            failed = 1;
        }
        else {
            sql_prepare(q->server, q->sql, q->label);
        }
    }
    return failed ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

const user_query *user_query_for(request_rec *r, const auth_backend *be)
{
    const auth_backend_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &auth_backend_module);
    const auth_backend_dir_conf *section;

    /* the location's own query first, then the backend's */
    if (conf && conf->user_query) {
        return conf->user_query;
    }
    section = be->sec_config
        ? ap_get_module_config(be->sec_config, &auth_backend_module) : NULL;
    return section ? section->user_query : NULL;
}

/* ---- the lookup ----------------------------------------------------------------- */

static apr_status_t json_release(void *j)
{
    json_decref(j);
    return APR_SUCCESS;
}

/* The one row as a JSON object of its columns: SQL NULLs left out, flags
 * (is_*: 1/0 on SQLite, t/f on PostgreSQL) as booleans, the rest as
 * strings. */
static int record_from_row(request_rec *r, request_rec *owner,
                           const user_query *q, const sql_rows *rows,
                           json_t **record)
{
    int n = rows->nrows, i;
    json_t *obj;

    if (n == 0) {
        return RECORD_UNKNOWN;
    }
    if (n != 1) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "AuthBackendUserQuery of "
                      "%s returned %d rows for user %s; a user id must match "
                      "one row at most", q->where, n, r->user);
        return RECORD_ERROR;
    }
    obj = json_object();
    apr_pool_cleanup_register(owner->pool, obj, json_release,
                              apr_pool_cleanup_null);
    for (i = 0; i < rows->ncols; i++) {
        const char *name = rows->names[i];
        const char *v = rows->first[i];
        int flag = v ? flag_value(v) : -1;

        if (!name || !*name || !v) {
            continue;
        }
        /* a value that is not UTF-8 cannot be a JSON string: left out */
        json_object_set_new(obj, name, !strncmp(name, "is_", 3) && flag >= 0
                                       ? json_boolean(flag) : json_string(v));
    }
    *record = obj;
    return RECORD_FOUND;
}

static int record_load(request_rec *r, request_rec *owner,
                       const user_query *q, json_t **record)
{
    sql_call x;
    sql_rows rows;
    const char *args[1];
    int rs;

    x.r = r;
    x.s = r->server;
    x.pool = r->pool;
    x.who = apr_pstrcat(r->pool, "AuthBackendUserQuery of ", q->where, NULL);
    x.what = "the statement";
    x.sql = q->sql;
    x.label = q->label;
    x.nparams = 1;
    x.timeout = q->timeout;
    x.guard = q->timeout ? q->guard : NULL;
    if ((rs = sql_connect(&x, q->server)) <= 0) {
        if (!rs) {
            sql_log(&x, APLOG_ERR, "the database is unavailable: mod_dbd has "
                    "no connection to it (its own message above gives the "
                    "reason)");
        }
        return RECORD_UNAVAILABLE;
    }
    args[0] = r->user;
    switch (sql_run(&x, args, &rows, NULL)) {
    case SQL_OK:
        rs = record_from_row(r, owner, q, &rows, record);
        break;
    case SQL_NOT_PREPARED:
        rs = RECORD_ERROR;
        break;
    default:
        rs = RECORD_UNAVAILABLE;
    }
    sql_close(q->server, x.dbd);
    return rs;
}

int user_record(request_rec *r, request_rec *owner, auth_backend_request *st)
{
    const user_query *q = user_query_for(r, st->backend);

    if (!q) {
        return RECORD_ERROR;
    }
    if (st->record_status == RECORD_NONE || st->record_query != q) {
        st->record = NULL;
        st->record_query = q;
        st->record_status = record_load(r, owner, q, &st->record);
    }
    return st->record_status;
}

int user_record_preload(request_rec *r)
{
    const auth_backend_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &auth_backend_module);
    request_rec *owner = NULL;
    auth_backend_request *st;

    if (!conf->record_rules || !(st = identity_get(r, &owner))
        || !user_query_for(r, st->backend)) {
        return OK;
    }
    return record_http_status(r, user_record(r, owner, st));
}

int record_http_status(request_rec *r, int rs)
{
    if (rs != RECORD_UNAVAILABLE && rs != RECORD_ERROR) {
        return OK;
    }
    request_state(r)->json_errors = 1;
    return rs == RECORD_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                    : HTTP_INTERNAL_SERVER_ERROR;
}
