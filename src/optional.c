/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * optional.c — AuthBackendOptional On: fastapi-users' current_user(
 * optional=True).  On a location open to everyone, a valid token still
 * makes the request authenticated (REMOTE_USER and the identity for the
 * application), and no token or a bad one lets it through anonymously.
 *
 * httpd runs check_authn only when a Require line needs a user, which an
 * open location never does, so this is an access_checker of its own: it
 * runs before mod_authz_core on every request, never decides access, and
 * at most sets r->user.
 */

#include "auth_backend.h"

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

int optional_check_access(request_rec *r)
{
    const auth_backend_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &auth_backend_module);
    auth_backend_request *st;
    const auth_backend *be = NULL;
    const char *user = NULL, *token = NULL, *claims = NULL;
    int status;

    if (r->main) {
        identity_scrub(r);      /* subrequests skip header_parser */
    }
    if (!conf->optional || r->user) {
        return DECLINED;
    }
    if (!conf->backend_names) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "AuthBackendOptional On "
                      "at %s needs an AuthBackendProvider line", r->uri);
        return DECLINED;
    }
    st = request_state(r);
    st->optional_rc = backends_authenticate(r, conf->backend_names, &be,
                                            &user, &token, &claims);
    st->optional_done = 1;
    backends_hide(r, conf->backend_names);
    if (st->optional_rc != AUTH_BACKEND_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "AuthBackendOptional: "
                      "no user, %s goes on anonymously", r->uri);
        return DECLINED;
    }
    /* a cookie that another site made the browser send identifies nobody;
     * authn_check will refuse it if a Require line needs a user */
    if (be->transport->ambient
        && csrf_check(r, conf, "an identity from a cookie") != OK) {
        return DECLINED;
    }
    authn_accept(r, be, user, claims);
    r->ap_auth_type = AUTH_BACKEND_AUTH_TYPE;
    status = user_record_preload(r);
    return status == OK ? DECLINED : status;
}
