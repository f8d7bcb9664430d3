/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_jwt.c — JWT decoding (src/strategy/jwt/jwt.c, through the provider) of a token as a
 * client sends it: segment splitting, base64url, header parsing, algorithm
 * pinning, the JOSE engine's verification and, for the signed seeds, the claims and
 * the token cache.  Every input is read by four backends (HS256, HS512,
 * RS256, ES256), twice: the second read may come from the cache.
 * Properties: only OK, NOT_MINE, DENIED or EXPIRED; OK has a user and the
 * claims; both reads agree; no log line holds a b64token token.
 */

#include "fuzz.h"

#include <jansson.h>
#include <openssl/evp.h>
#include "jwt_backends.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    request_rec *r;
    const char *token;
    int i, round;

    fuzz_init();
    jwt_backends();
    apr_pool_create(&p, fuzz_process_pool());
    r = fuzz_request(p);
    token = fuzz_cstr(p, data, size);
    fuzz_log_reset();

    for (i = 0; i < JWT_BACKENDS; i++) {
        auth_backend_status first = AUTH_BACKEND_OK;
        const char *first_user = NULL, *first_claims = NULL;

        for (round = 0; round < 2; round++) {
            const char *user = NULL, *claims = NULL;
            const auth_backend *be = jwt_backend[i];
            auth_backend_status st = be->strategy->read(r, be, token, &user,
                                                        &claims);

            FUZZ_ASSERT(st == AUTH_BACKEND_OK || st == AUTH_BACKEND_NOT_MINE
                        || st == AUTH_BACKEND_DENIED
                        || st == AUTH_BACKEND_EXPIRED,
                        "the jwt strategy's read returned %d", st);
            if (st == AUTH_BACKEND_OK) {
                FUZZ_ASSERT(user && *user && claims, "OK without a user");
            }
            if (round == 0) {
                first = st;
                first_user = user;
                first_claims = claims;
            }
            else if (first == AUTH_BACKEND_OK) {
                /* (a token that expires between the reads may differ) */
                FUZZ_ASSERT(st != AUTH_BACKEND_OK
                            || (!strcmp(user, first_user)
                                && !strcmp(claims, first_claims)),
                            "the cache changed user or claims");
            }
            else {
                FUZZ_ASSERT(st != AUTH_BACKEND_OK,
                            "accepted on the second read only");
            }
        }
    }
    /* (as a transport passes it: a b64token has no spaces, so it cannot
     * be mistaken for a log line's own words) */
    if (strlen(token) >= 16 && token_is_b64token(token, strlen(token))) {
        FUZZ_ASSERT(!strstr(fuzz_log_text(), token), "the token was logged");
    }
    apr_pool_destroy(p);
    return 0;
}
