/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * authz.c — the Require providers of mod_authz_core:
 *
 *   Require auth-backend NAME...          authenticated by one of these backends
 *   Require token-claim CLAIM VALUE...    a claim equals one of the values
 *   Require backend-user active|verified|superuser...
 *                                         fastapi-users' user flags
 *
 * The lines are ap_expr strings, parsed at configuration time and split
 * into words per request, as httpd's own providers do.  Each returns
 * AUTHZ_DENIED_NO_USER while nobody is authenticated, so that they compose
 * with <RequireAll>, <RequireAny> and "Require not": mod_authz_core then
 * runs authentication and asks again.
 */

#include "identity/identity.h"
#include "common/common.h"

#include "ap_expr.h"
#include "ap_provider.h"
#include "http_request.h"
#include "apr_strings.h"

#include <jansson.h>

/* ---- parsing ------------------------------------------------------------------ */

/* The words of a line that holds no expression, checked at configuration
 * time (so that `apache2 -t` finds a typo); NULL when it has one. */
static apr_array_header_t *constant_words(cmd_parms *cmd, const char *line)
{
    apr_array_header_t *words;
    const char *w;

    if (strstr(line, "%{")) {
        return NULL;
    }
    words = apr_array_make(cmd->temp_pool, 4, sizeof(const char *));
    while ((w = ap_getword_conf(cmd->temp_pool, &line)) && *w) {
        APR_ARRAY_PUSH(words, const char *) = w;
    }
    return words;
}

static const char *parse_expr(cmd_parms *cmd, const char *line,
                              const void **parsed)
{
    const char *err = NULL;
    const ap_expr_info_t *expr = ap_expr_parse_cmd(cmd, line,
                                                   AP_EXPR_FLAG_STRING_RESULT,
                                                   &err, NULL);
    if (err) {
        return apr_pstrcat(cmd->temp_pool, "Cannot parse expression in "
                           "require line: ", err, NULL);
    }
    *parsed = expr;
    return NULL;
}

/* Marks the section this line is in as one whose rules read the user
 * record, so that authentication loads it (see user_record_preload). */
static void reads_record(cmd_parms *cmd)
{
    auth_backend_dir_conf *conf =
        ap_set_config_vectors(cmd->server, cmd->context, cmd->path,
                              &auth_backend_module, cmd->pool);
    conf->record_rules = 1;
}

/* The words of the line for this request. */
static const char *request_words(request_rec *r, const char *provider,
                                 const void *parsed)
{
    const char *err = NULL;
    const char *t = ap_expr_str_exec(r, parsed, &err);

    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "Require %s: cannot "
                      "evaluate the expression: %s", provider, err);
        return NULL;
    }
    return t;
}

/* ---- Require auth-backend NAME... --------------------------------------------- */

static const char *backend_parse(cmd_parms *cmd, const char *line,
                                 const void **parsed)
{
    apr_array_header_t *words = constant_words(cmd, line);

    if (words && !words->nelts) {
        return "Require auth-backend needs one or more backend names";
    }
    return parse_expr(cmd, line, parsed);
}

static authz_status backend_check(request_rec *r, const char *line,
                                  const void *parsed)
{
    request_rec *owner;
    auth_backend_request *st;
    const char *t, *w;

    (void)line;
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    if (!(st = identity_get(r, &owner))
        || !(t = request_words(r, "auth-backend", parsed))) {
        return AUTHZ_DENIED;
    }
    while ((w = ap_getword_conf(r->pool, &t)) && *w) {
        if (!strcmp(w, st->backend->name)) {
            return AUTHZ_GRANTED;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user %s: authenticated by "
                  "backend '%s', which 'Require auth-backend' does not list",
                  r->user, st->backend->name);
    return AUTHZ_DENIED;
}

static const authz_provider backend_provider = {
    backend_check,
    backend_parse
};

/* ---- Require token-claim CLAIM VALUE... ---------------------------------------- */

static const char *claim_parse(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    apr_array_header_t *words = constant_words(cmd, line);

    if (words && words->nelts < 2) {
        return "Require token-claim needs a claim and one or more values: "
               "Require token-claim CLAIM VALUE [VALUE ...]";
    }
    reads_record(cmd);
    return parse_expr(cmd, line, parsed);
}

static authz_status claim_check(request_rec *r, const char *line,
                                const void *parsed)
{
    const char *t, *claim, *w;
    json_t *value = NULL;

    (void)line;
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    if (!(t = request_words(r, "token-claim", parsed))) {
        return AUTHZ_DENIED;
    }
    claim = ap_getword_conf(r->pool, &t);
    switch (claims_find(r, claim, &value)) {
    case RECORD_FOUND:
        break;
    case RECORD_UNAVAILABLE:
    case RECORD_ERROR:
        return AUTHZ_GENERAL_ERROR;
    default:
        return AUTHZ_DENIED;
    }
    while (value && (w = ap_getword_conf(r->pool, &t)) && *w) {
        if (claim_matches(value, w)) {
            return AUTHZ_GRANTED;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user %s: claim '%s' %s",
                  r->user, claim, value ? "has none of the values that "
                  "'Require token-claim' lists" : "is missing");
    return AUTHZ_DENIED;
}

static const authz_provider claim_provider = {
    claim_check,
    claim_parse
};

/* ---- Require backend-user active|verified|superuser... ------------------------ */

/* fastapi-users' flags, checked in its order: an inactive user is as good
 * as unknown (401), a known one without a flag is forbidden (403 with
 * AuthzSendForbiddenOnFailure On). */
static const struct {
    const char *word;
    const char *column;
    authz_status when_false;
} flags[] = {
    { "active",    "is_active",    AUTHZ_DENIED_NO_USER },
    { "verified",  "is_verified",  AUTHZ_DENIED },
    { "superuser", "is_superuser", AUTHZ_DENIED },
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

/* Bit i set for flags[i] among WORDS; -1 and *bad for an unknown word. */
static int flag_bits(const char *words, apr_pool_t *p, const char **bad)
{
    const char *w;
    int bits = 0;
    unsigned int i;

    while ((w = ap_getword_conf(p, &words)) && *w) {
        for (i = 0; i < NFLAGS && strcasecmp(w, flags[i].word); i++)
            ;
        if (i == NFLAGS) {
            *bad = w;
            return -1;
        }
        bits |= 1 << i;
    }
    return bits;
}

static const char *user_parse(cmd_parms *cmd, const char *line,
                              const void **parsed)
{
    const char *bad = NULL;

    if (!strstr(line, "%{")) {
        int bits = flag_bits(line, cmd->temp_pool, &bad);
        if (bits <= 0) {
            return apr_psprintf(cmd->pool, "Require backend-user: %s%s%s "
                                "(one or more of active, verified, "
                                "superuser)", bad ? "unknown flag '" : "",
                                bad ? bad : "no flag given",
                                bad ? "'" : "");
        }
    }
    reads_record(cmd);
    return parse_expr(cmd, line, parsed);
}

static authz_status user_check(request_rec *r, const char *line,
                               const void *parsed)
{
    request_rec *owner = NULL;
    auth_backend_request *st;
    const char *t, *bad = NULL;
    unsigned int i;
    int bits;

    (void)line;
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    if (!(t = request_words(r, "backend-user", parsed))) {
        return AUTHZ_DENIED;
    }
    if ((bits = flag_bits(t, r->pool, &bad)) <= 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "Require backend-user: "
                      "unknown flag '%s'", bad ? bad : "");
        return AUTHZ_GENERAL_ERROR;
    }
    if (!(st = identity_get(r, &owner))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user %s: 'Require "
                      "backend-user' applies to users authenticated by a "
                      "backend only", r->user);
        return AUTHZ_DENIED;
    }
    if (!user_query_for(r, st->backend)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "'Require backend-user' "
                      "at %s needs an AuthBackendUserQuery (in the location "
                      "or in <AuthBackend %s>)", r->uri, st->backend->name);
        return AUTHZ_GENERAL_ERROR;
    }
    switch (user_record(r, owner, st)) {
    case RECORD_FOUND:
        break;
    case RECORD_UNKNOWN:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user %s: unknown to "
                      "AuthBackendUserQuery", r->user);
        return AUTHZ_DENIED_NO_USER;
    default:
        return AUTHZ_GENERAL_ERROR;
    }
    for (i = 0; i < NFLAGS; i++) {
        json_t *v;
        int on;

        if (!(bits & (1 << i))) {
            continue;
        }
        v = json_object_get(st->record, flags[i].column);
        on = json_is_string(v) ? flag_value(json_string_value(v))
             : json_is_boolean(v) ? json_is_true(v) : -1;
        if (on < 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "'Require backend-user "
                          "%s' needs a column %s (true or false) in what "
                          "AuthBackendUserQuery returns", flags[i].word,
                          flags[i].column);
            return AUTHZ_GENERAL_ERROR;
        }
        if (!on) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user %s is not %s",
                          r->user, flags[i].word);
            return flags[i].when_false;
        }
    }
    return AUTHZ_GRANTED;
}

static const authz_provider user_provider = {
    user_check,
    user_parse
};

void authz_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "auth-backend",
                              AUTHZ_PROVIDER_VERSION, &backend_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "token-claim",
                              AUTHZ_PROVIDER_VERSION, &claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "backend-user",
                              AUTHZ_PROVIDER_VERSION, &user_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
