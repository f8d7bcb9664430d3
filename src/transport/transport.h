/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * transport.h — what the transports share: a connection's memo of its
 * last Cookie header (cookie_memo.c), and strip=on for requests that
 * switch to HTTP/2 (upgrade.c).
 */

#ifndef AUTH_BACKEND_TRANSPORT_H
#define AUTH_BACKEND_TRANSPORT_H

#include "auth_backend.h"

/* ---- a connection's last Cookie header (cookie_memo.c) ------------------ */

/* Header, value and what stripping left, together; a larger header is
 * parsed on every request as before. */
#define COOKIE_MEMO_MAX 8192

typedef struct cookie_memo cookie_memo;

/* An empty memo that grows in P (the connection's pool). */
cookie_memo *cookie_memo_create(apr_pool_t *p);
/* 1 when HEADER is byte for byte the one last stored for OWNER (the
 * transport's configuration): VALUE is what ap_cookie_read() found in it
 * and KEPT the Cookie header it left (NULL: none).  Both point into the
 * memo: copy them before the next put. */
int cookie_memo_get(const cookie_memo *m, const void *owner,
                    const char *header, const char **value,
                    const char **kept);
/* Stores them in place of whatever the memo held. */
void cookie_memo_put(cookie_memo *m, const void *owner, const char *header,
                     const char *value, const char *kept);

/* ---- strip=on and "Upgrade: h2c" (upgrade.c) ----------------------------- */

/* 0 when R is to keep its token for now: the core handler will switch
 * its connection to HTTP/2, whose stream 1 is built from its headers. */
int transport_strip_now(request_rec *r);
/* A handler right after the core's: a request that kept its token for a
 * switch that did not happen loses it now. */
int transport_upgrade_handler(request_rec *r);

#endif /* AUTH_BACKEND_TRANSPORT_H */
