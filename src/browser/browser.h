/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * browser.h — the browser flow: page loads told from API calls, the
 * login page redirect and next=, and the CSRF origin check.
 */

#ifndef AUTH_BACKEND_BROWSER_H
#define AUTH_BACKEND_BROWSER_H

#include "auth_backend.h"

/* ---- the browser flow (browser.c) ----------------------------------------- */

/* A page load by a browser rather than an API call: Sec-Fetch-Mode:
 * navigate, or an Accept that prefers HTML; never with X-Requested-With. */
int browser_navigation(request_rec *r);
/* NEXT if it is a same-origin path that is safe to redirect to (with
 * the characters RFC 3986 forbids, like '<' and '"', percent-encoded), or
 * NULL. */
const char *browser_local_path(apr_pool_t *p, const char *next);
/* S as a form (query) value, %-escapes in upper case. */
const char *browser_form_encode(apr_pool_t *p, const char *s);
/* Where an unauthenticated browser is sent: LOGIN_URL?next=<this URL>. */
const char *browser_login_location(request_rec *r, const char *login_url);
/* Makes the response a 303 to LOCATION (no body). */
int browser_see_other(request_rec *r, const char *location);
/* "scheme://host:port" of URL in lower case with the port always written,
 * or NULL if URL is not an http(s) URL; BARE: nothing but an origin. */
const char *origin_normalize(apr_pool_t *p, const char *url, int bare);
/* The CSRF defence for requests whose token a browser sends by itself:
 * OK for a safe method or a request from this server's own origin or a
 * trusted one, else HTTP_FORBIDDEN (logged, naming WHAT was refused). */
int csrf_check(request_rec *r, const auth_backend_dir_conf *conf,
               const char *what);

#endif /* AUTH_BACKEND_BROWSER_H */
