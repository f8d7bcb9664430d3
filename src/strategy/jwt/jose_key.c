/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jose_key.c — the algorithm table, strict base64url, and keys: an
 * EVP_PKEY or an HMAC secret checked once and pinned to its algorithms
 * (see jose.h for the rules), from PEM text or raw secret bytes.  JWKs
 * are in jose_jwk.c.
 */

#include "strategy/jwt/jose.h"

#include "apr_strings.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <limits.h>
#include <string.h>

typedef struct {
    const char *name;
    jose_kty kty;
    int hash;                   /* 0/1/2: SHA-256/384/512; -1: EdDSA */
} alg_info;

static const alg_info alg_table[JOSE_ALG_COUNT] = {
    [JOSE_HS256] = { "HS256", JOSE_KTY_OCT, 0 },
    [JOSE_HS384] = { "HS384", JOSE_KTY_OCT, 1 },
    [JOSE_HS512] = { "HS512", JOSE_KTY_OCT, 2 },
    [JOSE_RS256] = { "RS256", JOSE_KTY_RSA, 0 },
    [JOSE_RS384] = { "RS384", JOSE_KTY_RSA, 1 },
    [JOSE_RS512] = { "RS512", JOSE_KTY_RSA, 2 },
    [JOSE_PS256] = { "PS256", JOSE_KTY_RSA, 0 },
    [JOSE_PS384] = { "PS384", JOSE_KTY_RSA, 1 },
    [JOSE_PS512] = { "PS512", JOSE_KTY_RSA, 2 },
    [JOSE_ES256] = { "ES256", JOSE_KTY_EC, 0 },
    [JOSE_ES384] = { "ES384", JOSE_KTY_EC, 1 },
    [JOSE_ES512] = { "ES512", JOSE_KTY_EC, 2 },
    [JOSE_EDDSA] = { "EdDSA", JOSE_KTY_OKP, -1 },
};

static const char *const hash_names[3] = { "SHA256", "SHA384", "SHA512" };
static const apr_size_t hash_sizes[3] = { 32, 48, 64 };

const char *jose_alg_name(jose_alg alg)
{
    return alg > JOSE_ALG_UNKNOWN && alg < JOSE_ALG_COUNT
           ? alg_table[alg].name : NULL;
}

jose_alg jose_alg_from_name(const char *name, apr_size_t len)
{
    int a;

    for (a = JOSE_ALG_UNKNOWN + 1; a < JOSE_ALG_COUNT; a++) {
        if (strlen(alg_table[a].name) == len
            && !memcmp(alg_table[a].name, name, len)) {
            return (jose_alg)a;
        }
    }
    return JOSE_ALG_UNKNOWN;
}

int jose_alg_hash(jose_alg alg)
{
    return alg > JOSE_ALG_UNKNOWN && alg < JOSE_ALG_COUNT
           ? alg_table[alg].hash : -1;
}

/* JWK curve names and OpenSSL's, for the curves JOSE signs with. */
static const struct {
    const char *jwk, *openssl;
    jose_alg alg;
} curves[] = {
    { "P-256", "prime256v1", JOSE_ES256 },
    { "P-384", "secp384r1", JOSE_ES384 },
    { "P-521", "secp521r1", JOSE_ES512 },
};

unsigned int jose_kty_algs(jose_kty kty, const char *curve, int pss_only)
{
    apr_size_t i;

    switch (kty) {
    case JOSE_KTY_OCT:
        return JOSE_ALGS_HS;
    case JOSE_KTY_RSA:
        return pss_only ? JOSE_ALGS_PS : JOSE_ALGS_RS | JOSE_ALGS_PS;
    case JOSE_KTY_EC:
        for (i = 0; curve && i < sizeof(curves) / sizeof(curves[0]); i++) {
            if (!strcmp(curve, curves[i].jwk)
                || !strcmp(curve, curves[i].openssl)) {
                return JOSE_ALG_BIT(curves[i].alg);
            }
        }
        return 0;
    case JOSE_KTY_OKP:
        return curve && (!strcmp(curve, "Ed25519") || !strcmp(curve, "Ed448"))
               ? JOSE_ALG_BIT(JOSE_EDDSA) : 0;
    }
    return 0;
}

/* ---- keys --------------------------------------------------------------- */

static apr_status_t key_cleanup(void *data)
{
    jose_key *k = data;
    int i;

    for (i = 0; i < JOSE_ALG_COUNT; i++) {
        EVP_PKEY_CTX_free(k->verify[i]);
    }
    EVP_PKEY_free(k->pkey);
    for (i = 0; i < 3; i++) {
        EVP_MD_free(k->md[i]);
        EVP_MAC_CTX_free(k->mac[i]);
    }
    if (k->secret) {
        OPENSSL_cleanse(k->secret, k->secret_len);
    }
    return APR_SUCCESS;
}

/* The algorithms a key is pinned to, from what it can POSSIBLY do: the
 * JWK's alg alone, else the caller's mask, else what the key implies if
 * that is a single algorithm. */
static unsigned int pin_algs(unsigned int possible, jose_alg jwk_alg,
                             unsigned int allowed, const char **reason)
{
    unsigned int algs;

    if (!possible) {
        *reason = "unsupported curve";
        return 0;
    }
    if (jwk_alg != JOSE_ALG_UNKNOWN) {
        algs = JOSE_ALG_BIT(jwk_alg);
        if (!(possible & algs)) {
            *reason = "alg inconsistent with the key type or curve";
            return 0;
        }
        if (allowed && !(allowed & algs)) {
            *reason = "alg not among the configured algorithms";
            return 0;
        }
        return algs;
    }
    if (allowed) {
        if (!(algs = possible & allowed)) {
            *reason = "key type does not fit the configured algorithms";
        }
        return algs;
    }
    if (possible & (possible - 1)) {
        *reason = "nothing pins the key's algorithm: it has no alg and "
                  "none is configured";
        return 0;
    }
    return possible;
}

/* Fetched once here: OpenSSL 3 looks a digest up by name on every
 * implicit use, which costs per request. */
static apr_status_t fetch_digests(jose_key *k, const char **reason)
{
    int a;

    for (a = JOSE_ALG_UNKNOWN + 1; a < JOSE_ALG_COUNT; a++) {
        int h = alg_table[a].hash;

        if ((k->algs & JOSE_ALG_BIT(a)) && h >= 0 && !k->md[h]
            && !(k->md[h] = EVP_MD_fetch(NULL, hash_names[h], NULL))) {
            *reason = "digest not available";
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

/* A verification context for ALG, initialised once: padding, salt length
 * and digest set.  Per call the engine duplicates it (EVP_PKEY_CTX_dup
 * only reads the template) and hands it the digest it computed itself.
 * Measured with OpenSSL 3.0: 4-5 us less per RSA-2048 verification than
 * EVP_DigestVerifyInit, which looks up the key management, the signature
 * and the digest again on every call. */
static EVP_PKEY_CTX *verify_template(const jose_key *k, int a)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    const EVP_MD *md = k->md[alg_table[a].hash];
    int ok = c && EVP_PKEY_verify_init(c) == 1;

    if (ok && alg_table[a].kty == JOSE_KTY_RSA) {
        ok = a >= JOSE_PS256
             ? EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) == 1
               && EVP_PKEY_CTX_set_rsa_pss_saltlen(c, RSA_PSS_SALTLEN_DIGEST)
                  == 1
               && EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) == 1
             : EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1;
    }
    if (!ok || EVP_PKEY_CTX_set_signature_md(c, md) != 1) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    return c;
}

static apr_status_t verify_templates(jose_key *k, const char **reason)
{
    int a;

    for (a = JOSE_RS256; a <= JOSE_ES512; a++) {
        if ((k->algs & JOSE_ALG_BIT(a))
            && !(k->verify[a] = verify_template(k, a))) {
            ERR_clear_error();
            *reason = "OpenSSL cannot verify with this key";
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

/* The kty and curve of PKEY, and whether an RSA key is PSS-only. */
static jose_kty pkey_kind(EVP_PKEY *pkey, char *curve, size_t size,
                          int *pss_only)
{
    *pss_only = 0;
    *curve = '\0';
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA_PSS:
        *pss_only = 1;
        /* fall through */
    case EVP_PKEY_RSA:
        return JOSE_KTY_RSA;
    case EVP_PKEY_EC:
        if (!EVP_PKEY_get_group_name(pkey, curve, size, NULL)) {
            *curve = '\0';
        }
        return JOSE_KTY_EC;
    case EVP_PKEY_ED25519:
        apr_cpystrn(curve, "Ed25519", size);
        return JOSE_KTY_OKP;
    case EVP_PKEY_ED448:
        apr_cpystrn(curve, "Ed448", size);
        return JOSE_KTY_OKP;
    }
    return 0;
}

apr_status_t jose_key_wrap(apr_pool_t *p, EVP_PKEY *pkey, jose_alg jwk_alg,
                           unsigned int allowed, const char *kid,
                           int can_sign, jose_key **key, const char **reason)
{
    jose_key *k = apr_pcalloc(p, sizeof(*k));
    apr_status_t rv = APR_EINVAL;
    char curve[64];
    int pss_only;

    k->pkey = pkey;
    apr_pool_cleanup_register(p, k, key_cleanup, apr_pool_cleanup_null);
    if (!(k->kty = pkey_kind(pkey, curve, sizeof(curve), &pss_only))) {
        *reason = "unsupported key type";
        goto refused;
    }
    k->bits = EVP_PKEY_get_bits(pkey);
    if (k->kty == JOSE_KTY_RSA
        && (k->bits < JOSE_RSA_MIN_BITS || k->bits > JOSE_RSA_MAX_BITS)) {
        *reason = k->bits < JOSE_RSA_MIN_BITS
                  ? "RSA key shorter than 2048 bits"
                  : "RSA key longer than 8192 bits";
        goto refused;
    }
    if (!(k->algs = pin_algs(jose_kty_algs(k->kty, curve, pss_only),
                             jwk_alg, allowed, reason))) {
        goto refused;
    }
    if ((rv = fetch_digests(k, reason)) != APR_SUCCESS
        || (rv = verify_templates(k, reason)) != APR_SUCCESS) {
        goto refused;
    }
    k->kid = kid ? apr_pstrdup(p, kid) : NULL;
    k->can_sign = can_sign ? 1 : 0;
    *key = k;
    return APR_SUCCESS;

refused:
    /* a refused key (one JWK of a set, say) frees its OpenSSL objects now */
    apr_pool_cleanup_run(p, k, key_cleanup);
    return rv;
}

/* An HMAC context keyed once; each call duplicates it, which skips the
 * digest fetch and the ipad/opad set-up (measured: see test_jose --bench). */
static EVP_MAC_CTX *mac_template(const jose_key *k, int h)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[2];

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)hash_names[h], 0);
    params[1] = OSSL_PARAM_construct_end();
    if (ctx && !EVP_MAC_init(ctx, k->secret, k->secret_len, params)) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    EVP_MAC_free(mac);          /* the context holds its own reference */
    return ctx;
}

/* ANY_LENGTH: keep ALLOWED even when the secret is shorter than a hash
 * (an administrator's choice, warned about by the caller). */
static apr_status_t wrap_secret(apr_pool_t *p, const unsigned char *secret,
                                apr_size_t len, jose_alg jwk_alg,
                                unsigned int allowed, const char *kid,
                                int any_length, jose_key **key,
                                const char **reason)
{
    jose_key *k = apr_pcalloc(p, sizeof(*k));
    apr_status_t rv = APR_EINVAL;
    int a, h;

    k->kty = JOSE_KTY_OCT;
    k->secret = apr_pmemdup(p, secret, len ? len : 1);
    k->secret_len = len;
    k->bits = len > INT_MAX / 8 ? INT_MAX : (int)len * 8;
    apr_pool_cleanup_register(p, k, key_cleanup, apr_pool_cleanup_null);
    if (!(k->algs = pin_algs(JOSE_ALGS_HS, jwk_alg, allowed, reason))) {
        goto refused;
    }
    if (!len) {
        *reason = "empty HMAC secret";
        goto refused;
    }
    /* RFC 7518 §3.2: a key at least as long as the hash output */
    for (a = JOSE_HS256; a <= JOSE_HS512 && !any_length; a++) {
        if (len < hash_sizes[alg_table[a].hash]) {
            k->algs &= ~JOSE_ALG_BIT(a);
        }
    }
    if (!k->algs) {
        *reason = "HMAC secret shorter than the hash output";
        goto refused;
    }
    for (a = JOSE_HS256; a <= JOSE_HS512; a++) {
        h = alg_table[a].hash;
        if ((k->algs & JOSE_ALG_BIT(a)) && !(k->mac[h] = mac_template(k, h))) {
            *reason = "HMAC not available";
            rv = APR_EGENERAL;
            goto refused;
        }
    }
    k->kid = kid ? apr_pstrdup(p, kid) : NULL;
    k->can_sign = 1;
    *key = k;
    return APR_SUCCESS;

refused:
    apr_pool_cleanup_run(p, k, key_cleanup);
    return rv;
}

apr_status_t jose_key_wrap_secret(apr_pool_t *p, const unsigned char *secret,
                                  apr_size_t len, jose_alg jwk_alg,
                                  unsigned int allowed, const char *kid,
                                  jose_key **key, const char **reason)
{
    return wrap_secret(p, secret, len, jwk_alg, allowed, kid, 0, key,
                       reason);
}

apr_status_t jose_key_from_secret(apr_pool_t *p, const unsigned char *secret,
                                  apr_size_t len, unsigned int allowed,
                                  const char *kid, jose_key **key,
                                  const char **reason)
{
    return wrap_secret(p, secret, len, JOSE_ALG_UNKNOWN, allowed, kid, 0,
                       key, reason);
}

apr_status_t jose_key_from_any_secret(apr_pool_t *p,
                                      const unsigned char *secret,
                                      apr_size_t len, unsigned int allowed,
                                      jose_key **key, const char **reason)
{
    return wrap_secret(p, secret, len, JOSE_ALG_UNKNOWN, allowed, NULL, 1,
                       key, reason);
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

/* A public key, then an unencrypted private key, then a certificate. */
static EVP_PKEY *pem_read(const char *pem, apr_size_t len, int *private)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k = NULL;

    *private = 0;
    if (!bio) {
        return NULL;
    }
    if (!(k = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL))) {
        (void)BIO_reset(bio);
        if ((k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL))) {
            *private = 1;
        }
    }
    if (!k) {
        X509 *x;

        (void)BIO_reset(bio);
        if ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL))) {
            k = X509_get_pubkey(x);
            X509_free(x);
        }
    }
    BIO_free(bio);
    ERR_clear_error();
    return k;
}

apr_status_t jose_key_from_pem(apr_pool_t *p, const char *pem, apr_size_t len,
                               unsigned int allowed, const char *kid,
                               jose_key **key, const char **reason)
{
    EVP_PKEY *pkey;
    int private;

    if (!len || len > INT_MAX
        || !(pkey = pem_read(pem, len, &private))) {
        *reason = "no PEM public key, certificate or unencrypted private key";
        return APR_EINVAL;
    }
    return jose_key_wrap(p, pkey, JOSE_ALG_UNKNOWN, allowed, kid, private,
                         key, reason);
}
