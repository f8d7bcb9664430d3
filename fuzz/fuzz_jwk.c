/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_jwk.c — the JOSE engine (src/strategy/jwt/jose_*.c): JWKS documents
 * and JWS compact tokens from the network.  Input: one mode byte, then the
 * text.  Mode bit 0 clear: the text is a JWKS, parsed with the allowed
 * algorithms of bits 1-3 (none, HS*, RS*+PS*, ES*+EdDSA, every one...);
 * set: the text is a token, parsed, then verified with each of four keys
 * (HS256, RS256, ES256, EdDSA) and signed again when bit 1 is set.
 * Properties: a key set's keys are pinned (algs never 0, within the
 * allowed mask and the key type, RSA within 2048..8192 bits, no private
 * key), every JWK is either a key or a skipped entry with a reason, and
 * key lookup never returns more than JOSE_MAX_CANDIDATES; a parsed token
 * has a known alg and is the canonical encoding of its parts; a verified
 * HS256 token carries the MAC an independent HMAC computes; whatever the
 * engine signs, it verifies.
 */

#include "fuzz.h"

#include <openssl/hmac.h>

#include "../src/strategy/jwt/jose_key.c"
#include "../src/strategy/jwt/jose_jwk.c"
#include "../src/strategy/jwt/jose_jws.c"

#define FUZZ_JOSE_SECRET "fuzz-jose-hs256-secret-0123456789"

enum { K_HS, K_RS, K_ES, K_ED, K_COUNT };
static jose_key *keys[K_COUNT];

static jose_key *pkey(apr_pool_t *p, EVP_PKEY *pk, jose_alg alg)
{
    jose_key *k = NULL;
    const char *why = NULL;

    FUZZ_ASSERT(pk && jose_key_wrap(p, pk, JOSE_ALG_UNKNOWN,
                                    JOSE_ALG_BIT(alg), "k", 1, &k, &why)
                      == APR_SUCCESS, "fixture key: %s", why);
    return k;
}

/* Once: signing keys, in the process pool like a configuration. */
static void jose_fixture(void)
{
    apr_pool_t *p = fuzz_process_pool();
    const char *why;

    if (keys[K_HS]) {
        return;
    }
    FUZZ_ASSERT(jose_key_from_secret(p, (const unsigned char *)
                                     FUZZ_JOSE_SECRET,
                                     strlen(FUZZ_JOSE_SECRET),
                                     JOSE_ALG_BIT(JOSE_HS256), "k",
                                     &keys[K_HS], &why) == APR_SUCCESS,
                "fixture secret: %s", why);
    keys[K_RS] = pkey(p, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048),
                      JOSE_RS256);
    keys[K_ES] = pkey(p, EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"),
                      JOSE_ES256);
    keys[K_ED] = pkey(p, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
                      JOSE_EDDSA);
}

static const unsigned int masks[8] = {
    0, JOSE_ALGS_HS, JOSE_ALGS_RS | JOSE_ALGS_PS, JOSE_ALGS_ES
    | JOSE_ALG_BIT(JOSE_EDDSA), JOSE_ALGS_ALL, JOSE_ALG_BIT(JOSE_RS256),
    JOSE_ALG_BIT(JOSE_HS256), JOSE_ALGS_PS
};

/* Written out apart from jose_kty_algs. */
static unsigned int family_algs(jose_kty kty)
{
    return kty == JOSE_KTY_OCT ? JOSE_ALGS_HS
           : kty == JOSE_KTY_RSA ? JOSE_ALGS_RS | JOSE_ALGS_PS
           : kty == JOSE_KTY_EC ? JOSE_ALGS_ES
           : kty == JOSE_KTY_OKP ? JOSE_ALG_BIT(JOSE_EDDSA) : 0;
}

static void check_keyset(apr_pool_t *p, const char *text, size_t len,
                         unsigned int allowed)
{
    const jose_key *cand[JOSE_MAX_CANDIDATES];
    const char *why = NULL;
    jose_keyset *set;
    json_t *doc;
    int i, a, rv;

    rv = jose_keyset_parse(p, text, len, allowed, &set, &why);
    FUZZ_ASSERT(rv == APR_SUCCESS || why, "a failure has a reason");
    if (!set) {
        return;
    }
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_ASSERT((size_t)(set->keys->nelts + set->skipped->nelts)
                == json_array_size(json_object_get(doc, "keys")),
                "every JWK is a key or skipped");
    json_decref(doc);
    FUZZ_ASSERT((rv == APR_SUCCESS) == (set->keys->nelts > 0),
                "success means a usable key");
    for (i = 0; i < set->skipped->nelts; i++) {
        FUZZ_ASSERT(APR_ARRAY_IDX(set->skipped, i, jose_skipped).reason,
                    "a skipped key has a reason");
    }
    for (i = 0; i < set->keys->nelts; i++) {
        const jose_key *k = APR_ARRAY_IDX(set->keys, i, const jose_key *);
        FUZZ_ASSERT(k->algs && !(k->algs & ~JOSE_ALGS_ALL)
                    && (!allowed || !(k->algs & ~allowed)),
                    "algs %x pinned within %x", k->algs, allowed);
        FUZZ_ASSERT(!(k->algs & ~family_algs(k->kty)),
                    "algs %x fit the key type %d", k->algs, k->kty);
        FUZZ_ASSERT(k->kty != JOSE_KTY_RSA
                    || (k->bits >= 2048 && k->bits <= 8192),
                    "RSA key of %d bits", k->bits);
        FUZZ_ASSERT(!k->can_sign || k->kty == JOSE_KTY_OCT,
                    "a key set loads no private key");
        for (a = 1; a < JOSE_ALG_COUNT; a++) {
            FUZZ_ASSERT(jose_keyset_find(set, k->kid, a, cand, &why)
                        <= JOSE_MAX_CANDIDATES, "bounded candidates");
        }
    }
}

/* TOKEN verified with KEY: an HS256 success must match an HMAC of our own. */
static void check_verify(const jose_key *k, const jose_jws *jws)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const char *why;

    if (jose_jws_verify(k, jws, &why) != APR_SUCCESS) {
        return;
    }
    FUZZ_ASSERT(k->algs & JOSE_ALG_BIT(jws->alg), "verified with its alg");
    if (k->kty == JOSE_KTY_OCT) {
        HMAC(EVP_sha256(), FUZZ_JOSE_SECRET, strlen(FUZZ_JOSE_SECRET),
             (const unsigned char *)jws->signing_input,
             jws->signing_input_len, mac, &len);
        FUZZ_ASSERT(len == jws->sig_len && !memcmp(mac, jws->sig, len),
                    "an HS256 token verified with a wrong MAC");
    }
}

static void check_token(apr_pool_t *p, const char *token, size_t len,
                        int resign)
{
    const char *why = NULL, *again, *hdr, *signed_token;
    jose_jws *jws, *jws2;
    int i;

    if (jose_jws_parse(p, token, len, &jws, &why) != APR_SUCCESS) {
        FUZZ_ASSERT(why && !jws, "a refusal has a reason and no result");
        return;
    }
    FUZZ_ASSERT(jose_alg_name(jws->alg), "a parsed token has a known alg");
    again = apr_pstrcat(p, b64url_encode(p, (const unsigned char *)
                                              jws->header, jws->header_len),
                        ".", b64url_encode(p, jws->payload,
                                                jws->payload_len), ".",
                        b64url_encode(p, jws->sig, jws->sig_len), NULL);
    FUZZ_ASSERT(strlen(again) == len && !memcmp(again, token, len),
                "only canonical encodings parse");
    FUZZ_ASSERT(jws->signing_input_len < len
                && !memcmp(jws->signing_input, token, jws->signing_input_len),
                "the signing input is the token's first two parts");
    for (i = 0; i < K_COUNT; i++) {
        check_verify(keys[i], jws);
    }
    if (!resign || memchr(jws->payload, '\0', jws->payload_len)) {
        return;
    }
    for (i = 0; i < K_COUNT; i++) {
        hdr = apr_psprintf(p, "{\"alg\":\"%s\"}",
                           jose_alg_name(i == K_HS ? JOSE_HS256
                                         : i == K_RS ? JOSE_RS256
                                         : i == K_ES ? JOSE_ES256
                                         : JOSE_EDDSA));
        FUZZ_ASSERT(jose_jws_sign(p, keys[i], hdr, (const char *)jws->payload,
                                  &signed_token, &why) == APR_SUCCESS
                    && jose_jws_parse(p, signed_token, strlen(signed_token),
                                      &jws2, &why) == APR_SUCCESS
                    && jose_jws_verify(keys[i], jws2, &why) == APR_SUCCESS,
                    "what the engine signs it verifies (%s)", why);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;

    if (size < 1) {
        return 0;
    }
    fuzz_init();
    jose_fixture();
    apr_pool_create(&p, fuzz_process_pool());
    if (data[0] & 1) {
        check_token(p, fuzz_cstr(p, data + 1, size - 1), size - 1,
                    data[0] & 2);
    }
    else {
        check_keyset(p, fuzz_cstr(p, data + 1, size - 1), size - 1,
                     masks[(data[0] >> 1) & 7]);
    }
    apr_pool_destroy(p);
    return 0;
}
