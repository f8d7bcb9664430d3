/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * optional.c — AuthBackendOptional On: fastapi-users' current_user(
 * optional=True).  On a location open to everyone, a valid token still
 * makes the request authenticated (REMOTE_USER and the identity for the
 * application), and no token or a bad one lets it through anonymously.
 *
 * httpd runs check_authn only when a Require line needs a user, which an
 * open location never does.  So this runs in fixups (identity.c), once
 * access is decided: where a rule needed a user, authentication has run
 * as usual (and answered 401 or 403 as usual); where none did, the request
 * is let through whatever happens here, and only gains an identity.
 */

#include "authn/authn.h"
#include "browser/browser.h"

#include "http_request.h"

const char *cmd_optional(cmd_parms *cmd, void *mconfig, int on)
{
    auth_backend_dir_conf *conf = mconfig;

    if (conf->section) {
        return "AuthBackendOptional is not allowed inside <AuthBackend>";
    }
    (void)cmd;
    conf->optional = on;
    conf->optional_set = 1;
    return NULL;
}

void optional_authenticate(request_rec *r)
{
    const auth_backend_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &auth_backend_module);
    const auth_backend *be = NULL;
    const char *user = NULL, *token = NULL, *claims = NULL;

    if (!conf->optional || r->user) {
        return;
    }
    if (!conf->backend_names) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "AuthBackendOptional On "
                      "at %s needs an AuthBackendProvider line", r->uri);
        return;
    }
    if (backends_authenticate(r, conf->backend_names, &be, &user, &token,
                              &claims) != AUTH_BACKEND_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "AuthBackendOptional: "
                      "no user, %s goes on anonymously", r->uri);
        be = NULL;
    }
    backends_hide(r, conf->backend_names);
    /* a cookie that another site made the browser send identifies
     * nobody */
    if (!be || (be->transport->ambient
                && csrf_check(r, conf, "an identity from a cookie") != OK)) {
        return;
    }
    authn_accept(r, be, user, claims);
    r->ap_auth_type = AUTH_BACKEND_AUTH_TYPE;
}
