/* The optional modes of test_jose.
 *
 * --bench: µs per token for each algorithm (parse + verify, and verify
 * alone), and the alternatives the engine was chosen against.  A
 * benchmark, not a test: it prints figures and never fails.  Short loops
 * (about 3 s in all) on purpose: the machine is shared.
 *
 * --vectors FILE: tokens made by other implementations
 * (t/unit/jose_vectors.py), one TAP line each.
 *
 * --sign: tokens made by the engine, one per algorithm, in the same line
 * format, for jose_vectors.py --check to verify with PyJWT. */

#include "strategy/jwt/jose.h"

#include "apr_strings.h"
#include "apr_time.h"

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include "tap.h"

void jose_bench(apr_pool_t *p);
int jose_vectors(apr_pool_t *p, const char *path);
void jose_sign_vectors(apr_pool_t *p);

#define PAYLOAD "{\"sub\":\"6f1c2a9e-3b7d-4c1e-9a5f-2d8e7b6c4a10\",\"aud\":" \
                "[\"fastapi-users:auth\"],\"exp\":4102444800}"

static double per_op(apr_time_t start, int n)
{
    return (double)(apr_time_now() - start) / n;
}

/* Parse + verify (what a request costs), then verify alone. */
static void bench_alg(apr_pool_t *p, const jose_key *sk, const jose_key *vk,
                      jose_alg alg, int n)
{
    const char *hdr = apr_psprintf(p, "{\"alg\":\"%s\",\"typ\":\"JWT\","
                                   "\"kid\":\"k1\"}", jose_alg_name(alg));
    const char *token, *why;
    apr_size_t len;
    apr_pool_t *sub;
    jose_jws *jws;
    apr_time_t t;
    int i, ok = 0;

    if (jose_jws_sign(p, sk, hdr, PAYLOAD, &token, &why) != APR_SUCCESS) {
        printf("%-6s cannot sign: %s\n", jose_alg_name(alg), why);
        return;
    }
    len = strlen(token);
    apr_pool_create(&sub, p);
    t = apr_time_now();
    for (i = 0; i < n; i++) {
        ok += jose_jws_parse(sub, token, len, &jws, &why) == APR_SUCCESS
              && jose_jws_verify(vk, jws, &why) == APR_SUCCESS;
        apr_pool_clear(sub);
    }
    printf("%-6s parse+verify %8.2f us", jose_alg_name(alg), per_op(t, n));
    jose_jws_parse(sub, token, len, &jws, &why);
    t = apr_time_now();
    for (i = 0; i < n; i++) {
        ok += jose_jws_verify(vk, jws, &why) == APR_SUCCESS;
    }
    printf("   verify %8.2f us   (%d tokens of %zu bytes, %s)\n",
           per_op(t, n), n, len, ok == 2 * n ? "all valid" : "FAILURES");
    apr_pool_destroy(sub);
}

/* HMAC-SHA256 of a token's signing input, four ways. */
static void bench_hmac(const jose_key *k, int n)
{
    static const char in[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiO"
        "iI2ZjFjMmE5ZS0zYjdkLTRjMWUtOWE1Zi0yZDhlN2I2YzRhMTAiLCJhdWQiOlsiZmFzdGFw"
        "aS11c2VyczphdXRoIl0sImV4cCI6NDEwMjQ0NDgwMH0";
    unsigned char mac[64];
    size_t ml;
    unsigned int ul;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM prm[2] = { OSSL_PARAM_construct_utf8_string(
                              OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                          OSSL_PARAM_construct_end() };
    apr_time_t t;
    int i;

    t = apr_time_now();
    for (i = 0; i < n; i++) {
        HMAC(EVP_sha256(), k->secret, (int)k->secret_len,
             (const unsigned char *)in, sizeof(in) - 1, mac, &ul);
    }
    printf("HMAC   HMAC() one-shot       %6.2f us\n", per_op(t, n));
    t = apr_time_now();
    for (i = 0; i < n; i++) {
        EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->secret,
                  k->secret_len, (const unsigned char *)in, sizeof(in) - 1,
                  mac, sizeof(mac), &ml);
    }
    printf("HMAC   EVP_Q_mac             %6.2f us\n", per_op(t, n));
    t = apr_time_now();
    for (i = 0; i < n; i++) {
        EVP_MAC_CTX *c = EVP_MAC_CTX_new(m);
        EVP_MAC_init(c, k->secret, k->secret_len, prm);
        EVP_MAC_update(c, (const unsigned char *)in, sizeof(in) - 1);
        EVP_MAC_final(c, mac, &ml, sizeof(mac));
        EVP_MAC_CTX_free(c);
    }
    printf("HMAC   EVP_MAC new+init      %6.2f us (EVP_MAC fetched once)\n",
           per_op(t, n));
    t = apr_time_now();
    for (i = 0; i < n; i++) {
        EVP_MAC_CTX *c = EVP_MAC_CTX_dup(k->mac[0]);
        EVP_MAC_update(c, (const unsigned char *)in, sizeof(in) - 1);
        EVP_MAC_final(c, mac, &ml, sizeof(mac));
        EVP_MAC_CTX_free(c);
    }
    printf("HMAC   keyed template dup    %6.2f us (the engine's way)\n",
           per_op(t, n));
    EVP_MAC_free(m);
}

/* RSA the textbook way, for comparison: EVP_DigestVerifyInit per call
 * (with the digest fetched once), which the engine replaced by a template
 * EVP_PKEY_CTX duplicated per call. */
static void bench_rsa_digestverify(apr_pool_t *p, const jose_key *sk,
                                   const jose_key *vk, int n)
{
    const char *token, *why;
    jose_jws *jws;
    apr_time_t t;
    int i, ok = 0;

    if (jose_jws_sign(p, sk, "{\"alg\":\"RS256\"}", PAYLOAD, &token, &why)
        || jose_jws_parse(p, token, strlen(token), &jws, &why)) {
        return;
    }
    t = apr_time_now();
    for (i = 0; i < n; i++) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        ok += EVP_DigestVerifyInit(c, NULL, vk->md[0], NULL, vk->pkey) == 1
              && EVP_DigestVerify(c, jws->sig, jws->sig_len,
                                  (const unsigned char *)jws->signing_input,
                                  jws->signing_input_len) == 1;
        EVP_MD_CTX_free(c);
    }
    printf("RS256  EVP_DigestVerifyInit per call      verify %8.2f us (%s)\n",
           per_op(t, n), ok == n ? "all valid" : "FAILURES");
}

static int load(apr_pool_t *p, EVP_PKEY *pk, jose_alg alg, jose_key **sk,
                jose_key **vk)
{
    BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());
    const char *why;
    char *d1, *d2;
    long n1, n2;
    int ok;

    PEM_write_bio_PrivateKey(a, pk, NULL, NULL, 0, NULL, NULL);
    PEM_write_bio_PUBKEY(b, pk);
    n1 = BIO_get_mem_data(a, &d1);
    n2 = BIO_get_mem_data(b, &d2);
    ok = jose_key_from_pem(p, d1, n1, JOSE_ALG_BIT(alg), "k1", sk, &why) == 0
         && jose_key_from_pem(p, d2, n2, JOSE_ALG_BIT(alg), "k1", vk, &why)
            == 0;
    BIO_free(a);
    BIO_free(b);
    EVP_PKEY_free(pk);
    return ok;
}

void jose_bench(apr_pool_t *p)
{
    static const unsigned char secret[32] = "a 32-byte HMAC secret, no more.";
    jose_key *sk, *vk;
    const char *why;

    if (jose_key_from_secret(p, secret, 32, JOSE_ALG_BIT(JOSE_HS256), "k1",
                             &sk, &why) == APR_SUCCESS) {
        bench_alg(p, sk, sk, JOSE_HS256, 200000);
        bench_hmac(sk, 200000);
    }
    if (load(p, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048),
             JOSE_RS256, &sk, &vk)) {
        bench_alg(p, sk, vk, JOSE_RS256, 20000);
        bench_rsa_digestverify(p, sk, vk, 20000);
    }
    if (load(p, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048),
             JOSE_PS256, &sk, &vk)) {
        bench_alg(p, sk, vk, JOSE_PS256, 20000);
    }
    if (load(p, EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), JOSE_ES256,
             &sk, &vk)) {
        bench_alg(p, sk, vk, JOSE_ES256, 5000);
    }
    if (load(p, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), JOSE_EDDSA, &sk,
             &vk)) {
        bench_alg(p, sk, vk, JOSE_EDDSA, 5000);
    }
}

/* ---- tokens of other implementations ------------------------------------ */

static jose_key *vector_key(apr_pool_t *p, const char *kind, const char *key,
                            jose_alg a, const char **why)
{
    unsigned char *raw;
    jose_key *k = NULL;
    json_t *j;
    apr_ssize_t n;

    if (!strcmp(kind, "jwk")) {
        j = json_loads(key, 0, NULL);
        jose_key_from_jwk(p, j, JOSE_ALG_BIT(a), 0, &k, why);
        json_decref(j);
    }
    else if ((n = b64url_decode(p, key, strlen(key), &raw)) < 0) {
        *why = "KEY is not base64url";
    }
    else if (!strcmp(kind, "pem")) {
        jose_key_from_pem(p, (char *)raw, n, JOSE_ALG_BIT(a), NULL, &k, why);
    }
    else {
        jose_key_from_secret(p, raw, n, JOSE_ALG_BIT(a), NULL, &k, why);
    }
    return k;
}

/* One line per token: LIBRARY ALG KIND KEY TOKEN, KIND being jwk (compact
 * JSON), pem or secret (both base64url); '#' starts a comment. */
static void check_vector(apr_pool_t *p, char *line)
{
    char *last, *lib = apr_strtok(line, " \n", &last);
    char *alg = apr_strtok(NULL, " \n", &last);
    char *kind = apr_strtok(NULL, " \n", &last);
    char *key = apr_strtok(NULL, " \n", &last);
    char *token = apr_strtok(NULL, " \n", &last);
    jose_alg a = alg ? jose_alg_from_name(alg, strlen(alg)) : 0;
    const char *why = "no key";
    jose_key *k;
    jose_jws *jws;
    int ok;

    if (!lib || *lib == '#') {
        return;
    }
    if (!token || !a) {
        CHECK(0, "vector line: LIBRARY ALG KIND KEY TOKEN");
        return;
    }
    ok = (k = vector_key(p, kind, key, a, &why))
         && jose_jws_parse(p, token, strlen(token), &jws, &why) == APR_SUCCESS
         && jose_jws_verify(k, jws, &why) == APR_SUCCESS;
    CHECK(ok, apr_psprintf(p, "%s %s (%s key)%s%s", lib, alg, kind,
                           ok ? "" : ": ", ok ? "" : why));
}

int jose_vectors(apr_pool_t *p, const char *path)
{
    FILE *f = fopen(path, "r");
    static char line[65536];

    if (!f) {
        CHECK(0, "the vectors file opens");
        return tap_done();
    }
    while (fgets(line, sizeof(line), f)) {
        check_vector(p, line);
    }
    fclose(f);
    return tap_done();
}

/* ---- tokens of the engine, for other implementations -------------------- */

static void sign_vector(apr_pool_t *p, EVP_PKEY *pk, jose_alg alg)
{
    const char *hdr = apr_psprintf(p, "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
                                   jose_alg_name(alg));
    const char *token, *why;
    jose_key *sk, *vk;
    BIO *b = BIO_new(BIO_s_mem());
    char *pem;
    long n;

    PEM_write_bio_PUBKEY(b, pk);
    n = BIO_get_mem_data(b, &pem);
    if (load(p, pk, alg, &sk, &vk)
        && jose_jws_sign(p, sk, hdr, PAYLOAD, &token, &why) == APR_SUCCESS) {
        printf("jose %s pem %s %s\n", jose_alg_name(alg),
               b64url_encode(p, (unsigned char *)pem, n), token);
    }
    BIO_free(b);
}

void jose_sign_vectors(apr_pool_t *p)
{
    static const unsigned char secret[64] = "a 64-byte HMAC secret for HS512, "
                                            "and HS256 and HS384 too, ok.";
    static const char *const curves[] = { "P-256", "P-384", "P-521" };
    const char *token, *why;
    jose_key *k;
    int a;

    for (a = JOSE_HS256; a <= JOSE_HS512; a++) {
        if (jose_key_from_secret(p, secret, 64, JOSE_ALG_BIT(a), NULL, &k,
                                 &why) == APR_SUCCESS
            && jose_jws_sign(p, k, apr_psprintf(p, "{\"alg\":\"%s\"}",
                             jose_alg_name(a)), PAYLOAD, &token, &why)
               == APR_SUCCESS) {
            printf("jose %s secret %s %s\n", jose_alg_name(a),
                   b64url_encode(p, secret, 64), token);
        }
    }
    for (a = JOSE_RS256; a <= JOSE_PS512; a++) {
        sign_vector(p, EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), a);
    }
    for (a = JOSE_ES256; a <= JOSE_ES512; a++) {
        sign_vector(p, EVP_PKEY_Q_keygen(NULL, NULL, "EC",
                                         curves[a - JOSE_ES256]), a);
    }
    sign_vector(p, EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), JOSE_EDDSA);
    sign_vector(p, EVP_PKEY_Q_keygen(NULL, NULL, "ED448"), JOSE_EDDSA);
}
