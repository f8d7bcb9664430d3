/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * throttle.h — login throttling (AuthBackendLoginThrottle): counters per
 * user name and client address in a shared socache.
 */

#ifndef AUTH_BACKEND_THROTTLE_H
#define AUTH_BACKEND_THROTTLE_H

#include "auth_backend.h"

/* ---- login throttling (throttle.c, throttle_key.c, throttle_size.c) ------- */

#define THROTTLE_MAX_FAILURES 100000
#define THROTTLE_MAX_PERIOD   86400         /* seconds */

typedef struct throttle_ticket throttle_ticket;

struct throttle_limits {
    unsigned int max[2];                /* 0: that counter is off */
    apr_int64_t period[2];              /* seconds */
};

enum { BY_USER, BY_ADDRESS };

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
/* The cache keys of the counters of user name USER (its canonical form)
 * and client address IP (the /64 network of an IPv6 address). */
const char *throttle_user_key(apr_pool_t *p, const char *user);
const char *throttle_address_key(apr_pool_t *p, const char *ip);
/* ---- user names (throttle_key.c) ------------------------------------------ */

/* Once per configuration (freed with PCONF), before any name is folded:
 * NULL, or why names are folded in ASCII only (no C.UTF-8 locale). */
const char *throttle_name_init(apr_pool_t *pconf);
/* USER as its counter knows it: white space trimmed and runs of it made
 * one space, letters transliterated to ASCII where they can be (accents
 * and compatibility forms: "José", "ＪＯＳＥ" are "jose"), the rest in
 * lower case.  At least as coarse as the authn providers that fold names
 * (LDAP, accent- and case-insensitive SQL collations), so that no
 * spelling of a name gets a counter of its own. */
const char *throttle_canonical_name(apr_pool_t *p, const char *user);

/* ---- the shmcb cache: keys and size (throttle_size.c) ---------------------- */

/* The key a counter of kind WHICH (BY_*) is kept under in a shmcb cache:
 * a keyed hash of KEY, THROTTLE_SPREAD_KEY_LEN bytes.  shmcb picks a
 * sub-cache by the first byte of a key; with SECRET unknown to clients,
 * no client can aim its counters at the sub-cache of another's, and the
 * churn of the address counters (stored again at every failure) never
 * reaches the sub-caches of the user names'. */
#define THROTTLE_SPREAD_KEY_LEN 21
const char *throttle_spread_key(apr_pool_t *p, const unsigned char *secret,
                                apr_size_t secret_len, const char *key,
                                int which);

/* The bytes a counter takes in a shmcb cache (key, value and index). */
#define THROTTLE_SHMCB_ENTRY (24 + THROTTLE_SPREAD_KEY_LEN + 16)
/* Warns (with FILE:LINE) about each limit in USES (const throttle_use)
 * whose lockouts a flood of failures for other names could push out of a
 * shmcb cache of BYTES bytes. */
typedef struct {
    const throttle_limits *limits;
    const char *where;                  /* file:line */
} throttle_use;
void throttle_size_check(server_rec *s, apr_size_t bytes,
                         const apr_array_header_t *uses);
/* The size of the cache of SPEC ("shmcb[:args]" as AuthBackendThrottleCache
 * has it; NULL: the default shmcb), or 0 for another provider. */
apr_size_t throttle_shmcb_bytes(const char *spec);
/* "60", "60s", "15m", "1h": NULL and *SECONDS, or an error message. */
const char *throttle_parse_period(apr_pool_t *p, const char *s,
                                  apr_int64_t *seconds);

#endif /* AUTH_BACKEND_THROTTLE_H */
