/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * dbd.c — the dbd strategy: opaque tokens stored in SQL through mod_dbd's connection
 * pool, as fastapi-users' DatabaseStrategy stores them:
 *
 *     accesstoken(token VARCHAR(43) PRIMARY KEY, created_at TIMESTAMP(TZ),
 *                 user_id ...)
 *
 * A token is valid while created_at >= now - lifetime; login inserts a row,
 * logout deletes it, and an optional mod_watchdog callback deletes expired
 * rows in one process.
 *
 * The statements are prepared by mod_dbd on every pooled connection
 * (ap_dbd_prepare, at configuration time, under unique labels).  The
 * writer supplies created_at as an explicit UTC instant: on SQLite the text
 * SQLAlchemy writes and compares ("YYYY-MM-DD HH:MM:SS.ffffff"), on
 * PostgreSQL the same with "+00", so that neither the column type nor the
 * session's TimeZone can shift it.
 *
 * Faults: every return code is checked, selects are random-access (with a
 * sequential select a dead PostgreSQL connection reads as "no rows", which
 * is how mod_authn_dbd turns an outage into 401), and a database that cannot
 * be reached or fails a statement is AUTH_BACKEND_UNAVAILABLE (503).
 *
 * With cache= (SQLite only) each child remembers the answers of the select
 * for as long as the database file has not changed (sqlite_watch.c): any
 * committed write, a logout by anyone first of all, empties the cache, and
 * an entry never outlives its row's created_at + lifetime.
 *
 * This file is the backend's configuration and startup; store.c reads and
 * writes the table.
 */

#include "strategy/dbd/dbd.h"

#include "http_core.h"
#include "apr_atomic.h"
#include "mod_watchdog.h"
#include "apr_lib.h"
#include "apr_strings.h"

#define DEFAULT_TABLE           "accesstoken"
#define MAX_PURGE_INTERVAL      2592000     /* 30 days */
#define MAX_IDENTIFIER          63        /* PostgreSQL's NAMEDATALEN - 1 */
#define WATCHDOG_NAME           "auth_backend_dbd"
#define DEFAULT_TIMEOUT_MS      2000
#define MAX_TIMEOUT_MS          60000

/* mod_watchdog's functions, found at check_config time (in the parent, so
 * the children inherit them). */
static APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *wd_get_instance_fn;
static APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *wd_register_fn;

/* ---- configuration --------------------------------------------------------- */

static int is_identifier(const char *s)
{
    const char *c = s;

    if (!apr_isalpha(*c) && *c != '_') {
        return 0;
    }
    while (*++c) {
        if (!apr_isalnum(*c) && *c != '_') {
            return 0;
        }
    }
    return c - s <= MAX_IDENTIFIER;
}

/* timeout=, remembered as given or not: SQLite refuses it */
static const char *dbd_take_timeout(cmd_parms *cmd, apr_array_header_t *opts,
                                    dbd_conf *c)
{
    apr_int64_t ms = -1;
    const char *err = option_take_int(cmd->pool, opts, "timeout",
                                      "timeout (milliseconds)", 1,
                                      MAX_TIMEOUT_MS, &ms);

    c->timeout_set = ms >= 0;
    c->timeout = apr_time_from_msec(ms >= 0 ? ms : DEFAULT_TIMEOUT_MS);
    return err;
}

static const char *dbd_configure(cmd_parms *cmd, auth_backend *be,
                                 apr_array_header_t *opts, void **ctx)
{
    static unsigned int next_id;
    dbd_conf *c = apr_pcalloc(cmd->pool, sizeof(*c));
    const char *v, *err;
    int i, n;

    c->table = DEFAULT_TABLE;
    c->lifetime = TOKEN_DEFAULT_LIFETIME;
    if ((v = auth_backend_option_take(opts, "table"))) {
        if (!is_identifier(v)) {
            return apr_psprintf(cmd->pool, "table must be an SQL identifier: "
                                "a letter or '_', then letters, digits or "
                                "'_', at most %d characters", MAX_IDENTIFIER);
        }
        c->table = v;
    }
    if ((err = option_take_int(cmd->pool, opts, "lifetime", NULL, 1,
                               TOKEN_MAX_LIFETIME, &c->lifetime))) {
        return err;
    }
    if ((err = option_take_int(cmd->pool, opts, "purge-interval", NULL, 0,
                               MAX_PURGE_INTERVAL, &c->purge_interval))) {
        return err;
    }
    if ((err = option_take_int(cmd->pool, opts, "cache", NULL, 0,
                               TOKEN_CACHE_MAX_SLOTS, &c->cache_size))) {
        return err;
    }
    if ((err = dbd_take_timeout(cmd, opts, c))) {
        return err;
    }
    if ((err = option_take_flag(cmd->pool, opts, "create-table",
                                &c->create_table))) {
        return err;
    }
    for (i = 0; i < STMT_COUNT; i++) {
        if (!(v = auth_backend_option_take(opts, dbd_statements[i].key))) {
            continue;
        }
        n = sql_statement_params(v);
        if (n < dbd_statements[i].min_params || n > dbd_statements[i].max_params) {
            const char *range = dbd_statements[i].min_params
                                == dbd_statements[i].max_params
                ? apr_itoa(cmd->temp_pool, dbd_statements[i].max_params)
                : apr_psprintf(cmd->temp_pool, "%d to %d",
                               dbd_statements[i].min_params,
                               dbd_statements[i].max_params);
            return apr_psprintf(cmd->pool, "%s= must be an SQL statement with "
                                "%s parameters (%s), written %%s, or %%pDz "
                                "for a timestamp on PostgreSQL; it has %s",
                                dbd_statements[i].key, range,
                                dbd_statements[i].params,
                                n < 0 ? "a BLOB/CLOB parameter"
                                      : apr_itoa(cmd->temp_pool, n));
        }
        c->custom[i] = v;
    }
    c->id = ++next_id;
    c->who = apr_psprintf(cmd->pool, "backend '%s'", be->name);
    *ctx = c;
    return NULL;
}

/* ---- startup ------------------------------------------------------------------ */

/* The built-in statements, for the fastapi-users schema. */
static const char *default_sql(apr_pool_t *p, const dbd_conf *c, int which)
{
    const char *t = apr_pstrcat(p, "\"", c->table, "\"", NULL);

    switch (which) {
    case STMT_SELECT:
        /* cache= needs created_at, to keep an answer no longer than it */
        return apr_psprintf(p, "SELECT user_id%s FROM %s WHERE token = %%s "
                            "AND created_at >= %%pDz",
                            c->cache_size ? ", created_at" : "", t);
    case STMT_INSERT:
        if (c->dialect == DIALECT_PGSQL) {
            /* apr_dbd declares %s a varchar, and PostgreSQL has no implicit
             * cast from varchar to uuid (fastapi-users' user_id) or to
             * integer; converting through the table's own row type fits
             * any type of user_id. */
            return apr_psprintf(p, "INSERT INTO %s (token, user_id, "
                                "created_at) SELECT v.token, r.user_id, "
                                "v.created_at FROM (SELECT %%s AS token, %%s "
                                "AS user_id, %%pDz AS created_at) AS v, "
                                "jsonb_populate_record(NULL::%s, "
                                "jsonb_build_object('user_id', v.user_id)) "
                                "AS r", t, t);
        }
        return apr_psprintf(p, "INSERT INTO %s (token, user_id, created_at) "
                            "VALUES (%%s, %%s, %%pDz)", t);
    case STMT_DELETE:
        return apr_psprintf(p, "DELETE FROM %s WHERE token = %%s", t);
    default:
        return apr_psprintf(p, "DELETE FROM %s WHERE created_at < %%pDz", t);
    }
}

static const char *dbd_check_cache(const dbd_conf *c)
{
    if (!c->cache_size) {
        return NULL;
    }
    if (c->dialect != DIALECT_SQLITE) {
        return "cache= works with DBDriver sqlite3 only: it follows the "
               "SQLite file's change counter, and a PostgreSQL server has "
               "nothing a child could read without a query; use cache=0";
    }
    if (c->custom[STMT_SELECT]) {
        return "cache= works with the built-in select only: a custom "
               "select= may depend on more than the rows (the clock, say), "
               "which the cache could not follow; drop select= or cache=";
    }
    if (c->params[0] != '/') {
        return "cache= needs DBDParams to be the SQLite file's absolute "
               "path (starting with '/'): the cache watches that file for "
               "changes";
    }
    return NULL;
}

/* timeout= bounds PostgreSQL's statements and connections; apr's SQLite
 * driver has its own bound (about 1.5 s for a locked database). */
static const char *dbd_check_timeout(apr_pool_t *pconf, dbd_conf *c)
{
    const char *err;

    if (c->dialect == DIALECT_SQLITE) {
        c->timeout = 0;
        return c->timeout_set ? "timeout= is for DBDriver pgsql: apr's "
               "SQLite driver gives up on a locked database by itself, "
               "after about 1.5 s; drop timeout=" : NULL;
    }
    if ((err = sql_pgsql_init(pconf))
        || (err = sql_guard_init(&c->guard, pconf))) {
        return err;
    }
    sql_pgsql_connect_timeout(pconf, c->params, c->timeout);
    return NULL;
}

static const char *dbd_check_config(apr_pool_t *pconf, server_rec *s,
                                    auth_backend *be)
{
    dbd_conf *c = be->strategy_ctx;
    const char *err;
    int i;

    wd_get_instance_fn = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_register_fn = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!sql_init()) {
        return "the dbd strategy needs mod_dbd: add 'LoadModule dbd_module "
               "modules/mod_dbd.so' (a2enmod dbd)";
    }
    if (c->purge_interval && (!wd_get_instance_fn || !wd_register_fn)) {
        return "purge-interval needs mod_watchdog: add 'LoadModule "
               "watchdog_module modules/mod_watchdog.so'";
    }
    c->driver = sql_dbd_setting(pconf, s, "DBDriver");
    if (!c->driver) {
        return apr_psprintf(pconf, "the dbd strategy uses mod_dbd's "
                            "connection pool, but %s has no DBDriver: add "
                            "'DBDriver sqlite3' (or pgsql) and DBDParams",
                            s->is_virtual ? "this virtual host (nor the "
                            "main server)" : "the server configuration");
    }
    if (!strcmp(c->driver, "sqlite3")) {
        c->dialect = DIALECT_SQLITE;
    }
    else if (!strcmp(c->driver, "pgsql")) {
        c->dialect = DIALECT_PGSQL;
    }
    else {
        return apr_psprintf(pconf, "DBDriver %s is not supported by the dbd "
                            "strategy (sqlite3, pgsql)", c->driver);
    }
    c->params = sql_dbd_setting(pconf, s, "DBDParams");
    if (!c->params) {
        c->params = "";
    }
    if ((err = dbd_check_timeout(pconf, c))) {
        return err;
    }
    if ((err = dbd_check_cache(c))) {
        return err;
    }

    /* mod_dbd prepares these on each connection it opens for S; a label
     * is also the name of a PostgreSQL prepared statement. */
    for (i = 0; i < STMT_COUNT; i++) {
        if (i == STMT_PURGE && !c->purge_interval) {
            continue;
        }
        c->sql[i] = c->custom[i] ? c->custom[i] : default_sql(pconf, c, i);
        c->label[i] = apr_psprintf(pconf, "auth_backend_%u_%s", c->id,
                                   dbd_statements[i].key);
        c->nparams[i] = sql_statement_params(c->sql[i]);
        sql_prepare(s, c->sql[i], c->label[i]);
    }
    return NULL;
}

/* In each child, as the user httpd runs as (so that a new SQLite file
 * belongs to it), before mod_dbd opens its pool. */
static void dbd_child_init(apr_pool_t *pchild, server_rec *s,
                           auth_backend *be)
{
    dbd_conf *c = be->strategy_ctx;

    if (c->create_table) {
        apr_atomic_set32(&c->create_tried,
                         (apr_uint32_t)apr_time_sec(apr_time_now()));
        dbd_table_create(pchild, be->server, be);
    }
    if (c->cache_size > 0
        && (!(c->watch = sqlite_watch_create(pchild, c->params))
            || !(c->cache = token_cache_create(pchild,
                                               (unsigned int)c->cache_size)))) {
        c->cache = NULL;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "backend '%s': cannot "
                     "create its token cache; every token is looked up in "
                     "the database", be->name);
    }
    if (c->cache) {
        apr_atomic_set32(&c->watch_state, WATCH_NOT_YET);
    }
}

static const char *dbd_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                   server_rec *s, auth_backend *be)
{
    dbd_conf *c = be->strategy_ctx;
    ap_watchdog_t *wd;
    apr_status_t rv;

    (void)ptemp;
    (void)s;
    if (!c->purge_interval) {
        return NULL;
    }
    rv = wd_get_instance_fn(&wd, WATCHDOG_NAME, 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        rv = wd_register_fn(wd, apr_time_from_sec(c->purge_interval), be,
                            dbd_purge);
    }
    if (rv != APR_SUCCESS) {
        char buf[120];
        return apr_psprintf(pconf, "purge-interval: cannot register with "
                            "mod_watchdog: %s",
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    return NULL;
}

const auth_backend_strategy_provider strategy_dbd = {
    dbd_configure,
    dbd_check_config,
    dbd_child_init,
    dbd_read,
    dbd_write,
    dbd_destroy,
    dbd_post_config,
    NULL,                       /* issuer: opaque tokens name none */
    NULL
};
