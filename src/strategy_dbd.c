/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * strategy_dbd.c — opaque tokens stored in SQL through mod_dbd's connection
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
 */

#include "auth_backend.h"

#include "http_core.h"
#include "apr_atomic.h"
#include "apr_dbd.h"            /* before mod_dbd.h, which uses its types */
#include "mod_dbd.h"
#include "mod_watchdog.h"
#include "apr_lib.h"
#include "apr_strings.h"

#define DEFAULT_TABLE           "accesstoken"
#define MAX_PURGE_INTERVAL      2592000     /* 30 days */
#define MAX_IDENTIFIER          63        /* PostgreSQL's NAMEDATALEN - 1 */
#define MAX_USER_LENGTH         1024
#define CREATE_RETRY_SECONDS    10
#define WATCH_NOT_YET           0xff      /* no sqlite_watch_state */
#define WATCHDOG_NAME           "auth_backend_dbd"

/* The statements, their option names and the parameters they are given,
 * in this order (a statement may use fewer, from the left). */
enum { STMT_SELECT, STMT_INSERT, STMT_DELETE, STMT_PURGE, STMT_COUNT };

static const struct {
    const char *key;
    int min_params, max_params;
    const char *params;
} statements[STMT_COUNT] = {
    { "select", 1, 2, "token, not-before" },
    { "insert", 2, 3, "token, user id, created-at" },
    { "delete", 1, 1, "token" },
    { "purge",  1, 1, "not-before" },
};

typedef enum { DIALECT_SQLITE, DIALECT_PGSQL } sql_dialect;

typedef struct {
    unsigned int id;                   /* makes the statement labels unique */
    const char *table;                 /* an SQL identifier, quoted in SQL */
    apr_int64_t lifetime;
    apr_int64_t purge_interval;        /* seconds; 0: off */
    apr_int64_t cache_size;            /* cache=: answers kept per process */
    int create_table;
    const char *custom[STMT_COUNT];    /* select= insert= delete= purge= */

    /* From check_config, for the server the <AuthBackend> is in. */
    const char *driver;                /* DBDriver */
    const char *params;                /* DBDParams: never logged */
    sql_dialect dialect;
    const char *sql[STMT_COUNT];       /* NULL: not prepared (purge off) */
    const char *label[STMT_COUNT];

    /* Per child process: create-table has succeeded; its last attempt. */
    apr_uint32_t table_ready;
    apr_uint32_t create_tried;
    /* Per child process, with cache=: NULL if it could not be made. */
    token_cache *cache;
    sqlite_watch *watch;
    apr_uint32_t watch_state;          /* the last one logged */
} dbd_conf;

/* mod_dbd's and mod_watchdog's functions, found at check_config time (in
 * the parent, so the children inherit them). */
static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *dbd_prepare_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close_fn;
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

/* Counts the parameters of an apr_dbd statement the way apr_dbd_prepare()
 * does ('%' and a letter; "%%" is a literal '%').  -1 for the BLOB/CLOB
 * types, which take extra values this strategy never passes. */
int statement_params(const char *sql)
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

static const char *option_on_off(apr_pool_t *p, const char *key,
                                 const char *v, int *out)
{
    if (!strcasecmp(v, "on")) {
        *out = 1;
    }
    else if (!strcasecmp(v, "off")) {
        *out = 0;
    }
    else {
        return apr_psprintf(p, "%s must be on or off", key);
    }
    return NULL;
}

static const char *dbd_configure(cmd_parms *cmd, auth_backend *be,
                                 apr_array_header_t *opts, void **ctx)
{
    static unsigned int next_id;
    dbd_conf *c = apr_pcalloc(cmd->pool, sizeof(*c));
    const char *v, *err;
    int i, n;

    (void)be;
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
    if ((v = auth_backend_option_take(opts, "lifetime"))
        && (err = option_int(cmd->pool, "lifetime", v, 1, TOKEN_MAX_LIFETIME,
                             &c->lifetime))) {
        return err;
    }
    if ((v = auth_backend_option_take(opts, "purge-interval"))
        && (err = option_int(cmd->pool, "purge-interval", v, 0,
                             MAX_PURGE_INTERVAL, &c->purge_interval))) {
        return err;
    }
    if ((v = auth_backend_option_take(opts, "cache"))
        && (err = option_int(cmd->pool, "cache", v, 0,
                             TOKEN_CACHE_MAX_SLOTS,
                             &c->cache_size))) {
        return err;
    }
    if ((v = auth_backend_option_take(opts, "create-table"))
        && (err = option_on_off(cmd->pool, "create-table", v,
                                &c->create_table))) {
        return err;
    }
    for (i = 0; i < STMT_COUNT; i++) {
        if (!(v = auth_backend_option_take(opts, statements[i].key))) {
            continue;
        }
        n = statement_params(v);
        if (n < statements[i].min_params || n > statements[i].max_params) {
            const char *range = statements[i].min_params
                                == statements[i].max_params
                ? apr_itoa(cmd->temp_pool, statements[i].max_params)
                : apr_psprintf(cmd->temp_pool, "%d to %d",
                               statements[i].min_params,
                               statements[i].max_params);
            return apr_psprintf(cmd->pool, "%s= must be an SQL statement with "
                                "%s parameters (%s), written %%s, or %%pDz "
                                "for a timestamp on PostgreSQL; it has %s",
                                statements[i].key, range,
                                statements[i].params,
                                n < 0 ? "a BLOB/CLOB parameter"
                                      : apr_itoa(cmd->temp_pool, n));
        }
        c->custom[i] = v;
    }
    c->id = ++next_id;
    *ctx = c;
    return NULL;
}

/* ---- startup ------------------------------------------------------------------ */

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

/* mod_dbd's setting NAME (DBDriver, DBDParams) for server S, merged as
 * mod_dbd merges it: a virtual host's own line, else the main server's.
 * It is read from the configuration tree because mod_dbd keeps its
 * configuration private, and -t must find a missing DBDriver too. */
const char *dbd_setting(apr_pool_t *p, const server_rec *s,
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

static const char *dbd_check_config(apr_pool_t *pconf, server_rec *s,
                                    auth_backend *be)
{
    dbd_conf *c = be->strategy_ctx;
    int i;

    dbd_prepare_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    dbd_open_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    wd_get_instance_fn = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_register_fn = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!dbd_prepare_fn || !dbd_open_fn || !dbd_close_fn) {
        return "the dbd strategy needs mod_dbd: add 'LoadModule dbd_module "
               "modules/mod_dbd.so' (a2enmod dbd)";
    }
    if (c->purge_interval && (!wd_get_instance_fn || !wd_register_fn)) {
        return "purge-interval needs mod_watchdog: add 'LoadModule "
               "watchdog_module modules/mod_watchdog.so'";
    }
    c->driver = dbd_setting(pconf, s, "DBDriver");
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
    c->params = dbd_setting(pconf, s, "DBDParams");
    if (!c->params) {
        c->params = "";
    }
    if (c->cache_size && c->dialect != DIALECT_SQLITE) {
        return "cache= works with DBDriver sqlite3 only: it follows the "
               "SQLite file's change counter, and a PostgreSQL server has "
               "nothing a child could read without a query; use cache=0";
    }
    if (c->cache_size && c->custom[STMT_SELECT]) {
        return "cache= works with the built-in select only: a custom "
               "select= may depend on more than the rows (the clock, say), "
               "which the cache could not follow; drop select= or cache=";
    }
    if (c->cache_size && c->params[0] != '/') {
        return "cache= needs DBDParams to be the SQLite file's absolute "
               "path (starting with '/'): the cache watches that file for "
               "changes";
    }

    /* mod_dbd prepares these on each connection it opens for S; a label
     * is also the name of a PostgreSQL prepared statement. */
    for (i = 0; i < STMT_COUNT; i++) {
        if (i == STMT_PURGE && !c->purge_interval) {
            continue;
        }
        c->sql[i] = c->custom[i] ? c->custom[i] : default_sql(pconf, c, i);
        c->label[i] = apr_psprintf(pconf, "auth_backend_%u_%s", c->id,
                                   statements[i].key);
        dbd_prepare_fn(s, c->sql[i], c->label[i]);
    }
    return NULL;
}

/* The driver's last error, without the newline libpq ends it with. */
static const char *driver_error(apr_pool_t *p, const apr_dbd_driver_t *driver,
                                apr_dbd_t *handle, int rv)
{
    const char *msg = apr_dbd_error(driver, handle, rv);
    apr_size_t n = msg ? strlen(msg) : 0;

    while (n && apr_isspace(msg[n - 1])) {
        n--;
    }
    return n ? apr_pstrmemdup(p, msg, n) : "(no detail)";
}

/* ---- create-table ------------------------------------------------------------- */

/* Creates the table (and its index, as fastapi-users has it) over a
 * connection of its own: mod_dbd's connections cannot be opened while the
 * table is missing, since preparing a statement on it fails. */
static int table_create(apr_pool_t *pool, server_rec *s,
                        const auth_backend *be)
{
    dbd_conf *c = be->strategy_ctx;
    const char *t = c->table, *err = NULL, *sql[2];
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle = NULL;
    apr_pool_t *p;
    apr_status_t rv;
    int i, attempt, nrows, ok = 1;

    sql[0] = apr_psprintf(pool, "CREATE TABLE IF NOT EXISTS \"%s\" (token "
                          "VARCHAR(43) NOT NULL PRIMARY KEY, created_at %s "
                          "NOT NULL, user_id VARCHAR(%d) NOT NULL)", t,
                          c->dialect == DIALECT_PGSQL
                          ? "TIMESTAMP WITH TIME ZONE" : "TIMESTAMP",
                          MAX_USER_LENGTH);
    sql[1] = apr_psprintf(pool, "CREATE INDEX IF NOT EXISTS "
                          "\"ix_%s_created_at\" ON \"%s\" (created_at)",
                          t, t);

    apr_pool_create(&p, pool);
    rv = apr_dbd_get_driver(p, c->driver, &driver);
    if (rv == APR_SUCCESS) {
        rv = apr_dbd_open_ex(driver, p, c->params, &handle, &err);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "backend '%s': "
                     "create-table: cannot connect to the %s database: %s",
                     be->name, c->driver, err ? err : "(no detail)");
        apr_pool_destroy(p);
        return 0;
    }
    for (i = 0; i < 2 && ok; i++) {
        /* children starting together race to create it */
        for (attempt = 0; attempt < 3; attempt++) {
            if (!(ok = !apr_dbd_query(driver, handle, &nrows, sql[i]))) {
                err = driver_error(pool, driver, handle, 1);
                apr_sleep(apr_time_from_msec(200));
                continue;
            }
            break;
        }
    }
    if (ok) {
        apr_atomic_set32(&c->table_ready, 1);
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "backend '%s': table "
                     "\"%s\" is there (create-table)", be->name, t);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "backend '%s': "
                     "create-table: cannot create table \"%s\": %s",
                     be->name, t, err);
    }
    apr_dbd_close(driver, handle);
    apr_pool_destroy(p);
    return ok;
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
        table_create(pchild, be->server, be);
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

/* ---- statements ----------------------------------------------------------------- */

/* A database call: where it runs and where to log. */
typedef struct {
    request_rec *r;              /* NULL in the purge */
    server_rec *s;
    apr_pool_t *pool;
    const auth_backend *be;
    dbd_conf *c;
    ap_dbd_t *dbd;
} dbd_call;

static void call_log(const dbd_call *x, int level, const char *msg)
{
    if (x->r) {
        ap_log_rerror(APLOG_MARK, level, 0, x->r, "backend '%s': %s",
                      x->be->name, msg);
    }
    else {
        ap_log_error(APLOG_MARK, level, 0, x->s, "backend '%s': %s",
                     x->be->name, msg);
    }
}

/* "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, as SQLAlchemy writes and compares
 * it on SQLite; on PostgreSQL with "+00", an instant that does not depend
 * on the session's TimeZone. */
static const char *utc_text(apr_pool_t *p, apr_time_t t, sql_dialect d)
{
    apr_time_exp_t tm;

    apr_time_exp_gmt(&tm, t);
    return apr_psprintf(p, "%04d-%02d-%02d %02d:%02d:%02d.%06d%s",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_usec,
                        d == DIALECT_PGSQL ? "+00" : "");
}

/* A connection from mod_dbd's pool of the server the backend is in.
 * With create-table, a missing table keeps the pool from opening any
 * connection: try to create it again, now and then. */
static int call_open(dbd_call *x)
{
    dbd_conf *c = x->c;

    x->dbd = dbd_open_fn(x->pool, x->be->server);
    if (!x->dbd && c->create_table && !apr_atomic_read32(&c->table_ready)) {
        apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
        apr_uint32_t last = apr_atomic_read32(&c->create_tried);

        if (now - last >= CREATE_RETRY_SECONDS
            && apr_atomic_cas32(&c->create_tried, now, last) == last
            && table_create(x->pool, x->be->server, x->be)) {
            x->dbd = dbd_open_fn(x->pool, x->be->server);
        }
    }
    if (!x->dbd) {
        call_log(x, APLOG_ERR, apr_psprintf(x->pool, "the %s database is "
                 "unavailable: mod_dbd has no connection to it (its own "
                 "message above gives the reason)", c->driver));
        return 0;
    }
    return 1;
}

static void call_close(dbd_call *x)
{
    dbd_close_fn(x->be->server, x->dbd);
    x->dbd = NULL;
}

/* A prepared statement can go stale while its connection stays in the
 * pool: PostgreSQL forgets it when a broken connection is reset (which is
 * how mod_dbd's connection check revives one after the server restarted),
 * and apr's SQLite driver uses the legacy sqlite3_prepare(), whose
 * statements fail for good once any schema change (a migration, another
 * table) happened.  So after a failure, prepare statement WHICH again and
 * let the caller retry once.  On PostgreSQL that succeeds only if it was
 * missing (the name is taken otherwise).  On SQLite the old statement stays
 * with the handle until it closes, so not for a locked database, which a
 * new statement would not cure. */
static int call_reprepare(dbd_call *x, int which, const char **error)
{
    apr_dbd_prepared_t *stmt = NULL;
    int rv;

    if (x->c->dialect == DIALECT_PGSQL
        ? apr_dbd_check_conn(x->dbd->driver, x->pool, x->dbd->handle)
          != APR_SUCCESS
        : strstr(*error, "locked") != NULL) {
        return 0;
    }
    rv = apr_dbd_prepare(x->dbd->driver, x->dbd->pool, x->dbd->handle,
                         x->c->sql[which], x->c->label[which], &stmt);
    if (rv || !stmt) {
        if (x->c->dialect == DIALECT_SQLITE) {
            /* the stale statement's own message may be "not an error" */
            *error = apr_pstrcat(x->pool, *error, "; preparing it again: ",
                                 driver_error(x->pool, x->dbd->driver,
                                              x->dbd->handle, rv), NULL);
        }
        return 0;
    }
    apr_hash_set(x->dbd->prepared, x->c->label[which], APR_HASH_KEY_STRING,
                 stmt);
    call_log(x, APLOG_INFO, apr_psprintf(x->pool, "prepared the %s "
             "statement again (%s)", statements[which].key, *error));
    return 1;
}

/* Runs statement WHICH with ARGS: a random-access select into *RES, or a
 * query counting *NROWS. */
static auth_backend_status call_run(dbd_call *x, int which, const char **args,
                                    apr_dbd_results_t **res, int *nrows)
{
    const apr_dbd_driver_t *driver = x->dbd->driver;
    const char *msg = NULL;
    int attempt, rv;

    for (attempt = 0; attempt < 2; attempt++) {
        apr_dbd_prepared_t *stmt = apr_hash_get(x->dbd->prepared,
                                                x->c->label[which],
                                                APR_HASH_KEY_STRING);
        if (!stmt) {
            call_log(x, APLOG_ERR, apr_psprintf(x->pool, "the %s statement "
                     "is not prepared on this connection",
                     statements[which].key));
            return AUTH_BACKEND_ERROR;
        }
        if (res) {
            *res = NULL;
            rv = apr_dbd_pselect(driver, x->pool, x->dbd->handle, res, stmt,
                                 1 /* random access */, 0, args);
        }
        else {
            rv = apr_dbd_pquery(driver, x->pool, x->dbd->handle, nrows, stmt,
                                0, args);
        }
        if (rv == 0) {
            return AUTH_BACKEND_OK;
        }
        msg = driver_error(x->pool, driver, x->dbd->handle, rv);
        if (attempt || !call_reprepare(x, which, &msg)) {
            break;
        }
    }
    call_log(x, APLOG_ERR, apr_psprintf(x->pool, "the %s database failed "
             "the %s statement: %s", x->c->driver, statements[which].key,
             msg));
    return AUTH_BACKEND_UNAVAILABLE;
}

static void call_init(dbd_call *x, request_rec *r, const auth_backend *be)
{
    x->r = r;
    x->s = r->server;
    x->pool = r->pool;
    x->be = be;
    x->c = be->strategy_ctx;
    x->dbd = NULL;
}

/* ---- read, write, destroy -------------------------------------------------------- */

/* The one row of a select, its first column the user; with CREATED, the
 * second column (created_at), NULL if there is none. */
static auth_backend_status select_user(dbd_call *x, apr_dbd_results_t *res,
                                       const char **user,
                                       const char **created)
{
    const apr_dbd_driver_t *driver = x->dbd->driver;
    apr_dbd_row_t *row = NULL;
    const char *v, *c;
    int n = apr_dbd_num_tuples(driver, res);

    if (n == 0) {
        audit_token_refused(x->r, x->be, REFUSED_UNKNOWN,
                            "not in the store: unknown, expired or revoked");
        return AUTH_BACKEND_DENIED;
    }
    if (n != 1 || apr_dbd_num_cols(driver, res) < 1
        || apr_dbd_get_row(driver, x->pool, res, &row, 1) != 0) {
        call_log(x, APLOG_ERR, apr_psprintf(x->pool, "the select statement "
                 "returned %d rows; a token must match at most one row, "
                 "whose first column is the user id", n));
        return AUTH_BACKEND_ERROR;
    }
    v = apr_dbd_get_entry(driver, row, 0);
    for (c = v; c && *c && !apr_iscntrl(*c); c++)
        ;
    if (!v || !*v || *c || c - v > MAX_USER_LENGTH) {
        audit_token_refused(x->r, x->be, REFUSED_BAD_USER, "its user_id is "
                            "empty, too long or holds control characters");
        return AUTH_BACKEND_DENIED;
    }
    *user = apr_pstrdup(x->pool, v);
    if (created) {
        v = apr_dbd_num_cols(driver, res) < 2 ? NULL
            : apr_dbd_get_entry(driver, row, 1);
        *created = v ? apr_pstrdup(x->pool, v) : NULL;
    }
    return AUTH_BACKEND_OK;
}

/* ---- cache= ----------------------------------------------------------------------- */

/* The database file's generation into GEN; 0 if it has none now.  Each
 * change between following it and not is logged once (a busy writer is
 * not news). */
static int cache_generation(request_rec *r, const auth_backend *be,
                            dbd_conf *c, unsigned char *gen)
{
    const char *why;
    sqlite_watch_state st = sqlite_watch_read(c->watch, gen, &why);

    if (st == SQLITE_WATCH_BUSY
        || apr_atomic_xchg32(&c->watch_state, st) == st) {
        return st == SQLITE_WATCH_CURRENT;
    }
    if (st == SQLITE_WATCH_CURRENT) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "backend '%s': token "
                      "cache on: it follows the change counter of the "
                      "SQLite file (DBDParams)", be->name);
    }
    else {
        ap_log_rerror(APLOG_MARK, st == SQLITE_WATCH_WAL ? APLOG_NOTICE
                      : APLOG_WARNING, 0, r, "backend '%s': token cache "
                      "unused: the SQLite file (DBDParams) cannot be "
                      "followed, %s; every token is looked up", be->name,
                      why);
    }
    return st == SQLITE_WATCH_CURRENT;
}

/* Remembers what the select said of TOKEN, read under generation GEN, if
 * the file still has it (nothing committed during the select, which may
 * also have rolled back a crashed writer's changes) and the row's
 * created_at is the exact text whose comparison the select made. */
static void cache_remember(request_rec *r, const auth_backend *be,
                           dbd_conf *c, const unsigned char *gen,
                           const char *token, const char *user,
                           const char *created)
{
    unsigned char after[TOKEN_CACHE_GENERATION];
    apr_time_t t;

    if (!created || !sqlite_text_time(created, &t)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "backend '%s': not "
                      "cached: created_at is not YYYY-MM-DD HH:MM:SS.ffffff",
                      be->name);
        return;
    }
    t += apr_time_from_sec(c->lifetime);
    if (t > apr_time_now() && cache_generation(r, be, c, after)
        && !memcmp(after, gen, TOKEN_CACHE_GENERATION)) {
        token_cache_put(c->cache, gen, token, (double)t / APR_USEC_PER_SEC,
                        user, "");
    }
}

static auth_backend_status dbd_read(request_rec *r, const auth_backend *be,
                                    const char *token, const char **user,
                                    const char **claims)
{
    dbd_conf *c = be->strategy_ctx;
    dbd_call x;
    apr_dbd_results_t *res = NULL;
    unsigned char gen[TOKEN_CACHE_GENERATION];
    const char *args[2], *created = NULL, *ignored;
    auth_backend_status st;
    apr_time_t now = apr_time_now();
    int watched = 0;                   /* GEN was read */

    (void)claims;
    /* checked before any query: only what this strategy issues */
    if (!token_is_opaque(token)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "backend '%s': the "
                      "token is not an opaque token", be->name);
        return AUTH_BACKEND_NOT_MINE;
    }
    if (c->cache && (watched = cache_generation(r, be, c, gen))
        && token_cache_get(c->cache, gen, token,
                           (double)now / APR_USEC_PER_SEC, r->pool, user,
                           &ignored)) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "backend '%s': token "
                      "found in the cache", be->name);
        return AUTH_BACKEND_OK;
    }
    call_init(&x, r, be);
    if (!call_open(&x)) {
        return AUTH_BACKEND_UNAVAILABLE;
    }
    args[0] = token;
    args[1] = utc_text(r->pool, now - apr_time_from_sec(c->lifetime),
                       c->dialect);
    st = call_run(&x, STMT_SELECT, args, &res, NULL);
    if (st == AUTH_BACKEND_OK) {
        st = select_user(&x, res, user, watched ? &created : NULL);
    }
    call_close(&x);
    if (st == AUTH_BACKEND_OK && watched) {
        cache_remember(r, be, c, gen, token, *user, created);
    }
    return st;
}

static auth_backend_status dbd_write(request_rec *r, const auth_backend *be,
                                     const char *user, const char **token)
{
    dbd_call x;
    const char *args[3];
    auth_backend_status st;
    apr_status_t rv;
    int nrows = 0;

    call_init(&x, r, be);
    if ((rv = token_generate_opaque(r->pool, token)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "backend '%s': cannot "
                      "draw random bytes for a token", be->name);
        return AUTH_BACKEND_ERROR;
    }
    if (!call_open(&x)) {
        return AUTH_BACKEND_UNAVAILABLE;
    }
    args[0] = *token;
    args[1] = user;
    args[2] = utc_text(r->pool, apr_time_now(), x.c->dialect);
    st = call_run(&x, STMT_INSERT, args, NULL, &nrows);
    call_close(&x);
    if (st == AUTH_BACKEND_OK && nrows != 1) {
        call_log(&x, APLOG_ERR, apr_psprintf(r->pool, "the insert statement "
                 "stored %d rows instead of one", nrows));
        st = AUTH_BACKEND_ERROR;
    }
    return st;
}

static auth_backend_status dbd_destroy(request_rec *r, const auth_backend *be,
                                       const char *token)
{
    dbd_call x;
    const char *args[1];
    auth_backend_status st;
    int nrows = 0;

    call_init(&x, r, be);
    if (!call_open(&x)) {
        return AUTH_BACKEND_UNAVAILABLE;
    }
    args[0] = token;
    st = call_run(&x, STMT_DELETE, args, NULL, &nrows);
    call_close(&x);
    if (st == AUTH_BACKEND_OK && nrows == 0) {
        call_log(&x, APLOG_DEBUG, "logout: the token was already gone");
    }
    return st;
}

/* ---- purge ------------------------------------------------------------------------ */

/* A mod_watchdog callback of a singleton watchdog: it runs in one child
 * process only, as the user httpd runs as. */
static apr_status_t dbd_purge(int state, void *data, apr_pool_t *pool)
{
    const auth_backend *be = data;
    dbd_call x = { NULL, be->server, pool, be, be->strategy_ctx, NULL };
    const char *args[1];
    int nrows = 0;

    if (state != AP_WATCHDOG_STATE_RUNNING) {
        return APR_SUCCESS;
    }
    if (!call_open(&x)) {
        return APR_SUCCESS;     /* a failure would stop the callback */
    }
    args[0] = utc_text(pool, apr_time_now()
                       - apr_time_from_sec(x.c->lifetime), x.c->dialect);
    if (call_run(&x, STMT_PURGE, args, NULL, &nrows) == AUTH_BACKEND_OK) {
        call_log(&x, nrows ? APLOG_INFO : APLOG_DEBUG,
                 apr_psprintf(pool, "purged %d expired tokens", nrows));
    }
    call_close(&x);
    return APR_SUCCESS;
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
    dbd_post_config
};
