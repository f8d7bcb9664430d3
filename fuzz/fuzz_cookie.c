/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_cookie.c — the Cookie header (src/transport_cookie.c): reading the
 * token, hiding it from the application, and finding it again in a
 * subrequest.  Each input line is one Cookie header ("Cookie2:" at the
 * start of a line makes it a Cookie2 header).
 * Properties: a token is a b64token that was in a cookie of the configured
 * name; after hide() no Cookie or Cookie2 header holds a pair of that name
 * (so the application never sees it), and a subrequest made afterwards
 * finds the same token; the next request of the connection with the same
 * headers (answered from the connection's memo when it can be) gets the
 * same status, token and remaining headers; no log line holds the token.
 */

#include "fuzz.h"

#include "apr_lib.h"

#include "../src/transport/cookie.c"

static const auth_backend *web;

#define NAME "fastapiusersauth"

/* The Cookie and Cookie2 headers of R, in order, as one string. */
static const char *cookie_header_text(request_rec *r)
{
    const apr_array_header_t *elts = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)elts->elts;
    const char *all = "";
    int i;

    for (i = 0; i < elts->nelts; i++) {
        if (!strcasecmp(e[i].key, "Cookie") || !strcasecmp(e[i].key, "Cookie2")) {
            all = apr_pstrcat(r->pool, all, e[i].key, ": ", e[i].val, "\n",
                              NULL);
        }
    }
    return all;
}

/* Does any Cookie/Cookie2 header of R still hold a NAME=... pair? */
static int holds_cookie(request_rec *r)
{
    const apr_array_header_t *elts = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)elts->elts;
    int i;

    for (i = 0; i < elts->nelts; i++) {
        const char *v;
        if (strcasecmp(e[i].key, "Cookie") && strcasecmp(e[i].key, "Cookie2")) {
            continue;
        }
        for (v = e[i].val; v; v = strpbrk(v, ";,")) {
            v += strspn(v, ";,");
            while (apr_isspace(*v)) {
                v++;
            }
            if (!strncmp(v, NAME "=", sizeof(NAME))) {
                return 1;
            }
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    request_rec *r, *sub, *next;
    char *input, *line, *last;
    const char *token = NULL, *again = NULL, *left, *token_next = NULL;
    auth_backend_status st, st_sub, st_next;
    apr_table_t *sent;

    fuzz_init();
    if (!web) {
        web = fuzz_backend("web", "cookie", "jwt secret=file:secret.txt");
    }
    apr_pool_create(&p, fuzz_process_pool());
    r = fuzz_request(p);
    input = fuzz_cstr(p, data, size);
    for (line = apr_strtok(input, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        if (!strncasecmp(line, "Cookie2:", 8)) {
            apr_table_addn(r->headers_in, "Cookie2", line + 8);
        }
        else {
            apr_table_addn(r->headers_in, "Cookie", line);
        }
    }
    fuzz_log_reset();
    sent = apr_table_copy(p, r->headers_in);

    st = cookie_extract(r, web, &token);
    left = cookie_header_text(r);
    switch (st) {
    case AUTH_BACKEND_OK:
        FUZZ_ASSERT(token && token_is_b64token(token, strlen(token)),
                    "OK without a b64token");
        /* with strip=on, extract already took the cookie out and kept it
         * for subrequests */
        FUZZ_ASSERT(holds_cookie(r)
                    || (request_state_get(r) && request_state_get(r)->hidden
                        && apr_table_get(request_state_get(r)->hidden,
                                         web->name)),
                    "a token but no %s cookie", NAME);
        break;
    case AUTH_BACKEND_NOT_MINE:
    case AUTH_BACKEND_DENIED:
        FUZZ_ASSERT(!token, "a token with status %d", st);
        break;
    default:
        FUZZ_ASSERT(0, "cookie_extract returned %d", st);
    }

    cookie_hide(r, web);
    FUZZ_ASSERT(!holds_cookie(r), "the application still sees the cookie");

    /* an internal redirect or subrequest copies the stripped headers and
     * must still find the token */
    sub = fuzz_subrequest(r);
    st_sub = cookie_extract(sub, web, &again);
    if (st == AUTH_BACKEND_OK) {
        FUZZ_ASSERT(st_sub == AUTH_BACKEND_OK && !strcmp(token, again),
                    "a subrequest lost the token (status %d)", st_sub);
    }
    else {
        FUZZ_ASSERT(st_sub != AUTH_BACKEND_OK, "a subrequest found a token "
                    "the request did not have");
    }
    /* the same headers again on the same connection */
    next = fuzz_request(p);
    next->connection = r->connection;
    next->headers_in = apr_table_copy(p, sent);
    st_next = cookie_extract(next, web, &token_next);
    FUZZ_ASSERT(st_next == st, "the next request got status %d, not %d",
                st_next, st);
    FUZZ_ASSERT(!token == !token_next
                && (!token || !strcmp(token, token_next)),
                "the next request got another token");
    FUZZ_ASSERT(!strcmp(left, cookie_header_text(next)),
                "the next request left other headers");

    if (token && strlen(token) >= 16) {
        FUZZ_ASSERT(!strstr(fuzz_log_text(), token), "the token was logged");
    }
    apr_pool_destroy(p);
    return 0;
}
