/* Unit tests of the JOSE engine (src/strategy/jwt/jose_*.c), TAP output:
 * the RFC 7515/7517/8037 examples, a sign/verify round trip for every
 * algorithm with keys made here, and the refusals RFC 8725 asks for.
 *   test_jose                  the tests
 *   test_jose --bench          µs per verification, per algorithm
 *   test_jose --vectors FILE   tokens of other implementations (made by
 *                              t/unit/jose_vectors.py) must all verify
 *   test_jose --sign           tokens of the engine, for jose_vectors.py --check
 * The last three are in test_jose_tools.c.
 */

#include "strategy/jwt/jose.h"

#include "apr_general.h"
#include "apr_strings.h"
#include "apr_time.h"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"

void jose_bench(apr_pool_t *p);
int jose_vectors(apr_pool_t *p, const char *path);
void jose_sign_vectors(apr_pool_t *p);

/* ---- RFC examples ------------------------------------------------------- */

#define RFC_PAYLOAD "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6" \
                    "Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

/* RFC 7515 A.1 */
static const char a1_jwk[] = "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1"
    "qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
static const char a1_token[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    RFC_PAYLOAD ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* RFC 7515 A.2 (the public part of the key of RFC 7515 A.2.1) */
#define A2_N "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmf" \
    "HQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b3" \
    "2690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-" \
    "UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFv" \
    "UK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
static const char a2_jwk[] = "{\"kty\":\"RSA\",\"n\":\"" A2_N "\",\"e\":\"AQAB\"}";
static const char a2_token[] = "eyJhbGciOiJSUzI1NiJ9." RFC_PAYLOAD
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4"
    "Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZ"
    "LgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_d"
    "O--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6L"
    "bgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

/* RFC 7515 A.3: ECDSA is randomised, but the token printed there verifies */
#define A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
static const char a3_jwk[] = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X
    "\",\"y\":\"" A3_Y "\",\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}";
#define A3_SIG "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8I" \
               "SlSApmWQxfKTUJqPP3-Kg6NU1Q"
static const char a3_token[] = "eyJhbGciOiJFUzI1NiJ9." RFC_PAYLOAD "." A3_SIG;

/* RFC 8037 A.1 and A.4 */
static const char ed_jwk[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"nWGx"
    "ne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7"
    "hcvPapiMlrwIaaPcHURo\"}";
static const char ed_token[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5"
    "IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGj"
    "g5BhVsPt9g7sVvpAr_MuM0KAg";

/* RFC 7517 A.1 (an encryption key and a signature key) */
static const char jwks_a1[] = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\",\"y\":\"4Etl6SRW2Yi"
    "LUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\",\"use\":\"enc\",\"kid\":\"1\"},{\"kty\""
    ":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbf"
    "AAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5Js"
    "GY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8"
    "KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6We"
    "Zu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\","
    "\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}]}";

/* RFC 7517 A.3 (A128KW is no signature algorithm) and B (x5c, abridged
 * here: the engine never reads it) */
static const char jwks_a3[] = "{\"keys\":[{\"kty\":\"oct\",\"alg\":\"A128KW\","
    "\"k\":\"GawgguFyGrWKav7AX4VKUg\"},{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZ"
    "ld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\""
    ",\"kid\":\"HMAC key used in JWS spec Appendix A.1 example\"}]}";
static const char jwks_b[] = "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\","
    "\"kid\":\"1b94c\",\"n\":\"vrjOfz9Ccdgx5nQudyhdoR17V-IubWMeOZCwX_jj0hgAsz2"
    "J_pqYW08PLbK_PdiVGKPrqzmDIsLI7sA25VEnHU1uCLNwBuUiCO11_-7dYbsr4iJmG0Qu2j8"
    "DsVyT1azpJC_NG84Ty5KKthuCaPod7iI7w0LK9orSMhBEwwZDCxTWq4aYWAchc8t-emd9qOv"
    "WtVMDC2BXksRngh6X5bUYLy6AyHKvj-nUy1wgzjYQDwHMTplCoLtU-o-8SNnZ1tmRoGE9uJk"
    "BLdh5gFENabWnU5m1ZqZPdwS-qo-meMvVfJb6jJVWRpl2SUtCnYG2C32qvbWbjZ_jBPD5eun"
    "qsIo1vQ\",\"e\":\"AQAB\",\"x5c\":[\"MIIDQjCCAiqgAwIBAgIGATz/FuLiMA0G\"]}]}";

/* ---- helpers ------------------------------------------------------------ */

static const char *why;     /* the last reason, for a look in a debugger */

static jose_key *jwk(apr_pool_t *p, const char *text, unsigned int allowed,
                     int private)
{
    json_t *j = json_loads(text, 0, NULL);
    jose_key *k = NULL;

    if (jose_key_from_jwk(p, j, allowed, private, &k, &why) != APR_SUCCESS) {
        k = NULL;
    }
    json_decref(j);
    return k;
}

/* TOKEN parses and verifies with KEY. */
static int verifies(apr_pool_t *p, const jose_key *k, const char *token)
{
    jose_jws *jws;

    return k && jose_jws_parse(p, token, strlen(token), &jws, &why)
                == APR_SUCCESS
           && jose_jws_verify(k, jws, &why) == APR_SUCCESS;
}

static int parses(apr_pool_t *p, const char *token)
{
    jose_jws *jws;

    return jose_jws_parse(p, token, strlen(token), &jws, &why) == APR_SUCCESS;
}

/* A compact JWS of HEADER and PAYLOAD (JSON) with the signature SIG. */
static const char *forge(apr_pool_t *p, const char *header,
                         const char *payload, const char *sig)
{
    return apr_pstrcat(p, b64url_encode(p, (const unsigned char *)header,
                                             strlen(header)), ".",
                       b64url_encode(p, (const unsigned char *)payload,
                                          strlen(payload)), ".", sig, NULL);
}

static const char *pem_of(apr_pool_t *p, EVP_PKEY *k, int private)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;

    if (private) {
        PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
    }
    else {
        PEM_write_bio_PUBKEY(bio, k);
    }
    n = BIO_get_mem_data(bio, &data);
    out = apr_pstrmemdup(p, data, n);
    BIO_free(bio);
    return out;
}

/* The same key pair twice: a signing key and a verify-only key. */
static int pem_pair(apr_pool_t *p, EVP_PKEY *pk, unsigned int algs,
                    jose_key **priv, jose_key **pub)
{
    const char *a = pem_of(p, pk, 1), *b = pem_of(p, pk, 0);

    return jose_key_from_pem(p, a, strlen(a), algs, NULL, priv, &why)
           == APR_SUCCESS
           && jose_key_from_pem(p, b, strlen(b), algs, NULL, pub, &why)
              == APR_SUCCESS;
}

static const char *sign(apr_pool_t *p, const jose_key *k, jose_alg alg,
                        const char *payload)
{
    const char *token = NULL;
    const char *hdr = apr_psprintf(p, "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
                                   jose_alg_name(alg));

    return jose_jws_sign(p, k, hdr, payload, &token, &why) == APR_SUCCESS
           ? token : NULL;
}

/* Keys generated here: one per family, used by the round trips and the
 * benchmark. */
typedef struct {
    EVP_PKEY *rsa, *rsa_pss, *ec[3], *ed25519, *ed448;
} test_keys;

/* EVP_PKEY_Q_keygen of OpenSSL 3.0 takes a size for "RSA" only. */
static EVP_PKEY *rsa_pss_keygen(void)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *k = NULL;

    if (c && EVP_PKEY_keygen_init(c) == 1
        && EVP_PKEY_CTX_set_rsa_keygen_bits(c, 2048) == 1) {
        EVP_PKEY_generate(c, &k);
    }
    EVP_PKEY_CTX_free(c);
    return k;
}

static void make_keys(test_keys *t)
{
    t->rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    t->rsa_pss = rsa_pss_keygen();
    t->ec[0] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    t->ec[1] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    t->ec[2] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    t->ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    t->ed448 = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
}

static void free_keys(test_keys *t)
{
    EVP_PKEY_free(t->rsa);
    EVP_PKEY_free(t->rsa_pss);
    EVP_PKEY_free(t->ec[0]);
    EVP_PKEY_free(t->ec[1]);
    EVP_PKEY_free(t->ec[2]);
    EVP_PKEY_free(t->ed25519);
    EVP_PKEY_free(t->ed448);
}

static const unsigned char secret64[64] = "0123456789abcdef0123456789abcdef"
                                          "0123456789abcdef0123456789abcde";

/* The signing and verifying key of ALG. */
static int keys_for(apr_pool_t *p, const test_keys *t, jose_alg alg,
                    jose_key **priv, jose_key **pub)
{
    unsigned int bit = JOSE_ALG_BIT(alg);

    if (alg <= JOSE_HS512) {
        *pub = NULL;
        return jose_key_from_secret(p, secret64, 64, bit, NULL, priv, &why)
               == APR_SUCCESS && (*pub = *priv);
    }
    return pem_pair(p, alg <= JOSE_PS512 ? t->rsa
                       : alg <= JOSE_ES512 ? t->ec[alg - JOSE_ES256]
                       : t->ed25519, bit, priv, pub);
}

/* ---- the tests ---------------------------------------------------------- */

static void test_rfc_vectors(apr_pool_t *p)
{
    jose_key *hs = jwk(p, a1_jwk, JOSE_ALG_BIT(JOSE_HS256), 0);
    jose_key *rs = jwk(p, a2_jwk, JOSE_ALG_BIT(JOSE_RS256), 0);
    jose_key *es = jwk(p, a3_jwk, 0, 1), *ed = jwk(p, ed_jwk, 0, 1);
    const char *token;
    jose_jws *jws;

    CHECK(verifies(p, hs, a1_token), "RFC 7515 A.1 HS256 verifies");
    CHECK(verifies(p, rs, a2_token), "RFC 7515 A.2 RS256 verifies");
    CHECK(es && es->algs == JOSE_ALG_BIT(JOSE_ES256) && es->can_sign,
          "an EC P-256 JWK is pinned to ES256 by its curve");
    CHECK(verifies(p, es, a3_token), "RFC 7515 A.3 ES256 verifies");
    CHECK(verifies(p, ed, ed_token), "RFC 8037 A.4 EdDSA verifies");
    CHECK(verifies(p, es, sign(p, es, JOSE_ES256, "{}")),
          "ES256 signed with the RFC 7515 A.3 key verifies");
    CHECK(jose_jws_sign(p, ed, "{\"alg\":\"EdDSA\"}",
                        "Example of Ed25519 signing", &token, &why)
          == APR_SUCCESS && !strcmp(token, ed_token),
          "RFC 8037 A.4: Ed25519 signing reproduces the RFC's token");
    CHECK(jose_jws_parse(p, a1_token, strlen(a1_token), &jws, &why)
          == APR_SUCCESS && jws->alg == JOSE_HS256 && !jws->kid
          && !strcmp(jws->typ, "JWT") && jws->payload_len == 70
          && !memcmp(jws->payload, "{\"iss\":\"joe\",\r\n", 15),
          "parse: alg, typ, the decoded payload");
    CHECK(!jwk(p, a1_jwk, 0, 0), "an oct JWK with no alg and none configured "
          "is refused (nothing pins it)");
    CHECK(!jwk(p, a2_jwk, 0, 0), "so is an RSA JWK with no alg");
}

static void test_jwks(apr_pool_t *p)
{
    jose_keyset *set;
    const jose_key *cand[JOSE_MAX_CANDIDATES];
    jose_skipped *s;

    CHECK(jose_keyset_parse(p, jwks_a1, strlen(jwks_a1), 0, &set, &why)
          == APR_SUCCESS && set->keys->nelts == 1 && set->skipped->nelts == 1,
          "RFC 7517 A.1: one signature key, one skipped");
    s = &APR_ARRAY_IDX(set->skipped, 0, jose_skipped);
    CHECK(s->index == 0 && !strcmp(s->kid, "1")
          && !strcmp(s->reason, "use is not sig"),
          "the use=enc key is skipped with its kid and the reason");
    CHECK(jose_keyset_find(set, "2011-04-29", JOSE_RS256, cand, &why) == 1
          && !strcmp(cand[0]->kid, "2011-04-29"), "find by kid");
    CHECK(jose_keyset_find(set, "2011-04-29", JOSE_PS256, cand, &why) == 0,
          "a kid with another alg finds nothing (alg pinned by the JWK)");
    CHECK(jose_keyset_find(set, "nope", JOSE_RS256, cand, &why) == 0
          && !jose_keyset_knows_kid(set, "nope")
          && jose_keyset_knows_kid(set, "2011-04-29"), "kid not found");
    CHECK(jose_keyset_find(set, NULL, JOSE_RS256, cand, &why) == 1,
          "no kid: the one key of the alg");
    CHECK(jose_keyset_parse(p, jwks_a3, strlen(jwks_a3), 0, &set, &why)
          != APR_SUCCESS && set && set->skipped->nelts == 2,
          "RFC 7517 A.3: A128KW and an unpinned oct key: no usable key");
    CHECK(jose_keyset_parse(p, jwks_a3, strlen(jwks_a3),
                            JOSE_ALG_BIT(JOSE_HS256), &set, &why)
          == APR_SUCCESS && set->keys->nelts == 1
          && jose_keyset_find(set, "HMAC key used in JWS spec Appendix A.1 "
                              "example", JOSE_HS256, cand, &why) == 1
          && verifies(p, cand[0], a1_token),
          "RFC 7517 A.3 with HS256 configured: the A.1 token verifies");
    CHECK(jose_keyset_parse(p, jwks_b, strlen(jwks_b), JOSE_ALGS_RS, &set,
                            &why) == APR_SUCCESS && set->keys->nelts == 1
          && !strcmp(APR_ARRAY_IDX(set->keys, 0, const jose_key *)->kid,
                     "1b94c"), "RFC 7517 B: the RSA key with x5c");
    CHECK(jose_keyset_parse(p, "{\"keys\":{}}", 11, 0, &set, &why)
          != APR_SUCCESS && !set, "keys must be an array");
    CHECK(jose_keyset_parse(p, "[]", 2, 0, &set, &why) != APR_SUCCESS,
          "not an object");
    CHECK(jose_keyset_parse(p, "{\"keys\":[],\"keys\":[]}", 21, 0, &set, &why)
          != APR_SUCCESS, "duplicate members refused");
}

static void test_keyset_rules(apr_pool_t *p)
{
    const char *k1 = "{\"kty\":\"oct\",\"alg\":\"HS256\",\"kid\":\"a\",\"k\":\""
                     "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75a"
                     "KtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
    const char *doc = apr_psprintf(p, "{\"keys\":[%s,%s]}", k1, k1);
    const char *kidless = "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKO"
        "bwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";
    const jose_key *cand[JOSE_MAX_CANDIDATES];
    jose_keyset *set;
    int i;

    CHECK(jose_keyset_parse(p, doc, strlen(doc), 0, &set, &why) == APR_SUCCESS
          && set->keys->nelts == 1 && set->skipped->nelts == 1
          && !strcmp(APR_ARRAY_IDX(set->skipped, 0, jose_skipped).reason,
                     "duplicate kid"), "a duplicate kid is skipped");
    CHECK(jose_keyset_find(set, "a", JOSE_HS256, cand, &why) == 1
          && verifies(p, cand[0], forge(p, "{\"alg\":\"HS256\",\"kid\":\"a\"}",
                                        "{}", "x")) == 0, "a bad MAC fails");
    set = jose_keyset_make(p);
    for (i = 0; i < 4; i++) {
        jose_keyset_add(set, jwk(p, kidless, JOSE_ALG_BIT(JOSE_HS256), 0),
                        &why);
        CHECK(jose_keyset_find(set, NULL, JOSE_HS256, cand, &why)
              == (i < JOSE_MAX_CANDIDATES ? i + 1 : 0),
              i < JOSE_MAX_CANDIDATES ? "no kid: up to 3 candidates"
              : "no kid and 4 candidates: none tried");
    }
    CHECK(jose_keyset_find(set, "x", JOSE_HS256, cand, &why) == 0,
          "a kid, only kid-less keys, too many of them: none");
    set = jose_keyset_make(p);
    jose_keyset_add(set, jwk(p, kidless, JOSE_ALG_BIT(JOSE_HS256), 0), &why);
    CHECK(jose_keyset_find(set, "x", JOSE_HS256, cand, &why) == 1,
          "a kid no key has: a kid-less static key is the candidate");
    doc = "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"" A2_N "\","
          "\"e\":\"AQAB\",\"d\":\"AQAB\"}]}";
    CHECK(jose_keyset_parse(p, doc, strlen(doc), 0, &set, &why) == APR_SUCCESS
          && !APR_ARRAY_IDX(set->keys, 0, const jose_key *)->can_sign,
          "a key set never loads private members");
}

static void test_round_trips(apr_pool_t *p, const test_keys *t)
{
    jose_key *priv, *pub, *ed448;
    const char *token;
    int a;

    for (a = JOSE_HS256; a < JOSE_ALG_COUNT; a++) {
        const char *name = jose_alg_name(a);
        int ok = keys_for(p, t, a, &priv, &pub);

        token = ok ? sign(p, priv, a, "{\"sub\":\"u\",\"exp\":4102444800}")
                   : NULL;
        CHECK(token && verifies(p, pub, token),
              apr_psprintf(p, "%s: sign, then verify with the public key",
                           name));
        CHECK(token && !verifies(p, pub, apr_pstrcat(p, token, "A", NULL))
              && !verifies(p, pub, forge(p, apr_psprintf(p,
                           "{\"alg\":\"%s\",\"typ\":\"JWT\"}", name),
                           "{\"sub\":\"admin\",\"exp\":4102444800}",
                           strrchr(token, '.') + 1)),
              apr_psprintf(p, "%s: a tampered signature or payload fails",
                           name));
        CHECK(a <= JOSE_HS512 || (!pub->can_sign
              && jose_jws_sign(p, pub, apr_psprintf(p, "{\"alg\":\"%s\"}",
                               name), "{}", &token, &why) != APR_SUCCESS),
              apr_psprintf(p, "%s: a public key cannot sign", name));
    }
    CHECK(pem_pair(p, t->ed448, 0, &ed448, &pub)
          && verifies(p, pub, sign(p, ed448, JOSE_EDDSA, "{}")),
          "EdDSA on Ed448 too");
    CHECK(pem_pair(p, t->rsa, JOSE_ALGS_RS | JOSE_ALGS_PS, &priv, &pub)
          && verifies(p, pub, sign(p, priv, JOSE_RS384, "{}"))
          && verifies(p, pub, sign(p, priv, JOSE_PS512, "{}")),
          "an RSA key serves RS* and PS* only when the caller allows both");
    CHECK(pem_pair(p, t->rsa_pss, JOSE_ALG_BIT(JOSE_PS384), &priv, &pub)
          && verifies(p, pub, sign(p, priv, JOSE_PS384, "{}"))
          && !pem_pair(p, t->rsa_pss, JOSE_ALGS_RS, &priv, &pub),
          "an RSA-PSS key serves PS* and never RS*");
}

/* The refusals of RFC 8725 and of jose.h. */
static void test_alg_rules(apr_pool_t *p, const test_keys *t)
{
    jose_key *rsa, *rsa_pub, *pss, *pss_pub, *hs, *es, *es_pub;
    const char *pem = pem_of(p, t->rsa, 0), *token;

    pem_pair(p, t->rsa, JOSE_ALG_BIT(JOSE_RS256), &rsa, &rsa_pub);
    pem_pair(p, t->rsa, JOSE_ALG_BIT(JOSE_PS256), &pss, &pss_pub);
    pem_pair(p, t->ec[0], 0, &es, &es_pub);
    /* the classic confusion: HS256 keyed with the RSA public key's PEM */
    jose_key_from_secret(p, (const unsigned char *)pem, strlen(pem),
                         JOSE_ALG_BIT(JOSE_HS256), NULL, &hs, &why);
    token = sign(p, hs, JOSE_HS256, "{}");
    CHECK(token && !verifies(p, rsa_pub, token),
          "HS256 token (MAC keyed with the public PEM) against the RSA key");
    CHECK(!verifies(p, pss_pub, sign(p, rsa, JOSE_RS256, "{}")),
          "RS256 token against a PS256-pinned key");
    CHECK(!verifies(p, rsa_pub, sign(p, pss, JOSE_PS256, "{}")),
          "PS256 token against an RS256-pinned key");
    CHECK(!sign(p, hs, JOSE_RS256, "{}") && !sign(p, rsa, JOSE_HS256, "{}"),
          "no signing across families either");
    CHECK(!verifies(p, es_pub, sign(p, rsa, JOSE_RS256, "{}")),
          "RS256 token against an EC key");
    CHECK(jose_key_from_pem(p, pem, strlen(pem), JOSE_ALGS_HS, NULL, &hs,
                            &why) != APR_SUCCESS,
          "an RSA PEM cannot be loaded as an HS key");
    CHECK(jose_key_from_pem(p, pem, strlen(pem), 0, NULL, &hs, &why)
          != APR_SUCCESS, "an RSA PEM with no configured alg is refused");
    CHECK(jose_key_from_pem(p, pem, strlen(pem), JOSE_ALG_BIT(JOSE_ES256),
                            NULL, &hs, &why) != APR_SUCCESS,
          "an RSA PEM for ES256 is refused");
    CHECK(!verifies(p, hs, forge(p, "{\"alg\":\"HS256\"}", "{}", "")),
          "empty signature");
}

static void test_header_rules(apr_pool_t *p)
{
    CHECK(!parses(p, forge(p, "{\"alg\":\"none\"}", "{}", ""))
          && !parses(p, forge(p, "{\"alg\":\"None\"}", "{}", ""))
          && !parses(p, forge(p, "{\"alg\":\"hs256\"}", "{}", "AA")),
          "alg none, None, hs256 do not parse");
    CHECK(!parses(p, forge(p, "{\"typ\":\"JWT\"}", "{}", "AA"))
          && !parses(p, forge(p, "{\"alg\":256}", "{}", "AA")),
          "alg missing or not a string");
    CHECK(!parses(p, forge(p, "{\"alg\":\"HS256\",\"crit\":[\"exp\"],"
                           "\"exp\":1}", "{}", "AA")), "crit refused");
    CHECK(!parses(p, forge(p, "{\"alg\":\"HS256\",\"b64\":false}", "{}", "AA"))
          && parses(p, forge(p, "{\"alg\":\"HS256\",\"b64\":true}", "{}",
                             "AA")), "b64=false refused");
    CHECK(parses(p, forge(p, "{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"RSA\"}}",
                          "{}", "AA"))
          && parses(p, forge(p, "{\"alg\":\"RS256\",\"jku\":\"https://x\"}",
                             "{}", "AA"))
          && parses(p, forge(p, "{\"alg\":\"RS256\",\"x5c\":[]}", "{}", "AA")),
          "key members (jwk, jku, x5c) parse: they are never read");
    CHECK(!parses(p, forge(p, "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", "{}",
                           "AA")), "duplicate header members refused");
    CHECK(!parses(p, forge(p, "{\"alg\":\"HS256\",\"kid\":\"a\\u0000b\"}",
                           "{}", "AA"))
          && !parses(p, forge(p, "{\"alg\":\"HS256\",\"kid\":7}", "{}", "AA")),
          "a kid with a NUL or not a string refused");
    CHECK(!parses(p, forge(p, "[\"alg\"]", "{}", "AA")),
          "a header that is no object");
}

/* A.1's token with its signature part replaced. */
static const char *a1_with_sig(apr_pool_t *p, const char *sig)
{
    return apr_pstrcat(p, apr_pstrndup(p, a1_token,
                                       strrchr(a1_token, '.') - a1_token + 1),
                       sig, NULL);
}

static void test_encoding(apr_pool_t *p)
{
    jose_key *hs = jwk(p, a1_jwk, JOSE_ALG_BIT(JOSE_HS256), 0);
    jose_key *es = jwk(p, a3_jwk, 0, 0);
    unsigned char *out;
    const char *sig63;

    CHECK(!parses(p, a1_with_sig(p, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk="))
          && !parses(p, apr_pstrcat(p, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1"
                                    "NiJ9=", strchr(a1_token, '.'), NULL)),
          "base64url: padding refused");
    CHECK(!parses(p, a1_with_sig(p, "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
          && !parses(p, a1_with_sig(p, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r/wW1gFWFOEjXk")),
          "base64url: '+' and '/' refused");
    CHECK(!parses(p, a1_with_sig(p, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk "))
          && !parses(p, a1_with_sig(p, "dBjftJeZ4CVP-mB92K27uhbU\nJU1p1r_wW1gFWFOEjXk")),
          "base64url: whitespace refused");
    CHECK(!parses(p, a1_with_sig(p, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl")),
          "base64url: non-canonical trailing bits refused");
    CHECK(b64url_decode(p, "QQ", 2, &out) == 1 && out[0] == 'A'
          && b64url_decode(p, "QR", 2, &out) < 0
          && b64url_decode(p, "Q", 1, &out) < 0
          && b64url_decode(p, "", 0, &out) == 0,
          "base64url: lengths and bits");
    CHECK(!strcmp(b64url_encode(p, (const unsigned char *)"\xfb\xff", 2),
                  "-_8"), "base64url: encoding");
    CHECK(verifies(p, hs, a1_token) && !parses(p, "a.b") && !parses(p, "a.b.c.d")
          && !parses(p, "..") && !parses(p, ""), "three parts, no more");
    sig63 = b64url_encode(p, (const unsigned char *)apr_pstrdup(p,
                               "0123456789012345678901234567890123456789012345"
                               "67890123456789012"), 63);
    CHECK(!verifies(p, es, apr_pstrcat(p, "eyJhbGciOiJFUzI1NiJ9.", RFC_PAYLOAD,
                                       ".", sig63, NULL)),
          "ES256: a 63-byte signature is refused");
    CHECK(!verifies(p, es, apr_pstrcat(p, "eyJhbGciOiJFUzI1NiJ9.", RFC_PAYLOAD,
                                       ".", A3_SIG, "AAAA", NULL)),
          "ES256: a 67-byte signature is refused");
    CHECK(!verifies(p, hs, a1_with_sig(p, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOE")),
          "HS256: a truncated MAC is refused");
    CHECK(!parses(p, apr_pstrcat(p, "eyJhbGciOiJIUzI1NiJ9.",
                                 apr_psprintf(p, "%0*d", JOSE_MAX_TOKEN, 0),
                                 ".AA", NULL)), "an oversized token");
}

static void test_key_rules(apr_pool_t *p)
{
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    const char *pem = pem_of(p, small, 0);
    unsigned char big[2048];
    jose_key *k;

    CHECK(jose_key_from_pem(p, pem, strlen(pem), JOSE_ALGS_RS, NULL, &k, &why)
          != APR_SUCCESS && strstr(why, "2048"),
          "RSA 1024-bit PEM refused");
    memset(big, 0xc3, sizeof(big));
    CHECK(!jwk(p, apr_psprintf(p, "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":"
                               "\"%s\",\"e\":\"AQAB\"}",
                               b64url_encode(p, big, 128)), 0, 0),
          "RSA 1024-bit JWK refused");
    CHECK(!jwk(p, apr_psprintf(p, "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":"
                               "\"%s\",\"e\":\"AQAB\"}",
                               b64url_encode(p, big, 2048)), 0, 0)
          && strstr(why, "8192"), "RSA 16384-bit JWK refused");
    CHECK(!jwk(p, "{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"" A2_N "\","
               "\"e\":\"AAE\"}", 0, 0), "RSA exponent 1 refused");
    EVP_PKEY_free(small);
}

static void test_ec_key_rules(apr_pool_t *p)
{
    CHECK(!jwk(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":"
               "\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}", 0, 0),
          "EC point not on the curve refused");
    CHECK(!jwk(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":"
               "\"" A3_Y "AAAA\"}", 0, 0) && strstr(why, "length"),
          "EC coordinate longer than the field refused");
    CHECK(!jwk(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" A3_X "\",\"y\":"
               "\"AQ\"}", 0, 0) && strstr(why, "curve"),
          "a short coordinate is padded, then checked on the curve");
    CHECK(!jwk(p, "{\"kty\":\"EC\",\"crv\":\"P-384\",\"alg\":\"ES256\",\"x\":"
               "\"" A3_X "\",\"y\":\"" A3_Y "\"}", 0, 0)
          && !jwk(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\",\"x\":"
                  "\"" A3_X "\",\"y\":\"" A3_Y "\"}", 0, 0),
          "ES256 needs P-256 and P-256 serves ES256 only");
    CHECK(!jwk(p, "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"" A3_X
               "\",\"y\":\"" A3_Y "\"}", 0, 0), "unknown crv refused");
    CHECK(!jwk(p, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"RS256\",\"x\":"
               "\"" A3_X "\",\"y\":\"" A3_Y "\"}", 0, 0),
          "alg inconsistent with kty refused");
}

static void test_other_key_rules(apr_pool_t *p)
{
    jose_key *k;

    CHECK(!jwk(p, "{\"kty\":\"XYZ\"}", 0, 0) && !jwk(p, "{\"k\":\"AA\"}", 0, 0),
          "unknown or missing kty refused");
    CHECK(!jwk(p, "{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":\"AAAAAAAAAAAAAAAA"
               "AAAAAA\"}", 0, 0), "a 16-byte HMAC secret refused");
    CHECK(!jwk(p, "{\"kty\":\"oct\",\"alg\":\"HS256\",\"use\":\"enc\",\"k\":\""
               "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0"
               "iPS4hcgUuTwjAzZr1Z9CAow\"}", 0, 0)
          && !jwk(p, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"key_ops\":"
                  "[\"encrypt\"],\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaP"
                  "cHURo\"}", 0, 0), "use=enc and key_ops without verify");
    CHECK(!jwk(p, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"AyM1SysPpbyDf"
               "gZld3umj1qzKObwVMkoqQ-EstJQLr8\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg"
               "7hcvPapiMlrwIaaPcHURo\"}", 0, 1),
          "an Ed25519 d that does not match x");
    CHECK(!jwk(p, "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_"
               "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", 0, 0), "X25519 refused");
    CHECK(jose_key_from_secret(p, (const unsigned char *)"short", 5,
                               JOSE_ALGS_HS, NULL, &k, &why) != APR_SUCCESS
          && jose_key_from_secret(p, secret64, 40, JOSE_ALGS_HS, NULL, &k,
                                  &why) == APR_SUCCESS
          && k->algs == JOSE_ALG_BIT(JOSE_HS256),
          "a 40-byte secret serves HS256 only");
    CHECK(jose_key_from_pem(p, "junk", 4, JOSE_ALGS_RS, NULL, &k, &why)
          != APR_SUCCESS, "junk PEM refused");
}

static void run_tests(apr_pool_t *p)
{
    test_keys keys;

    make_keys(&keys);
    test_rfc_vectors(p);
    test_jwks(p);
    test_keyset_rules(p);
    test_round_trips(p, &keys);
    test_alg_rules(p, &keys);
    test_header_rules(p);
    test_encoding(p);
    test_key_rules(p);
    test_ec_key_rules(p);
    test_other_key_rules(p);
    free_keys(&keys);
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    int rc = 0;

    apr_initialize();
    apr_pool_create(&p, NULL);
    /* the optional modes live in t/unit/test_jose_tools.c */
    if (argc == 3 && !strcmp(argv[1], "--vectors")) {
        rc = jose_vectors(p, argv[2]);
    }
    else if (argc == 2 && !strcmp(argv[1], "--bench")) {
        jose_bench(p);
    }
    else if (argc == 2 && !strcmp(argv[1], "--sign")) {
        jose_sign_vectors(p);
    }
    else {
        run_tests(p);
        rc = tap_done();
    }
    apr_pool_destroy(p);        /* the keys' cleanups free their EVP objects */
    apr_terminate();
    return rc;
}
