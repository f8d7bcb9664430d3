/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * handler.h — the login and logout handlers.
 */

#ifndef AUTH_BACKEND_HANDLER_H
#define AUTH_BACKEND_HANDLER_H

#include "auth_backend.h"

#define AUTH_BACKEND_LOGIN_HANDLER   "auth-backend-login"
#define AUTH_BACKEND_LOGOUT_HANDLER  "auth-backend-logout"
#define AUTH_BACKEND_LIMIT_FILTER    "AUTH_BACKEND_BODY_LIMIT"

#define AUTH_BACKEND_DEFAULT_LOGIN_MAX_BODY 8192

/* ---- handlers (login.c, logout.c) -------------------------------------- */

int login_handler(request_rec *r);
int logout_handler(request_rec *r);
apr_status_t login_body_limit_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                     ap_input_mode_t mode,
                                     apr_read_type_e block,
                                     apr_off_t readbytes);

/* ---- timing of unknown users (login_timing.c) ----------------------------- */

/* Learns what a password check costs (shared by every process and kept
 * across restarts), from the password files if nothing was learned yet. */
int login_timing_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s);
/* After a check that took ELAPSED and answered RES: an unknown user is
 * kept until a check of an existing one would have ended; an existing
 * one's check is learned. */
void login_equalize_timing(authn_status res, apr_time_t elapsed);

#endif /* AUTH_BACKEND_HANDLER_H */
