/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * identity.c — the identity, handed to whatever runs behind Apache: a CGI
 * or SSI reads the environment (REMOTE_USER, AUTH_TYPE, AUTH_BACKEND and,
 * with AuthBackendPassClaims, AUTH_CLAIM_*), a proxied application reads
 * request headers (X-Auth-Claim-*, AuthBackendUserHeader).
 *
 * Headers a client sent under these names are removed first (scrub.c).
 * Claims whose names are the same for the application ("role", "ROLE",
 * "r_le" and "r-le") are not passed at all: one silently overwriting
 * another would show the application what no Require line saw.
 */

#include "identity/identity.h"
#include "common/common.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include <jansson.h>

#define MAX_CLAIM_NAME 128

/* ---- configuration ---------------------------------------------------------- */

/* Headers that HTTP, authentication and cookies need: never removed. */
static const char *protected_header(const char *prefix, int exact)
{
    static const char *const names[] = {
        "Authorization", "Proxy-Authorization", "Cookie", "Host",
        "Content-Length", "Content-Type", "Transfer-Encoding", "Connection",
        "Upgrade", "Expect", "TE", "Origin", "Referer", "Sec-Fetch-Site"
    };
    unsigned int i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (identity_has_prefix(names[i], prefix)
            && (!exact || strlen(names[i]) == strlen(prefix))) {
            return names[i];
        }
    }
    return NULL;
}

void authz_config_merge(apr_pool_t *p, auth_backend_dir_conf *conf,
                        const auth_backend_dir_conf *base,
                        const auth_backend_dir_conf *add)
{
    conf->user_query = add->user_query ? add->user_query : base->user_query;
    conf->optional = add->optional_set ? add->optional : base->optional;
    conf->optional_set = add->optional_set || base->optional_set;
    conf->pass_claims = add->pass_claims_set ? add->pass_claims
                                             : base->pass_claims;
    conf->pass_claims_set = add->pass_claims_set || base->pass_claims_set;
    conf->env_prefix = add->env_prefix ? add->env_prefix : base->env_prefix;
    conf->header_prefix = add->header_prefix ? add->header_prefix
                                             : base->header_prefix;
    conf->user_header = add->user_header ? add->user_header
                                         : base->user_header;
    conf->record_rules = add->record_rules || base->record_rules;
    conf->scrub_extra = identity_names_merge(p, base->scrub_extra,
                                             add->scrub_extra);
}

static const char *not_in_section(cmd_parms *cmd, const void *mconfig)
{
    return ((const auth_backend_dir_conf *)mconfig)->section
        ? apr_psprintf(cmd->pool, "%s is not allowed inside <AuthBackend>",
                       cmd->cmd->name)
        : NULL;
}

const char *cmd_pass_claims(cmd_parms *cmd, void *mconfig, const char *arg)
{
    static const char *const names[] = { "none", "env", "headers", "both" };
    auth_backend_dir_conf *conf = mconfig;
    const char *err = not_in_section(cmd, mconfig);
    int i;

    if (err) {
        return err;
    }
    for (i = 0; i < 4; i++) {
        if (!strcasecmp(arg, names[i])) {
            conf->pass_claims = i;     /* PASS_ENV | PASS_HEADERS bits */
            conf->pass_claims_set = 1;
            return NULL;
        }
    }
    return "AuthBackendPassClaims must be none, env, headers or both";
}

/* A header name (RFC 9110 token) or an environment variable name. */
static int is_name(const char *s, int header)
{
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_isalnum(*s) && *s != '_'
            && !(header && ap_strchr_c("!#$%&'*+-.^`|~", *s))) {
            return 0;
        }
    }
    return 1;
}

const char *cmd_claim_prefix(cmd_parms *cmd, void *mconfig, const char *kind,
                             const char *prefix)
{
    auth_backend_dir_conf *conf = mconfig;
    const char *err = not_in_section(cmd, mconfig);

    if (err) {
        return err;
    }
    if (!strcasecmp(kind, "env")) {
        /* never empty: a claim must not be able to set PATH or LD_PRELOAD
         * for a CGI */
        if (!apr_isalpha(*prefix) || !is_name(prefix, 0)) {
            return "AuthBackendClaimPrefix env: the prefix must start with a "
                   "letter and hold only letters, digits and '_' "
                   "(e.g. AUTH_CLAIM_)";
        }
        conf->env_prefix = prefix;
    }
    else if (!strcasecmp(kind, "headers")) {
        if (strlen(prefix) < 2 || !is_name(prefix, 1)) {
            return "AuthBackendClaimPrefix headers: the prefix must be at "
                   "least two characters of a header name (e.g. "
                   "X-Auth-Claim-)";
        }
        if (protected_header(prefix, 0)) {
            return apr_psprintf(cmd->pool, "AuthBackendClaimPrefix headers: "
                                "headers with this prefix are removed from "
                                "requests, and %s would be one of them",
                                protected_header(prefix, 0));
        }
        if ((err = identity_name_add(cmd, conf, prefix, 1))) {
            return err;
        }
        conf->header_prefix = prefix;
    }
    else {
        return "AuthBackendClaimPrefix env|headers PREFIX";
    }
    return NULL;
}

const char *cmd_user_header(cmd_parms *cmd, void *mconfig, const char *arg)
{
    auth_backend_dir_conf *conf = mconfig;
    const char *err = not_in_section(cmd, mconfig);

    if (err) {
        return err;
    }
    if (!is_name(arg, 1)) {
        return apr_psprintf(cmd->pool, "AuthBackendUserHeader: '%s' is not a "
                            "header name", arg);
    }
    if (protected_header(arg, 1)) {
        return apr_psprintf(cmd->pool, "AuthBackendUserHeader: %s is a "
                            "header of the request itself; choose a name of "
                            "your own, e.g. X-Remote-User", arg);
    }
    if ((err = identity_name_add(cmd, conf, arg, 0))) {
        return err;
    }
    conf->user_header = arg;
    return NULL;
}

/* ---- passing the identity on ------------------------------------------------ */

static const char *header_prefix(const auth_backend_dir_conf *conf)
{
    return conf->header_prefix ? conf->header_prefix : DEFAULT_HEADER_PREFIX;
}

/* VALUE without control characters, or NULL when it is too long. */
static const char *clean_value(apr_pool_t *p, const char *value)
{
    char *v, *c;

    if (strlen(value) > CLAIM_VALUE_MAX) {
        return NULL;
    }
    v = apr_pstrdup(p, value);
    for (c = v; *c; c++) {
        if (apr_iscntrl(*c)) {
            *c = ' ';
        }
    }
    return v;
}

/* PREFIX + NAME, every character a name may not hold replaced by '_'
 * (environment) or '-' (header). */
static const char *var_name(apr_pool_t *p, const char *prefix,
                            const char *name, int header)
{
    char *out = apr_pstrcat(p, prefix, name, NULL);
    char *c;

    for (c = out + strlen(prefix); *c; c++) {
        if (!apr_isalnum(*c) && *c != (header ? '-' : '_')) {
            *c = header ? '-' : '_';
        }
    }
    return out;
}

static void pass_claim(request_rec *r, const auth_backend_dir_conf *conf,
                       const char *name, json_t *value)
{
    const char *text = claim_text(r->pool, value), *v;

    if (!*name || strlen(name) > MAX_CLAIM_NAME || !text) {
        return;
    }
    if (!(v = clean_value(r->pool, text))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "claim %s is not passed "
                      "to the application: longer than %d bytes", name,
                      CLAIM_VALUE_MAX);
        return;
    }
    if (conf->pass_claims & PASS_ENV) {
        apr_table_setn(r->subprocess_env,
                       var_name(r->pool, conf->env_prefix ? conf->env_prefix
                                : DEFAULT_ENV_PREFIX, name, 0), v);
    }
    if (conf->pass_claims & PASS_HEADERS) {
        const char *h = var_name(r->pool, header_prefix(conf), name, 1);

        /* the configuration refuses the overlap; never overwrite it */
        if (!conf->user_header || strlen(h) != strlen(conf->user_header)
            || !identity_has_prefix(h, conf->user_header)) {
            apr_table_setn(r->headers_in, h, v);
        }
    }
}

/* A claim on its way to the application. */
typedef struct {
    const char *name;
    json_t *value;
    const char *key;            /* NAME as the application sees it */
    int collides;
} claim_out;

/* What var_name() makes of NAME, in one case: the same for a header and
 * for an environment variable (the tables are case-insensitive, and CGI
 * and WSGI turn '-' into '_'). */
static const char *claim_key(apr_pool_t *p, const char *name)
{
    char *k = apr_pstrdup(p, name), *c;

    for (c = k; *c; c++) {
        *c = apr_isalnum(*c) ? apr_tolower(*c) : '-';
    }
    return k;
}

static void claims_collect(request_rec *r, apr_array_header_t *out,
                           apr_hash_t *keys, json_t *obj, json_t *skip)
{
    const char *name;
    json_t *value;

    json_object_foreach(obj, name, value) {
        claim_out *c, *other;

        if (skip && json_object_get(skip, name)) {
            continue;           /* the token's claim wins over the record */
        }
        c = apr_palloc(r->pool, sizeof(*c));
        APR_ARRAY_PUSH(out, claim_out *) = c;
        c->name = name;
        c->value = value;
        c->key = claim_key(r->pool, name);
        c->collides = 0;
        /* never let the later one overwrite the earlier: pass neither */
        if ((other = apr_hash_get(keys, c->key, APR_HASH_KEY_STRING))) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "claims %s and %s "
                          "are not passed to the application: their names "
                          "are the same there", other->name, name);
            other->collides = c->collides = 1;
        }
        else {
            apr_hash_set(keys, c->key, APR_HASH_KEY_STRING, c);
        }
    }
}

/* The token's claims, then the user record's columns it does not have. */
static int pass_claims(request_rec *r, const auth_backend_dir_conf *conf,
                       request_rec *owner, auth_backend_request *st)
{
    json_t *token = claims_token(owner, st);
    apr_array_header_t *out = apr_array_make(r->pool, 16, sizeof(claim_out *));
    apr_hash_t *keys = apr_hash_make(r->pool);
    int i, rs = OK;

    claims_collect(r, out, keys, token, NULL);
    if (user_query_for(r, st->backend)) {
        if (user_record(r, owner, st) == RECORD_FOUND) {
            claims_collect(r, out, keys, st->record, token);
        }
        /* no such user: the token's claims only */
        rs = record_http_status(r, st->record_status);
    }
    for (i = 0; i < out->nelts; i++) {
        const claim_out *c = APR_ARRAY_IDX(out, i, claim_out *);

        if (!c->collides) {
            pass_claim(r, conf, c->name, c->value);
        }
    }
    return rs;
}

/* ---- shared caches ------------------------------------------------------------ */

/* An answer made for an identity is its user's alone.  mod_cache of this
 * server must not store it, whatever CacheStorePrivate or the application's
 * Cache-Control say (r->no_cache): its quick handler would serve it to
 * anyone, before authentication.  Nor may a shared cache further on
 * (Cache-Control: private, in err_headers_out, which a proxied
 * application's headers do not replace).  mod_cache's own rule for
 * requests with an Authorization header covers neither a cookie nor a
 * bearer header that strip=on took out. */
static void keep_private(request_rec *r)
{
    /* a page that includes this one depends on the identity too */
    for (; r; r = r->main) {
        r->no_cache = 1;
        if (!ap_find_token(r->pool, apr_table_get(r->err_headers_out,
                                                  "Cache-Control"),
                           "private")) {
            apr_table_mergen(r->err_headers_out, "Cache-Control", "private");
        }
    }
}

static void vary(request_rec *r, const char *header)
{
    if (!ap_find_token(r->pool, apr_table_get(r->err_headers_out, "Vary"),
                       header)) {
        apr_table_mergen(r->err_headers_out, "Vary", header);
    }
}

/* An optional location answers according to the token, anonymous answers
 * included: a cache must tell them apart by the headers tokens come in. */
static void vary_by_token(request_rec *r, const auth_backend_dir_conf *conf)
{
    int i;

    for (i = 0; conf->backend_names && i < conf->backend_names->nelts; i++) {
        const auth_backend *be =
            backend_find(r, APR_ARRAY_IDX(conf->backend_names, i,
                                          const char *));
        if (be) {
            vary(r, be->transport->ambient ? "Cookie" : "Authorization");
        }
    }
}

int identity_pass(request_rec *r)
{
    const auth_backend_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &auth_backend_module);
    request_rec *owner = NULL;
    auth_backend_request *st;

    if (conf->optional) {
        vary_by_token(r, conf);
    }
    if (!(st = identity_get(r, &owner))) {
        return DECLINED;
    }
    keep_private(r);
    if (conf->scrub_extra && identity_names_overlap(r, conf)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* REMOTE_USER and AUTH_TYPE come from r->user and r->ap_auth_type
     * (ap_add_common_vars); a derived request needs AUTH_BACKEND again */
    apr_table_setn(r->subprocess_env, "AUTH_BACKEND", st->backend->name);
    if (conf->user_header) {
        const char *user = clean_value(r->pool, r->user);

        if (user) {
            apr_table_setn(r->headers_in, conf->user_header, user);
        }
    }
    return conf->pass_claims ? pass_claims(r, conf, owner, st) : OK;
}
