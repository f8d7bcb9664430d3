/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * store.c — the dbd strategy's token table: created with create-table,
 * read for each request (through the cache= of SQLite), written at login,
 * deleted from at logout and purged of expired rows.  The statements run
 * through the module's SQL layer (common/sql.c).
 */

#include "strategy/dbd/dbd.h"

#include "apr_atomic.h"
#include "mod_watchdog.h"
#include "apr_lib.h"
#include "apr_strings.h"

#define MAX_USER_LENGTH         1024
#define CREATE_RETRY_SECONDS    10

const dbd_statement dbd_statements[STMT_COUNT] = {
    { "select", 1, 2, "token, not-before", "the select statement" },
    { "insert", 2, 3, "token, user id, created-at", "the insert statement" },
    { "delete", 1, 1, "token", "the delete statement" },
    { "purge",  1, 1, "not-before", "the purge statement" },
};


/* ---- create-table ------------------------------------------------------------- */

/* Creates the table (and its index, as fastapi-users has it) over a
 * connection of its own: mod_dbd's connections cannot be opened while the
 * table is missing, since preparing a statement on it fails. */
int dbd_table_create(apr_pool_t *pool, server_rec *s, const auth_backend *be)
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
                err = sql_driver_error(pool, driver, handle, 1);
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

/* ---- statements ----------------------------------------------------------------- */

/* A database call: where it runs and where to log. */
typedef struct {
    sql_call sql;                /* its r is NULL in the purge */
    const auth_backend *be;
    dbd_conf *c;
} dbd_call;

static void call_log(const dbd_call *x, int level, const char *msg)
{
    sql_log(&x->sql, level, msg);
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
    int rv = sql_connect(&x->sql, x->be->server);

    if (rv < 0) {
        return 0;               /* the guard said why */
    }
    if (!rv && c->create_table && !apr_atomic_read32(&c->table_ready)) {
        apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
        apr_uint32_t last = apr_atomic_read32(&c->create_tried);

        if (now - last >= CREATE_RETRY_SECONDS
            && apr_atomic_cas32(&c->create_tried, now, last) == last
            && dbd_table_create(x->sql.pool, x->be->server, x->be)) {
            x->sql.dbd = sql_open(x->sql.pool, x->be->server);
        }
    }
    if (!x->sql.dbd) {
        call_log(x, APLOG_ERR, apr_psprintf(x->sql.pool, "the %s database is "
                 "unavailable: mod_dbd has no connection to it (its own "
                 "message above gives the reason)", c->driver));
        return 0;
    }
    return 1;
}

static void call_close(dbd_call *x)
{
    sql_close(x->be->server, x->sql.dbd);
    x->sql.dbd = NULL;
}

/* Runs statement WHICH with ARGS: a select into *ROWS, or a query
 * counting *NROWS. */
static auth_backend_status call_run(dbd_call *x, int which, const char **args,
                                    sql_rows *rows, int *nrows)
{
    x->sql.what = dbd_statements[which].what;
    x->sql.sql = x->c->sql[which];
    x->sql.label = x->c->label[which];
    x->sql.nparams = x->c->nparams[which];
    switch (sql_run(&x->sql, args, rows, nrows)) {
    case SQL_OK:
        return AUTH_BACKEND_OK;
    case SQL_NOT_PREPARED:
        return AUTH_BACKEND_ERROR;
    default:
        return AUTH_BACKEND_UNAVAILABLE;
    }
}

static void call_init(dbd_call *x, request_rec *r, server_rec *s,
                      apr_pool_t *pool, const auth_backend *be)
{
    x->be = be;
    x->c = be->strategy_ctx;
    x->sql.r = r;
    x->sql.s = s;
    x->sql.pool = pool;
    x->sql.dbd = NULL;
    x->sql.who = x->c->who;
    x->sql.timeout = x->c->timeout;
    x->sql.guard = x->c->timeout ? &x->c->guard : NULL;
    x->sql.probe = 0;
}

/* ---- read, write, destroy -------------------------------------------------------- */

/* The one row of a select, its first column the user; with CREATED, the
 * second column (created_at), NULL if there is none. */
static auth_backend_status select_user(dbd_call *x, const sql_rows *rows,
                                       const char **user,
                                       const char **created)
{
    const char *v, *c;
    int n = rows->nrows;

    if (n == 0) {
        audit_token_refused(x->sql.r, x->be, REFUSED_UNKNOWN,
                            "not in the store: unknown, expired or revoked");
        return AUTH_BACKEND_DENIED;
    }
    if (n != 1 || rows->ncols < 1) {
        call_log(x, APLOG_ERR, apr_psprintf(x->sql.pool, "the select statement "
                 "returned %d rows; a token must match at most one row, "
                 "whose first column is the user id", n));
        return AUTH_BACKEND_ERROR;
    }
    v = rows->first[0];
    for (c = v; c && *c && !apr_iscntrl(*c); c++)
        ;
    if (!v || !*v || *c || c - v > MAX_USER_LENGTH) {
        audit_token_refused(x->sql.r, x->be, REFUSED_BAD_USER, "its user_id is "
                            "empty, too long or holds control characters");
        return AUTH_BACKEND_DENIED;
    }
    *user = apr_pstrdup(x->sql.pool, v);
    if (created) {
        v = rows->ncols < 2 ? NULL : rows->first[1];
        *created = v ? apr_pstrdup(x->sql.pool, v) : NULL;
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

auth_backend_status dbd_read(request_rec *r, const auth_backend *be,
                             const char *token, const char **user,
                             const char **claims)
{
    dbd_conf *c = be->strategy_ctx;
    dbd_call x;
    sql_rows rows;
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
    call_init(&x, r, r->server, r->pool, be);
    if (!call_open(&x)) {
        return AUTH_BACKEND_UNAVAILABLE;
    }
    args[0] = token;
    args[1] = utc_text(r->pool, now - apr_time_from_sec(c->lifetime),
                       c->dialect);
    st = call_run(&x, STMT_SELECT, args, &rows, NULL);
    if (st == AUTH_BACKEND_OK) {
        st = select_user(&x, &rows, user, watched ? &created : NULL);
    }
    call_close(&x);
    if (st == AUTH_BACKEND_OK && watched) {
        cache_remember(r, be, c, gen, token, *user, created);
    }
    return st;
}

auth_backend_status dbd_write(request_rec *r, const auth_backend *be,
                              const char *user, const char **token)
{
    dbd_call x;
    const char *args[3];
    auth_backend_status st;
    apr_status_t rv;
    int nrows = 0;

    call_init(&x, r, r->server, r->pool, be);
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

auth_backend_status dbd_destroy(request_rec *r, const auth_backend *be,
                                const char *token)
{
    dbd_call x;
    const char *args[1];
    auth_backend_status st;
    int nrows = 0;

    call_init(&x, r, r->server, r->pool, be);
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
apr_status_t dbd_purge(int state, void *data, apr_pool_t *pool)
{
    const auth_backend *be = data;
    dbd_call x;
    const char *args[1];
    int nrows = 0;

    call_init(&x, NULL, be->server, pool, be);
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

