/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * throttle.h — login throttling (AuthBackendLoginThrottle): counters per
 * user name and client address in a shared socache.
 */

#ifndef AUTH_BACKEND_THROTTLE_H
#define AUTH_BACKEND_THROTTLE_H

#include "auth_backend.h"

/* ---- login throttling (throttle.c, throttle_key.c) ------------------------ */

#define THROTTLE_MAX_FAILURES 100000
#define THROTTLE_MAX_PERIOD   86400         /* seconds */

typedef struct throttle_ticket throttle_ticket;

const char *cmd_login_throttle(cmd_parms *cmd, void *mconfig,
                               const char *args);
const char *cmd_throttle_cache(cmd_parms *cmd, void *mconfig,
                               const char *arg);
void throttle_merge(auth_backend_dir_conf *conf,
                    const auth_backend_dir_conf *base,
                    const auth_backend_dir_conf *add);
void throttle_register_hooks(apr_pool_t *p);
/* Before the password of USER is checked at a login that backend BE
 * answers: 0 and a *TICKET to settle once it is (NULL when nothing is
 * counted), or the seconds until the client may try again: the limit is
 * reached (logged), and the password must not be checked. */
apr_int64_t throttle_acquire(request_rec *r, const auth_backend *be,
                             const char *user, throttle_ticket **ticket);
/* After the check, with what the authn provider said. */
void throttle_settle(request_rec *r, throttle_ticket *ticket,
                     authn_status res);
/* The cache keys of the counters of user name USER and client address
 * IP (the /64 network of an IPv6 address). */
const char *throttle_user_key(apr_pool_t *p, const char *user);
const char *throttle_address_key(apr_pool_t *p, const char *ip);
/* "60", "60s", "15m", "1h": NULL and *SECONDS, or an error message. */
const char *throttle_parse_period(apr_pool_t *p, const char *s,
                                  apr_int64_t *seconds);

#endif /* AUTH_BACKEND_THROTTLE_H */
