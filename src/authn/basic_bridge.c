/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * basic_bridge.c — tokens where only Basic authentication is spoken (Git,
 * Subversion, WebDAV clients, package managers): every <AuthBackend NAME>
 * is also an authn provider called NAME, so that
 *
 *     AuthType Basic
 *     AuthBasicProvider NAME
 *
 * accepts a token of that backend as the password, with the user name
 * empty, "token", or the token's own user.  The token goes straight to the
 * backend's strategy; its transport plays no part.
 *
 * Provider names are process-wide, while backends may be defined per
 * virtual host: one provider serves every backend, and finds the one
 * meant by the name mod_auth_basic notes in the request, as seen from the
 * request's server.
 */

#include "authn/authn.h"
#include "common/common.h"
#include "identity/identity.h"

#include "ap_provider.h"
#include "http_request.h"
#include "apr_strings.h"

#define ANY_USER "token"

static authn_status bridge_check_password(request_rec *r, const char *user,
                                          const char *password)
{
    const char *name = apr_table_get(r->notes, AUTHN_PROVIDER_NAME_NOTE);
    const auth_backend *be = name ? backend_find(r, name) : NULL;
    const char *token_user = NULL, *claims = NULL;
    apr_size_t len = strlen(password);

    if (!be) {
        /* e.g. through an <AuthnProviderAlias>, which renames it */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "authn provider '%s': no "
                      "<AuthBackend> of that name in this server; name the "
                      "backend itself in AuthBasicProvider",
                      name ? name : "(unnamed)");
        return AUTH_GENERAL_ERROR;
    }
    if (!len || len > TOKEN_MAX_LENGTH || !token_is_b64token(password, len)) {
        return AUTH_USER_NOT_FOUND;     /* a password, not a token */
    }
    switch (be->strategy->read(r, be, password, &token_user, &claims)) {
    case AUTH_BACKEND_OK:
        if (token_user) {
            break;
        }
        return AUTH_GENERAL_ERROR;      /* a strategy without a user */
    case AUTH_BACKEND_ERROR:
    case AUTH_BACKEND_UNAVAILABLE:
        return AUTH_GENERAL_ERROR;
    case AUTH_BACKEND_NOT_MINE:
        return AUTH_USER_NOT_FOUND;
    default:
        return AUTH_DENIED;
    }
    if (*user && strcmp(user, ANY_USER) && strcmp(user, token_user)) {
        audit_log(r, AUDIT_TOKEN_REFUSED, REFUSED_USER_MISMATCH, user, be,
                  "the Basic user name is neither empty, '" ANY_USER "' nor "
                  "the user of the token", NULL);
        return AUTH_DENIED;
    }
    /* mod_auth_basic set r->user to the name sent; the user is the
     * token's */
    authn_accept(r, be, token_user, claims);
    return user_record_preload(r) == OK ? AUTH_GRANTED : AUTH_GENERAL_ERROR;
}

static const authn_provider bridge_provider = {
    bridge_check_password,
    NULL                        /* no realm hash: a token is not stored */
};

int basic_bridge_is(const authn_provider *provider)
{
    return provider == &bridge_provider;
}

static const char *name_taken(apr_pool_t *p, const char *name)
{
    return apr_psprintf(p, "<AuthBackend %s>: another authn provider "
                        "(a module's or an <AuthnProviderAlias>) is called "
                        "'%s'; every backend is also the authn provider of "
                        "its name, for AuthBasicProvider: rename the backend",
                        name, name);
}

const char *basic_bridge_register(cmd_parms *cmd, const auth_backend *be)
{
    const authn_provider *other =
        ap_lookup_provider(AUTHN_PROVIDER_GROUP, be->name,
                           AUTHN_PROVIDER_VERSION);

    /* a backend of the same name in another virtual host is fine */
    if (other && other != &bridge_provider) {
        return name_taken(cmd->pool, be->name);
    }
    ap_register_auth_provider(cmd->pool, AUTHN_PROVIDER_GROUP, be->name,
                              AUTHN_PROVIDER_VERSION, &bridge_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    return NULL;
}

/* A module loaded after a <AuthBackend> section may have taken its name
 * since. */
int basic_bridge_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *all = backends_all(ptemp, s);
    int i, failed = 0;

    (void)pconf;
    (void)plog;
    for (i = 0; i < all->nelts; i++) {
        const auth_backend *be = APR_ARRAY_IDX(all, i, auth_backend *);

        if (ap_lookup_provider(AUTHN_PROVIDER_GROUP, be->name,
                               AUTHN_PROVIDER_VERSION) != &bridge_provider) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: %s",
                         be->defined_in, name_taken(ptemp, be->name));
            failed = 1;
        }
    }
    return failed ? HTTP_INTERNAL_SERVER_ERROR : OK;
}
