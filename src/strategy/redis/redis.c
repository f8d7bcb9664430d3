/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * redis.c — opaque tokens kept in Redis, exactly as fastapi-users'
 * RedisStrategy keeps them, so that both accept each other's tokens and
 * any number of httpd nodes share them:
 *
 *   login   SET <prefix><token> <user> EX <lifetime>
 *   read    GET <prefix><token>
 *   logout  DEL <prefix><token>
 *
 * With cache= each child also remembers the answers, and Redis tells it
 * when a key changes (tracking.c).
 *
 * Commands go out through redisCommandArgv (binary-safe, nothing is
 * formatted into a command string), and only a token of the opaque shape
 * (token_is_opaque) ever reaches Redis.  Connections, retries and Sentinel
 * live in pool.c; an unreachable Redis is AUTH_BACKEND_UNAVAILABLE.
 */

#include "common/common.h"
#include "strategy/redis/redis.h"

#include "apr_atomic.h"
#include "apr_lib.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include <jansson.h>

#define DEFAULT_KEY_PREFIX      "fastapi_users_token:"
#define DEFAULT_TIMEOUT_MS  500
#define MAX_TIMEOUT_MS      60000
#define DEFAULT_CACHE_LAG_MS 1000
#define MIN_CACHE_LAG_MS    10
#define MAX_PREFIX_LENGTH   1024
#define MAX_USER_LENGTH     1024

typedef struct {
    redis_url url;
    redis_target target;
    const char *prefix;
    const char *lifetime;       /* the EX argument, as text */
    apr_int64_t cache_size;     /* cache=: lookups kept per process */
    apr_int64_t cache_lag;      /* cache-lag=, milliseconds */
    apr_uint32_t *revoked;      /* shared by the children: moves on with
                                 * every logout through this server */
    redis_pool *pool;           /* per child process, from child_init */
    redis_tracking *tracking;   /* likewise; NULL: no cache */
} redis_conf;

/* ---- configuration --------------------------------------------------------- */

static void warn_literal(cmd_parms *cmd, const auth_backend *be)
{
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                 "%s:%d: backend '%s': url= holds a password written "
                 "literally in the configuration; prefer password=file:PATH "
                 "(mode 0600) or password=env:VAR",
                 cmd->directive->filename, cmd->directive->line_num,
                 be->name);
}

/* password= and sentinel-password=: a secret that AUTH takes as a string */
static const char *take_password(cmd_parms *cmd, const auth_backend *be,
                                 apr_array_header_t *opts, const char *key,
                                 const char **out)
{
    const char *spec = auth_backend_option_take(opts, key), *err;
    apr_size_t len;

    if (!spec) {
        return NULL;
    }
    if ((err = option_secret(cmd, be, key, spec, out, &len))) {
        return err;
    }
    if (strlen(*out) != len) {
        return apr_psprintf(cmd->pool, "%s holds a NUL byte", key);
    }
    return NULL;
}

static const char *configure_credentials(cmd_parms *cmd,
                                         const auth_backend *be,
                                         apr_array_header_t *opts,
                                         redis_conf *c)
{
    redis_login *login = &c->target.login;
    const char *user = auth_backend_option_take(opts, "user");
    const char *password = NULL, *err;

    if ((err = take_password(cmd, be, opts, "password", &password))) {
        return err;
    }
    if (user && c->url.user) {
        return "the user is given twice: in user= and in url=";
    }
    if (user && !*user) {
        return "user is empty";
    }
    if (password && c->url.password) {
        return "the password is given twice: in password= and in url=";
    }
    if (c->url.password) {
        warn_literal(cmd, be);
    }
    login->user = user ? user : c->url.user;
    login->password = password ? password : c->url.password;
    if (login->user && !login->password) {
        return "a user needs a password: password=file:PATH, or "
               "USER:PASSWORD@ in url=";
    }

    if ((err = take_password(cmd, be, opts, "sentinel-password",
                             &c->target.sentinel_login.password))) {
        return err;
    }
    if (c->target.sentinel_login.password
        && c->url.kind != REDIS_URL_SENTINEL) {
        return "sentinel-password= is for redis-sentinel:// URLs only";
    }
    return NULL;
}

/* cache= and cache-lag= */
static const char *configure_cache(cmd_parms *cmd, apr_array_header_t *opts,
                                   redis_conf *c)
{
    const char *err;

    if ((err = option_take_int(cmd->pool, opts, "cache", NULL, 0,
                               TOKEN_CACHE_MAX_SLOTS, &c->cache_size))) {
        return err;
    }
    c->cache_lag = DEFAULT_CACHE_LAG_MS;
    if ((err = option_take_int(cmd->pool, opts, "cache-lag",
                               "cache-lag (milliseconds)", MIN_CACHE_LAG_MS,
                               MAX_TIMEOUT_MS, &c->cache_lag))) {
        return err;
    }
    if (c->cache_size && c->url.kind == REDIS_URL_SENTINEL) {
        /* the subscription would stay with a master that Sentinel may
         * replace without telling it: invalidations could be lost */
        return "cache= cannot be used with redis-sentinel:// URLs: after a "
               "failover the invalidations of the new master could be "
               "missed; use cache=0";
    }
    return NULL;
}

static const char *redis_configure(cmd_parms *cmd, auth_backend *be,
                                   apr_array_header_t *opts, void **ctx)
{
    redis_conf *c = apr_pcalloc(cmd->pool, sizeof(*c));
    apr_int64_t lifetime = TOKEN_DEFAULT_LIFETIME, timeout = DEFAULT_TIMEOUT_MS;
    const char *v, *err;

    if (!(v = auth_backend_option_take(opts, "url"))) {
        return "url= is required: url=redis://HOST[:PORT][/DB], "
               "url=unix:/PATH[?db=N] or "
               "url=redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER-NAME";
    }
    if ((err = redis_url_parse(cmd->pool, v, &c->url))) {
        return apr_pstrcat(cmd->pool, "url: ", err, NULL);
    }
    if ((err = configure_credentials(cmd, be, opts, c))) {
        return err;
    }

    c->prefix = DEFAULT_KEY_PREFIX;
    if ((v = auth_backend_option_take(opts, "prefix"))) {
        const char *p;
        if (!*v) {
            /* fastapi-users #1043: without a prefix any key of the
             * database passes for a token */
            return "prefix is empty; keep the default " DEFAULT_KEY_PREFIX
                   " or give another";
        }
        for (p = v; *p; p++) {
            if (apr_iscntrl(*p)) {
                return "prefix holds a control character";
            }
        }
        if (strlen(v) > MAX_PREFIX_LENGTH) {
            return "prefix is longer than 1024 bytes";
        }
        c->prefix = v;
    }
    if ((err = option_take_int(cmd->pool, opts, "lifetime", NULL, 1,
                               TOKEN_MAX_LIFETIME, &lifetime))) {
        return err;
    }
    if ((err = option_take_int(cmd->pool, opts, "timeout",
                               "timeout (milliseconds)", 1, MAX_TIMEOUT_MS,
                               &timeout))) {
        return err;
    }
    if ((err = configure_cache(cmd, opts, c))) {
        return err;
    }
    c->lifetime = apr_psprintf(cmd->pool, "%" APR_INT64_T_FMT, lifetime);
    c->target.url = &c->url;
    c->target.timeout = apr_time_from_msec(timeout);
    c->target.login.db = c->url.db;
    c->target.login.require_master = c->url.kind == REDIS_URL_SENTINEL;
    *ctx = c;
    return NULL;
}

static void redis_child_init(apr_pool_t *pchild, server_rec *s,
                             auth_backend *be)
{
    redis_conf *c = be->strategy_ctx;

    if (!(c->pool = redis_pool_create(pchild, &c->target))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "backend '%s': cannot "
                     "create the Redis connection pool of this process",
                     be->name);
    }
    if (c->cache_size
        && !(c->tracking = redis_tracking_create(
                 pchild, &c->target, c->prefix, (unsigned int)c->cache_size,
                 apr_time_from_msec(c->cache_lag), c->revoked))) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "backend '%s': cannot "
                     "create the token cache of this process; every token "
                     "is looked up in Redis", be->name);
    }
}

/* ---- requests ---------------------------------------------------------------- */

/* VERB PREFIX+TOKEN [ARG ...] on the backend's Redis.  NULL (logged) when
 * Redis cannot be reached. */
static redisReply *store(request_rec *r, const auth_backend *be,
                         const char *verb, const char *token,
                         const char *arg1, const char *arg2,
                         const char *arg3)
{
    const redis_conf *c = be->strategy_ctx;
    const char *argv[5];
    size_t lens[5];
    int argc = 0;
    redis_failure f = { REDIS_FAIL_NONE, NULL };
    redisReply *reply;
    int i;

    if (!c->pool) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "backend '%s': no Redis "
                      "connection pool in this process", be->name);
        return NULL;
    }
    argv[argc++] = verb;
    argv[argc++] = apr_pstrcat(r->pool, c->prefix, token, NULL);
    if (arg1) {
        argv[argc++] = arg1;
    }
    if (arg2) {
        argv[argc++] = arg2;
    }
    if (arg3) {
        argv[argc++] = arg3;
    }
    for (i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    reply = redis_pool_command(c->pool, r, be->name, argc, argv, lens, &f);
    if (!reply) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "backend '%s': token "
                      "store %s unavailable: %s", be->name, c->url.redacted,
                      f.cause);
    }
    return reply;
}

/* Redis answered, but not what VERB answers. */
static auth_backend_status unexpected(request_rec *r, const auth_backend *be,
                                      const char *verb, redisReply *reply)
{
    const redis_conf *c = be->strategy_ctx;

    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "backend '%s': token store "
                  "%s unavailable: it answered %s to %s", be->name,
                  c->url.redacted, redis_error_code(r->pool, reply), verb);
    freeReplyObject(reply);
    return AUTH_BACKEND_UNAVAILABLE;
}

/* What is wrong with the value stored for a token, or NULL: it becomes
 * REMOTE_USER and goes into log lines and CGI variables. */
static const char *user_problem(const redisReply *reply)
{
    json_t *utf8;
    apr_size_t i;

    if (reply->len == 0) {
        return "it is empty";
    }
    if (reply->len > MAX_USER_LENGTH) {
        return "it is longer than 1024 bytes";
    }
    for (i = 0; i < reply->len; i++) {
        if (apr_iscntrl(reply->str[i])) {
            return "it holds control characters";
        }
    }
    if (!(utf8 = json_stringn(reply->str, reply->len))) {
        return "it is not valid UTF-8";
    }
    json_decref(utf8);
    return NULL;
}

/* cache=: how long the key of TOKEN, just read as USER's, has left; the
 * answer is cached for that long unless it changed meanwhile. */
static void remember(request_rec *r, const auth_backend *be,
                     const char *token, const char *user,
                     apr_uint64_t ticket)
{
    const redis_conf *c = be->strategy_ctx;
    apr_time_t asked = apr_time_now();
    redisReply *reply = store(r, be, "PTTL", token, NULL, NULL, NULL);

    if (!reply) {
        return;
    }
    if (reply->type == REDIS_REPLY_INTEGER) {
        redis_tracking_put(c->tracking, r, be->name, token, user, asked,
                           reply->integer, ticket);
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "backend '%s': %s "
                      "answered %s to PTTL; the token is not cached",
                      be->name, c->url.redacted,
                      redis_error_code(r->pool, reply));
    }
    freeReplyObject(reply);
}

/* GET: whose TOKEN is, from Redis; with TICKET, the answer is cached. */
static auth_backend_status lookup(request_rec *r, const auth_backend *be,
                                  const char *token, const char **user,
                                  apr_uint64_t ticket)
{
    redisReply *reply;
    const char *why;

    if (!(reply = store(r, be, "GET", token, NULL, NULL, NULL))) {
        return AUTH_BACKEND_UNAVAILABLE;
    }
    switch (reply->type) {
    case REDIS_REPLY_NIL:
        audit_token_refused(r, be, REFUSED_UNKNOWN,
                            "not in the store: unknown, expired or revoked");
        freeReplyObject(reply);
        return AUTH_BACKEND_DENIED;
    case REDIS_REPLY_STRING:
        if ((why = user_problem(reply))) {
            audit_token_refused(r, be, REFUSED_BAD_USER,
                                apr_pstrcat(r->pool, "the user id stored for "
                                            "it is not usable: ", why, NULL));
            freeReplyObject(reply);
            return AUTH_BACKEND_DENIED;
        }
        *user = apr_pstrmemdup(r->pool, reply->str, reply->len);
        freeReplyObject(reply);
        if (ticket) {
            remember(r, be, token, *user, ticket);
        }
        return AUTH_BACKEND_OK;
    default:
        return unexpected(r, be, "GET", reply);
    }
}

static auth_backend_status redis_read(request_rec *r, const auth_backend *be,
                                      const char *token, const char **user,
                                      const char **claims)
{
    const redis_conf *c = be->strategy_ctx;
    apr_time_t start = apr_time_now();
    apr_uint64_t ticket = 0;
    int subscribe = 0;
    auth_backend_status st;

    (void)claims;
    if (!token_is_opaque(token)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "backend '%s': the "
                      "token is not an opaque token", be->name);
        return AUTH_BACKEND_NOT_MINE;
    }
    if (c->tracking
        && redis_tracking_get(c->tracking, r, be->name, token, user, &ticket,
                              &subscribe)) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "backend '%s': token "
                      "found in the cache", be->name);
        return AUTH_BACKEND_OK;
    }
    st = lookup(r, be, token, user, ticket);
    if (subscribe) {
        /* after the lookup, within what is left of the same timeout=:
         * the cache never makes a request wait longer, nor fail */
        redis_tracking_subscribe(c->tracking, r, be->name,
                                 st == AUTH_BACKEND_UNAVAILABLE
                                 ? start : start + c->target.timeout);
    }
    return st;
}

static auth_backend_status redis_write(request_rec *r, const auth_backend *be,
                                       const char *user, const char **token)
{
    const redis_conf *c = be->strategy_ctx;
    const char *tok;
    redisReply *reply;
    apr_status_t rv;

    if ((rv = token_generate_opaque(r->pool, &tok)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "backend '%s': cannot "
                      "draw random bytes for a token", be->name);
        return AUTH_BACKEND_ERROR;
    }
    if (!(reply = store(r, be, "SET", tok, user, "EX", c->lifetime))) {
        return AUTH_BACKEND_UNAVAILABLE;
    }
    if (reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "OK")) {
        return unexpected(r, be, "SET", reply);
    }
    freeReplyObject(reply);
    *token = tok;
    return AUTH_BACKEND_OK;
}

static auth_backend_status redis_destroy(request_rec *r,
                                         const auth_backend *be,
                                         const char *token)
{
    const redis_conf *c = be->strategy_ctx;
    redisReply *reply;

    if (!token_is_opaque(token)) {
        return AUTH_BACKEND_DENIED;
    }
    if (!(reply = store(r, be, "DEL", token, NULL, NULL, NULL))) {
        return AUTH_BACKEND_UNAVAILABLE;
    }
    if (reply->type != REDIS_REPLY_INTEGER) {
        return unexpected(r, be, "DEL", reply);
    }
    freeReplyObject(reply);
    /* after the DEL: a lookup that read the key before it cannot cache
     * it any more (redis_tracking_forget moves the ticket on) */
    if (c->tracking) {
        redis_tracking_forget(c->tracking, token);
    }
    return AUTH_BACKEND_OK;
}

/* cache=: the counter of logouts that every child of this server
 * follows, so that a logout here is refused at once by all of them,
 * whatever their subscriptions lag behind. */
static const char *redis_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                     server_rec *s, auth_backend *be)
{
    redis_conf *c = be->strategy_ctx;
    apr_shm_t *shm;
    apr_status_t rv;

    (void)ptemp;
    (void)s;
    if (!c->cache_size) {
        return NULL;
    }
    rv = apr_shm_create(&shm, sizeof(*c->revoked), NULL, pconf);
    if (rv != APR_SUCCESS) {
        char buf[120];
        return apr_psprintf(pconf, "cache=: no shared memory for the "
                            "logouts of the children: %s",
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    c->revoked = apr_shm_baseaddr_get(shm);
    apr_atomic_set32(c->revoked, 0);
    return NULL;
}

const auth_backend_strategy_provider strategy_redis = {
    redis_configure,
    NULL,                       /* check_config */
    redis_child_init,
    redis_read,
    redis_write,
    redis_destroy,
    redis_post_config,
    NULL,                       /* issuer: opaque tokens name none */
    NULL
};
