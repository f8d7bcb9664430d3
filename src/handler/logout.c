/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * logout.c — the auth-backend-logout handler: fastapi-users' POST /logout.
 * The request must carry a valid token of one of the location's backends;
 * that backend's strategy destroys it (a JWT cannot be destroyed and simply
 * stays valid until it expires) and its transport answers (204, or 204 and
 * a cleared cookie).  A browser is sent on to AuthBackendLogoutRedirect.
 */

#include "handler/handler.h"
#include "authn/authn.h"
#include "browser/browser.h"
#include "common/common.h"

#include "http_core.h"
#include "http_protocol.h"
#include "apr_strings.h"

/* A browser (not an API call) goes to AuthBackendLogoutRedirect. */
static int logout_done(request_rec *r, const auth_backend_dir_conf *conf,
                       int rc)
{
    if (rc == OK && conf->logout_redirect && r->status == HTTP_NO_CONTENT
        && browser_navigation(r)) {
        return browser_see_other(r, conf->logout_redirect);
    }
    return rc;
}

/* Already logged out (the cookie expired, say): a person still expects the
 * logged-out page, and a stale cookie can go. */
static int logged_out_already(request_rec *r,
                              const auth_backend_dir_conf *conf)
{
    int i;

    for (i = 0; i < conf->backend_names->nelts; i++) {
        const auth_backend *be =
            backend_find(r, APR_ARRAY_IDX(conf->backend_names, i,
                                          const char *));
        if (be && be->transport->ambient) {
            be->transport->logout_response(r, be);
        }
    }
    return browser_see_other(r, conf->logout_redirect);
}

int logout_handler(request_rec *r)
{
    auth_backend_dir_conf *conf;
    const auth_backend *be = NULL;
    const char *user = NULL, *token = NULL, *claims = NULL;
    auth_backend_status st;

    if (!r->handler || strcmp(r->handler, AUTH_BACKEND_LOGOUT_HANDLER)) {
        return DECLINED;
    }
    request_state(r)->json_errors = 1;
    conf = ap_get_module_config(r->per_dir_config, &auth_backend_module);

    if (r->method_number != M_POST) {
        audit_log(r, AUDIT_LOGOUT_REJECTED, "method", NULL, NULL,
                  apr_psprintf(r->pool, "405: method %s", r->method), NULL);
        apr_table_setn(r->headers_out, "Allow", "POST");
        return json_respond(r, HTTP_METHOD_NOT_ALLOWED,
                            json_detail(r->pool, "Method Not Allowed"));
    }
    if (!conf->backend_names) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s at %s needs an "
                      "AuthBackendProvider line", AUTH_BACKEND_LOGOUT_HANDLER,
                      r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    st = backends_authenticate(r, conf->backend_names, &be, &user, &token,
                               &claims);
    if (st == AUTH_BACKEND_OK) {
        int rc;

        r->user = (char *)user;
        /* forced logout: another site must not end the session */
        if (be->transport->ambient
            && (rc = csrf_check(r, conf, "logout")) != OK) {
            return json_respond(r, rc, json_detail(r->pool, "Forbidden"));
        }
        st = be->strategy->destroy(r, be, token);
        if (st == AUTH_BACKEND_OK || st == AUTH_BACKEND_NOT_SUPPORTED) {
            audit_log(r, AUDIT_LOGOUT, NULL, user, be,
                      st == AUTH_BACKEND_NOT_SUPPORTED
                      ? "the token stays valid until it expires" : NULL,
                      NULL);
            return logout_done(r, conf,
                               be->transport->logout_response(r, be));
        }
    }
    if (status_for(st) != HTTP_UNAUTHORIZED) {
        return status_for(st);
    }
    audit_log(r, AUDIT_LOGOUT_REJECTED, "no_valid_token", NULL, NULL,
              "401: no valid token of this location's backends", NULL);
    if (conf->logout_redirect && browser_navigation(r)) {
        return logged_out_already(r, conf);
    }
    backends_challenge(r, conf->backend_names, ap_auth_name(r));
    return json_respond(r, HTTP_UNAUTHORIZED,
                        json_detail(r->pool, "Unauthorized"));
}
