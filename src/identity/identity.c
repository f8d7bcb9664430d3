/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * identity.c — the identity, handed to whatever runs behind Apache: a CGI
 * or SSI reads the environment (REMOTE_USER, AUTH_TYPE, AUTH_BACKEND and,
 * with AuthBackendPassClaims, AUTH_CLAIM_*), a proxied application reads
 * request headers (X-Auth-Claim-*, AuthBackendUserHeader).
 *
 * A header is only worth something if the client cannot send it: headers
 * with the claim prefix and the user header are removed from every request
 * before anything reads them (header_parser, and again in fixups for
 * subrequests, which skip header_parser), whether it authenticates, fails
 * to, or is not protected at all.  '-' and '_' count as the same
 * character, since CGI, WSGI and many proxies map both to '_'
 * (mod_auth_openidc#222 was a spoofed claim header that reached the app).
 */

#include "identity/identity.h"
#include "common/common.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include <jansson.h>

#define MAX_CLAIM_NAME 128

/* ---- configuration ---------------------------------------------------------- */

/* NAME starts with PREFIX: case-insensitive, '-' and '_' alike. */
static int has_prefix(const char *name, const char *prefix)
{
    for (; *prefix; prefix++, name++) {
        int a = *name == '_' ? '-' : apr_tolower(*name);
        int b = *prefix == '_' ? '-' : apr_tolower(*prefix);

        if (a != b) {
            return 0;           /* also at the end of NAME */
        }
    }
    return 1;
}

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
        if (has_prefix(names[i], prefix)
            && (!exact || strlen(names[i]) == strlen(prefix))) {
            return names[i];
        }
    }
    return NULL;
}

void authz_config_merge(auth_backend_dir_conf *conf,
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
    conf->user_header = arg;
    return NULL;
}

/* ---- scrubbing ----------------------------------------------------------------- */

static const char *header_prefix(const auth_backend_dir_conf *conf)
{
    return conf->header_prefix ? conf->header_prefix : DEFAULT_HEADER_PREFIX;
}

void identity_scrub(request_rec *r)
{
    const auth_backend_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &auth_backend_module);
    const char *prefix = header_prefix(conf);
    const char *uh = conf->user_header;
    const apr_array_header_t *elts = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)elts->elts;
    apr_array_header_t *doomed = NULL;
    int i;

    for (i = 0; i < elts->nelts; i++) {
        const char *k = e[i].key;

        /* the default prefix too: a location with its own prefix may
         * pass to the application that reads the default one */
        if (k && (has_prefix(k, prefix) || has_prefix(k, DEFAULT_HEADER_PREFIX)
                  || (uh && has_prefix(k, uh)
                      && strlen(k) == strlen(uh)))) {
            if (!doomed) {
                doomed = apr_array_make(r->pool, 2, sizeof(const char *));
            }
            APR_ARRAY_PUSH(doomed, const char *) = k;
        }
    }
    if (!doomed) {
        return;
    }
    /* from the client on the first pass; later ones see this module's
     * own headers of the request they derive from */
    ap_log_rerror(APLOG_MARK, r->main || r->prev ? APLOG_TRACE1 : APLOG_INFO,
                  0, r, "removed %d request header%s (%s%s): identity "
                  "headers come from this server only", doomed->nelts,
                  doomed->nelts > 1 ? "s" : "",
                  APR_ARRAY_IDX(doomed, 0, const char *),
                  doomed->nelts > 1 ? ", ..." : "");
    for (i = 0; i < doomed->nelts; i++) {
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(doomed, i, const char *));
    }
}

int identity_header_parser(request_rec *r)
{
    identity_scrub(r);
    return DECLINED;
}

/* Subrequests skip header_parser; their location may have its own
 * prefix. */
int identity_check_access(request_rec *r)
{
    if (r->main) {
        identity_scrub(r);
    }
    return DECLINED;
}

/* ---- passing the identity on ------------------------------------------------ */

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
        apr_table_setn(r->headers_in,
                       var_name(r->pool, header_prefix(conf), name, 1), v);
    }
}

/* The token's claims, then the user record's columns it does not have. */
static int pass_claims(request_rec *r, const auth_backend_dir_conf *conf,
                       request_rec *owner, auth_backend_request *st)
{
    json_t *token = claims_token(owner, st), *value;
    const char *name;

    json_object_foreach(token, name, value) {
        pass_claim(r, conf, name, value);
    }
    if (!user_query_for(r, st->backend)) {
        return OK;
    }
    if (user_record(r, owner, st) == RECORD_FOUND) {
        json_object_foreach(st->record, name, value) {
            if (!json_object_get(token, name)) {
                pass_claim(r, conf, name, value);
            }
        }
    }
    /* no such user: the token's claims only */
    return record_http_status(r, st->record_status);
}

int identity_pass(request_rec *r)
{
    const auth_backend_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &auth_backend_module);
    request_rec *owner = NULL;
    auth_backend_request *st;

    if (!(st = identity_get(r, &owner))) {
        return DECLINED;
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
