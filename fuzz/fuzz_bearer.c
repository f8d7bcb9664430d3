/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_bearer.c — the Authorization header (src/transport_bearer.c), and
 * what follows it on every request: the backend walk of src/authn.c into
 * the JWT strategy.  Each input line is one Authorization header; several
 * are merged with ", " as httpd merges repeated request headers.
 * Properties: the result is what an independent reading of RFC 6750 §2.1
 * gives (a token only after the scheme "Bearer", in any case: one b64token,
 * trimmed; another scheme is NOT_MINE, a malformed token DENIED); the walk
 * answers only OK, NOT_MINE, DENIED or EXPIRED; no log line holds the
 * token.
 */

#include "fuzz.h"

#include "../src/transport/bearer.c"

static const auth_backend *api;
static apr_array_header_t *names;

#define SPACE " \t\n\v\f\r"
#define B64TOKEN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
                       "0123456789-._~+/"

/* RFC 6750 §2.1, independently: the scheme "Bearer" in any case, then
 * space and one b64token; the surrounding space is dropped. */
static auth_backend_status expected(apr_pool_t *p, const char *h,
                                    const char **token)
{
    const char *scheme = h ? h + strspn(h, SPACE) : "";
    apr_size_t n = strcspn(scheme, SPACE);
    const char *v = scheme + n + strspn(scheme + n, SPACE);
    apr_size_t len = strlen(v), chars, pad;

    *token = NULL;
    if (n != 6 || strncasecmp(scheme, "bearer", 6)) {       /* or no header */
        return AUTH_BACKEND_NOT_MINE;
    }
    while (len && strchr(SPACE, v[len - 1])) {
        len--;
    }
    chars = strspn(v, B64TOKEN_CHARS);
    pad = strspn(v + chars, "=");
    if (!chars || chars + pad != len || len > TOKEN_MAX_LENGTH) {
        return AUTH_BACKEND_DENIED;
    }
    *token = apr_pstrmemdup(p, v, len);
    return AUTH_BACKEND_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    request_rec *r;
    char *input, *line, *last;
    const char *token = NULL, *user = NULL, *claims = NULL, *tok = NULL;
    const char *expect_token;
    const auth_backend *which = NULL;
    auth_backend_status st, expect;

    fuzz_init();
    if (!api) {
        api = fuzz_backend("api", "bearer", "jwt secret=file:secret.txt");
        names = apr_array_make(fuzz_process_pool(), 1, sizeof(const char *));
        APR_ARRAY_PUSH(names, const char *) = "api";
    }
    apr_pool_create(&p, fuzz_process_pool());
    r = fuzz_request(p);
    input = fuzz_cstr(p, data, size);
    for (line = apr_strtok(input, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        apr_table_merge(r->headers_in, "Authorization", line);
    }
    fuzz_log_reset();

    st = bearer_extract(r, api, &token);
    expect = expected(p, apr_table_get(r->headers_in, "Authorization"),
                      &expect_token);
    FUZZ_ASSERT(st == expect, "status %d, expected %d", st, expect);
    FUZZ_ASSERT(st == AUTH_BACKEND_OK ? token && !strcmp(token, expect_token)
                                      : !token, "not the expected token");

    st = backends_authenticate(r, names, &which, &user, &tok, &claims);
    FUZZ_ASSERT(st == AUTH_BACKEND_OK || st == AUTH_BACKEND_NOT_MINE
                || st == AUTH_BACKEND_DENIED || st == AUTH_BACKEND_EXPIRED,
                "the walk returned %d", st);
    if (st == AUTH_BACKEND_OK) {
        FUZZ_ASSERT(user && *user && which == api && tok && claims,
                    "OK without user, backend, token or claims");
    }
    if (token && strlen(token) >= 16) {
        FUZZ_ASSERT(!strstr(fuzz_log_text(), token), "the token was logged");
    }
    apr_pool_destroy(p);
    return 0;
}
