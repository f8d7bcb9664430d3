/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_jwt_claims.c — claim validation (src/strategy/jwt/claims.c,
 * through the strategy's read).  The harness signs the fuzzed payload with the
 * backend's own key, so every input gets past the signature and into the
 * claims.  Input: one mode byte, then the payload.  Mode bit 0: the HS256
 * backend (fastapi-users' defaults, cache on) or the HS512 one (issuer,
 * two audiences, leeway 30, no cache); bit 1: the header is taken from the
 * input too, up to the first newline, instead of {"alg":...,"typ":"JWT"}.
 * Property: the result agrees with an independent reading of the claims
 * (exp required and in the future, nbf and iat not in the future, aud
 * accepted, iss when configured, sub a non-empty string without control
 * characters); whatever the header says, claims that must be refused are,
 * and so is a header that names another algorithm or has crit.
 */

#include "fuzz.h"

#include "apr_lib.h"

#include <openssl/hmac.h>

#include <jansson.h>
#include <openssl/evp.h>
#include "jwt_backends.h"

typedef enum { ACCEPT, UNSURE, REFUSE } verdict;

static verdict worse(verdict a, verdict b)
{
    return a > b ? a : b;
}

/* A NumericDate against the time the module read it at, somewhere in
 * [t0, t1]: EXP must lie after it, others not after it (with leeway). */
static verdict time_claim(json_t *claims, const char *name, int is_exp,
                          double t0, double t1, double leeway)
{
    json_t *v = json_object_get(claims, name);
    double t;

    if (!v) {
        return is_exp ? REFUSE : ACCEPT;
    }
    if (!json_is_number(v)) {
        return REFUSE;
    }
    t = json_number_value(v);
    if (is_exp) {
        return t > t1 - leeway ? ACCEPT : t <= t0 - leeway ? REFUSE : UNSURE;
    }
    return t <= t0 + leeway ? ACCEPT : t > t1 + leeway ? REFUSE : UNSURE;
}

static int audience_ok(int which, const char *aud)
{
    return !strcmp(aud, "fastapi-users:auth")
           || (which == JWT_HS512 && !strcmp(aud, "other"));
}

static verdict oracle(int which, const char *payload, apr_size_t len,
                      double t0, double t1)
{
    double leeway = which == JWT_HS512 ? JWT_LEEWAY : 0;
    json_t *claims = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *aud, *sub, *iss;
    verdict v = ACCEPT;
    size_t i, n;

    if (!claims || !json_is_object(claims)) {
        json_decref(claims);
        return REFUSE;
    }
    /* jansson skips a NUL after a number, but the claims are handed on
     * as a C string: a payload with a NUL is refused */
    if (memchr(payload, '\0', len)) {
        v = REFUSE;
    }
    v = worse(v, time_claim(claims, "exp", 1, t0, t1, leeway));
    v = worse(v, time_claim(claims, "nbf", 0, t0, t1, leeway));
    v = worse(v, time_claim(claims, "iat", 0, t0, t1, leeway));

    iss = json_object_get(claims, "iss");
    if (which == JWT_HS512
        && (!json_is_string(iss) || strcmp(json_string_value(iss), JWT_ISSUER))) {
        v = REFUSE;
    }

    aud = json_object_get(claims, "aud");
    if (json_is_string(aud)) {
        v = worse(v, audience_ok(which, json_string_value(aud)) ? ACCEPT : REFUSE);
    }
    else if (json_is_array(aud)) {
        int found = 0;
        for (i = 0; i < json_array_size(aud); i++) {
            json_t *e = json_array_get(aud, i);
            if (!json_is_string(e)) {
                found = -1;
                break;
            }
            found = found || audience_ok(which, json_string_value(e));
        }
        v = worse(v, found == 1 ? ACCEPT : REFUSE);
    }
    else {
        v = REFUSE;
    }

    sub = json_object_get(claims, "sub");
    if (!json_is_string(sub)) {
        v = REFUSE;
    }
    else {
        const char *s = json_string_value(sub);
        n = json_string_length(sub);
        if (n == 0 || n > 1024 || strlen(s) != n) {
            v = REFUSE;
        }
        for (i = 0; i < n; i++) {
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
                v = REFUSE;
            }
        }
    }
    json_decref(claims);
    return v;
}

/* A header must name the configured algorithm and nothing this module
 * does not understand (crit); what else the JOSE engine refuses is its
 * business. */
static verdict header_verdict(int which, const char *header, apr_size_t len)
{
    json_t *h = json_loadb(header, len, JSON_REJECT_DUPLICATES, NULL);
    const char *alg = json_string_value(json_object_get(h, "alg"));
    verdict v = UNSURE;

    if (!json_is_object(h) || !alg
        || strcmp(alg, which == JWT_HS512 ? "HS512" : "HS256")
        || json_object_get(h, "crit")) {
        v = REFUSE;
    }
    json_decref(h);
    return v;
}

/* HEADER.PAYLOAD.HMAC, with the key and digest of backend WHICH. */
static const char *sign(apr_pool_t *p, int which, const char *header,
                        apr_size_t header_len, const char *payload,
                        apr_size_t payload_len)
{
    const char *secret = which == JWT_HS512 ? FUZZ_SECRET512 : FUZZ_SECRET;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    const char *input = apr_pstrcat(
        p, b64url_encode(p, (const unsigned char *)header, header_len), ".",
        b64url_encode(p, (const unsigned char *)payload, payload_len), NULL);

    if (!HMAC(which == JWT_HS512 ? EVP_sha512() : EVP_sha256(), secret,
              (int)strlen(secret), (const unsigned char *)input, strlen(input),
              mac, &mac_len)) {
        abort();
    }
    return apr_pstrcat(p, input, ".", b64url_encode(p, mac, mac_len), NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    request_rec *r;
    const char *header, *payload, *nl, *token, *user = NULL, *claims = NULL;
    apr_size_t header_len, payload_len;
    int which, own_header;
    double t0, t1;
    verdict expect;
    auth_backend_status st;

    if (size < 1) {
        return 0;
    }
    fuzz_init();
    jwt_backends();
    which = data[0] & 1 ? JWT_HS512 : JWT_HS256;
    own_header = data[0] & 2;
    payload = (const char *)data + 1;
    payload_len = size - 1;
    if (own_header && (nl = memchr(payload, '\n', payload_len))) {
        header = payload;
        header_len = nl - payload;
        payload_len -= header_len + 1;
        payload = nl + 1;
    }
    else {
        own_header = 0;
        header = which == JWT_HS512 ? "{\"alg\":\"HS512\",\"typ\":\"JWT\"}"
                                    : "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
        header_len = strlen(header);
    }

    apr_pool_create(&p, fuzz_process_pool());
    r = fuzz_request(p);
    token = sign(p, which, header, header_len, payload, payload_len);

    t0 = (double)apr_time_now() / APR_USEC_PER_SEC;
    st = jwt_backend[which]->strategy->read(r, jwt_backend[which], token,
                                           &user, &claims);
    t1 = (double)apr_time_now() / APR_USEC_PER_SEC;

    expect = oracle(which, payload, payload_len, t0, t1);
    if (own_header) {
        expect = worse(expect, header_verdict(which, header, header_len));
    }
    if (expect == REFUSE) {
        FUZZ_ASSERT(st != AUTH_BACKEND_OK, "claims that must be refused "
                    "were accepted");
    }
    if (expect == ACCEPT && !own_header) {
        FUZZ_ASSERT(st == AUTH_BACKEND_OK, "valid claims refused (%d)", st);
    }
    if (st == AUTH_BACKEND_OK) {
        json_t *j = json_loadb(payload, payload_len, 0, NULL);
        FUZZ_ASSERT(j && !strcmp(user, json_string_value(
                                     json_object_get(j, "sub"))),
                    "the user is not sub");
        FUZZ_ASSERT(strlen(claims) == payload_len
                    && !memcmp(claims, payload, payload_len),
                    "the claims are not the payload");
        json_decref(j);
    }
    apr_pool_destroy(p);
    return 0;
}
