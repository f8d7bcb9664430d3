/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * authn.h — authentication: the AuthType backend hook and the walk over
 * a location's backends (authn.c), AuthBackendOptional (optional.c) and
 * the Basic bridge (basic_bridge.c).
 */

#ifndef AUTH_BACKEND_AUTHN_H
#define AUTH_BACKEND_AUTHN_H

#include "auth_backend.h"

/* ---- authentication (authn.c) ------------------------------------------ */

/* Walks the backends NAMES in order; the first that yields a user wins.
 * On AUTH_BACKEND_OK, *be, *user, *token and *claims describe it. */
auth_backend_status backends_authenticate(request_rec *r,
                                          const apr_array_header_t *names,
                                          const auth_backend **be,
                                          const char **user,
                                          const char **token,
                                          const char **claims);
/* Adds the challenge of every backend in NAMES to a 401. */
void backends_challenge(request_rec *r, const apr_array_header_t *names,
                        const char *realm);
int authn_check(request_rec *r);
int authn_note_failure(request_rec *r, const char *auth_type);
/* ---- issuer routing (route.c) ------------------------------------------ */

typedef struct backend_route backend_route;
typedef struct route_state route_state;

/* NAMES, an AuthBackendProvider list of the server configuration, gets an
 * index at check_config (route_check_config). */
void route_register(apr_pool_t *p, const apr_array_header_t *names);
int route_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s);
/* The walk of NAMES for R: NULL when it has no index. */
route_state *route_start(request_rec *r, const apr_array_header_t *names);
/* For backend BE at position I: -1 when it is not routed (the caller
 * extracts the token itself); 1 when the token names another backend's
 * issuer (BE is not asked); 0 with the token, read once for its group, in
 * *ST and *TOKEN. */
int route_skip(request_rec *r, route_state *rs, int i, const auth_backend *be,
               auth_backend_status *st, const char **token);

/* HTTP status for a failed walk: 503, 500 or 401. */
int status_for(auth_backend_status st);

/* Takes the tokens of every backend in NAMES out of the request. */
void backends_hide(request_rec *r, const apr_array_header_t *names);
/* Sets r->user and the request state once backend BE accepted a token. */
void authn_accept(request_rec *r, const auth_backend *be, const char *user,
                  const char *claims);

const char *cmd_optional(cmd_parms *cmd, void *mconfig, int on);
/* AuthBackendOptional: authenticates R if it can, never refuses it. */
void optional_authenticate(request_rec *r);

/* Every <AuthBackend> is also an authn provider of its name (basic_bridge.c) */
const char *basic_bridge_register(cmd_parms *cmd, const auth_backend *be);
int basic_bridge_is(const authn_provider *provider);
int basic_bridge_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s);

#endif /* AUTH_BACKEND_AUTHN_H */
