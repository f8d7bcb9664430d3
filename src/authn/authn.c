/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * authn.c — AuthType backend: the check_authn hook walks the location's
 * backends in order (the provider loop of mod_auth_basic), and the
 * note_auth_failure hook adds the transports' challenges to every 401,
 * including those mod_authz_core sends when a Require line fails.
 */

#include "authn/authn.h"
#include "browser/browser.h"
#include "common/common.h"
#include "identity/identity.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

/* How bad an outcome is: when no backend yields a user, the worst one
 * decides the answer. */
static int severity(auth_backend_status st)
{
    switch (st) {
    case AUTH_BACKEND_NOT_MINE:     return 0;
    case AUTH_BACKEND_DENIED:
    case AUTH_BACKEND_EXPIRED:
    case AUTH_BACKEND_NOT_SUPPORTED: return 1;
    case AUTH_BACKEND_UNAVAILABLE:  return 2;
    default:                        return 3;
    }
}

int status_for(auth_backend_status st)
{
    switch (st) {
    case AUTH_BACKEND_UNAVAILABLE:  return HTTP_SERVICE_UNAVAILABLE;
    case AUTH_BACKEND_ERROR:        return HTTP_INTERNAL_SERVER_ERROR;
    default:                        return HTTP_UNAUTHORIZED;
    }
}

static void note_refused(request_rec *r, const auth_backend *be)
{
    auth_backend_request *st = request_state(r);

    if (!st->refused) {
        st->refused = apr_array_make(r->pool, 2, sizeof(const void *));
    }
    APR_ARRAY_PUSH(st->refused, const void *) = be->transport;
}

static int was_refused(request_rec *r, const auth_backend *be)
{
    auth_backend_request *st = request_state_get(r);
    int i;

    for (i = 0; st && st->refused && i < st->refused->nelts; i++) {
        if (APR_ARRAY_IDX(st->refused, i, const void *) == be->transport) {
            return 1;
        }
    }
    return 0;
}

/* fastapi-users' Authenticator: the first backend that yields a user wins,
 * and a missing or refused token falls through to the next one, so a stale
 * cookie does not block a good bearer header. */
auth_backend_status backends_authenticate(request_rec *r,
                                          const apr_array_header_t *names,
                                          const auth_backend **which,
                                          const char **user,
                                          const char **token,
                                          const char **claims)
{
    auth_backend_status worst = AUTH_BACKEND_NOT_MINE;
    route_state *rs = route_start(r, names);
    int i;

    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        const auth_backend *be = backend_find(r, name);
        auth_backend_status st = AUTH_BACKEND_NOT_MINE;
        const char *tok = NULL;
        int skip;

        if (!be) {
            /* only reachable through .htaccess or a vhost mix-up; the
             * startup check covers the server configuration */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "AuthBackendProvider names '%s', which no "
                          "<AuthBackend> of this server defines", name);
            return AUTH_BACKEND_ERROR;
        }
        /* a token for another issuer's backend: not this one's at all */
        if ((skip = route_skip(r, rs, i, be, &st, &tok)) > 0) {
            continue;
        }
        if (skip < 0) {
            st = be->transport->extract(r, be, &tok);
        }
        if (st == AUTH_BACKEND_OK) {
            *user = NULL;
            *claims = NULL;
            st = be->strategy->read(r, be, tok, user, claims);
            if (st == AUTH_BACKEND_OK && *user) {
                *which = be;
                *token = tok;
                return AUTH_BACKEND_OK;
            }
            if (st == AUTH_BACKEND_OK) {     /* a strategy without a user */
                st = AUTH_BACKEND_ERROR;
            }
        }
        if (tok || st != AUTH_BACKEND_NOT_MINE) {
            note_refused(r, be);
        }
        if (severity(st) > severity(worst)) {
            worst = st;
        }
    }
    /* a token nobody claimed is still a refused token */
    if (worst == AUTH_BACKEND_NOT_MINE && request_state(r)->refused) {
        audit_token_refused(r, NULL, REFUSED_UNRECOGNIZED, "no backend of "
                            "this location recognises its kind");
        return AUTH_BACKEND_DENIED;
    }
    return worst;
}

/* Takes the tokens out of the request before the application runs: every
 * backend of the location, whichever one won. */
void backends_hide(request_rec *r, const apr_array_header_t *names)
{
    int i;

    for (i = 0; i < names->nelts; i++) {
        const auth_backend *be =
            backend_find(r, APR_ARRAY_IDX(names, i, const char *));
        if (be && be->transport->hide) {
            be->transport->hide(r, be);
        }
    }
}

void backends_challenge(request_rec *r, const apr_array_header_t *names,
                        const char *realm)
{
    int i;

    for (i = 0; names && i < names->nelts; i++) {
        const auth_backend *be =
            backend_find(r, APR_ARRAY_IDX(names, i, const char *));
        if (be && be->transport->challenge) {
            be->transport->challenge(r, be, realm, was_refused(r, be));
        }
    }
}

void authn_accept(request_rec *r, const auth_backend *be, const char *user,
                  const char *claims)
{
    auth_backend_request *st = request_state(r);

    r->user = (char *)user;
    st->user = user;
    st->backend = be;
    st->claims = claims;
    apr_table_setn(r->subprocess_env, "AUTH_BACKEND", be->name);
}

/* A refused request's body is of no use: the connection is closed after
 * the answer rather than kept alive, for which httpd would first read
 * (or wait up to Timeout for) the whole body, be it a 1 GB upload of a
 * client without a token or a stalled one that turns the 401 into a 408. */
static void close_unread_body(request_rec *r)
{
    if (!r->main && ap_request_has_body(r)) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
}

int authn_check(request_rec *r)
{
    const char *type = ap_auth_type(r);
    auth_backend_dir_conf *conf;
    auth_backend_request *st;
    const auth_backend *be = NULL;
    const char *user = NULL, *token = NULL, *claims = NULL;
    auth_backend_status rc;

    if (!type || strcasecmp(type, AUTH_BACKEND_AUTH_TYPE)) {
        return DECLINED;
    }
    st = request_state(r);
    st->json_errors = 1;
    conf = ap_get_module_config(r->per_dir_config, &auth_backend_module);

    if (!ap_auth_name(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AuthType backend at %s needs an AuthName",
                      r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!conf->backend_names) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AuthType backend at %s needs an AuthBackendProvider "
                      "line", r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->ap_auth_type = AUTH_BACKEND_AUTH_TYPE;

    rc = backends_authenticate(r, conf->backend_names, &be, &user, &token,
                               &claims);
    backends_hide(r, conf->backend_names);
    if (rc == AUTH_BACKEND_OK) {
        int status;

        authn_accept(r, be, user, claims);
        /* a cookie comes with every request, forged ones included */
        if (be->transport->ambient
            && (status = csrf_check(r, conf, "request")) != OK) {
            return status;
        }
        return user_record_preload(r);
    }
    close_unread_body(r);
    if (rc == AUTH_BACKEND_NOT_MINE) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "no token for %s", r->uri);
    }
    if (status_for(rc) != HTTP_UNAUTHORIZED) {
        return status_for(rc);
    }
    if (conf->login_url) {
        /* the answer depends on these; keep caches from mixing them up */
        apr_table_mergen(r->err_headers_out, "Vary",
                         "Accept, Sec-Fetch-Mode, X-Requested-With");
        if (!r->main && r->method_number == M_GET && browser_navigation(r)) {
            apr_table_setn(r->headers_out, "Location",
                           browser_login_location(r, conf->login_url));
            return HTTP_MOVED_TEMPORARILY;
        }
    }
    ap_note_auth_failure(r);
    return HTTP_UNAUTHORIZED;
}

int authn_note_failure(request_rec *r, const char *auth_type)
{
    auth_backend_dir_conf *conf;

    if (strcasecmp(auth_type, AUTH_BACKEND_AUTH_TYPE)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &auth_backend_module);
    request_state(r)->json_errors = 1;
    backends_challenge(r, conf->backend_names, ap_auth_name(r));
    return OK;
}
