/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jose_jws.c — JWS compact serialisation (RFC 7515 §7.1): parsing,
 * verification and signing with keys loaded by jose_key.c/jose_jwk.c.
 * Verification allocates nothing from a pool and makes its OpenSSL
 * contexts per call, so the keys stay read-only and shared by threads.
 * Lengths are checked before any arithmetic: a forged token of the wrong
 * shape costs no more than the base64url decoding.
 */

#include "strategy/jwt/jose.h"

#include "apr_strings.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <string.h>

/* The largest DER ECDSA signature, P-521: SEQUENCE of two 67-byte
 * INTEGERs with their headers. */
#define ECDSA_DER_MAX 160

static jose_kty alg_kty(jose_alg a)
{
    return a >= JOSE_HS256 && a <= JOSE_HS512 ? JOSE_KTY_OCT
           : a >= JOSE_RS256 && a <= JOSE_PS512 ? JOSE_KTY_RSA
           : a >= JOSE_ES256 && a <= JOSE_ES512 ? JOSE_KTY_EC
           : a == JOSE_EDDSA ? JOSE_KTY_OKP : 0;
}

static int alg_is_pss(jose_alg a)
{
    return a >= JOSE_PS256 && a <= JOSE_PS512;
}

/* Bytes of R and of S (RFC 7518 §3.4): the curve's order size. */
static apr_size_t ecdsa_coord(jose_alg a)
{
    return a == JOSE_ES256 ? 32 : a == JOSE_ES384 ? 48 : 66;
}

/* ---- parsing ------------------------------------------------------------ */

/* jwk, jku, x5u and x5c, the keys a token may point to, are never read:
 * only a key the caller loaded verifies (RFC 8725 §3.10), so they change
 * nothing, and a token that carries one (some issuers add x5c) is judged
 * by its signature like any other. */

static const char *pool_string(apr_pool_t *p, json_t *v, int *bad)
{
    if (!v) {
        return NULL;
    }
    if (!json_is_string(v)
        || strlen(json_string_value(v)) != json_string_length(v)) {
        *bad = 1;
        return NULL;
    }
    return apr_pstrdup(p, json_string_value(v));
}

static const char *read_header(apr_pool_t *p, jose_jws *jws)
{
    json_t *h = json_loadb(jws->header, jws->header_len,
                           JSON_REJECT_DUPLICATES, NULL), *alg, *b64;
    const char *err = NULL;
    int bad = 0;

    if (!json_is_object(h)) {
        json_decref(h);
        return "JWS header is not a JSON object";
    }
    alg = json_object_get(h, "alg");
    /* no extension is understood (RFC 7515 §4.1.11) */
    if (json_object_get(h, "crit")) {
        err = "JWS header has crit";
    }
    /* RFC 7797 unencoded payloads are not JWTs */
    if ((b64 = json_object_get(h, "b64")) && !json_is_true(b64)) {
        err = "JWS header has b64 other than true";
    }
    if (!err && !json_is_string(alg)) {
        err = "JWS header has no alg";
    }
    if (!err && !(jws->alg = jose_alg_from_name(json_string_value(alg),
                                                json_string_length(alg)))) {
        err = "JWS alg none or unsupported";
    }
    jws->kid = pool_string(p, json_object_get(h, "kid"), &bad);
    jws->typ = pool_string(p, json_object_get(h, "typ"), &bad);
    if (!err && bad) {
        err = "JWS kid or typ is not a string";
    }
    json_decref(h);
    return err;
}

static int decode(apr_pool_t *p, const char *s, apr_size_t len,
                  unsigned char **out, apr_size_t *out_len)
{
    apr_ssize_t n = b64url_decode(p, s, len, out);

    *out_len = n < 0 ? 0 : (apr_size_t)n;
    return n >= 0;
}

/* The memo: the base64url header as sent, then "header\0kid\0typ\0"
 * decoded (kid and typ are parts of the header, so the three fit in
 * twice the decoded size). */
struct jose_header_memo {
    apr_size_t segment_len;             /* 0: empty */
    char segment[JOSE_HEADER_MEMO_MAX];
    jose_alg alg;
    apr_size_t header_len, kid_len, typ_len;
    int has_kid, has_typ;
    char text[JOSE_HEADER_MEMO_MAX / 4 * 3 * 2 + 3];
};

jose_header_memo *jose_header_memo_create(apr_pool_t *p)
{
    return apr_pcalloc(p, sizeof(jose_header_memo));
}

static int memo_get(const jose_header_memo *m, apr_pool_t *p,
                    const char *segment, apr_size_t len, jose_jws *jws)
{
    const char *at;

    if (!m || !m->segment_len || m->segment_len != len
        || memcmp(m->segment, segment, len)) {
        return 0;
    }
    /* copied: a later request of the connection may replace the memo */
    jws->alg = m->alg;
    jws->header = apr_pstrmemdup(p, m->text, m->header_len);
    jws->header_len = m->header_len;
    at = m->text + m->header_len + 1;
    jws->kid = m->has_kid ? apr_pstrmemdup(p, at, m->kid_len) : NULL;
    at += m->kid_len + 1;
    jws->typ = m->has_typ ? apr_pstrmemdup(p, at, m->typ_len) : NULL;
    return 1;
}

static void memo_put(jose_header_memo *m, const char *segment,
                     apr_size_t len, const jose_jws *jws)
{
    apr_size_t kid_len = jws->kid ? strlen(jws->kid) : 0;
    apr_size_t typ_len = jws->typ ? strlen(jws->typ) : 0;
    char *at = m->text;

    m->segment_len = 0;
    if (len > JOSE_HEADER_MEMO_MAX
        || jws->header_len + kid_len + typ_len + 3 > sizeof(m->text)) {
        return;
    }
    memcpy(m->segment, segment, len);
    m->alg = jws->alg;
    m->header_len = jws->header_len;
    m->kid_len = kid_len;
    m->typ_len = typ_len;
    m->has_kid = jws->kid != NULL;
    m->has_typ = jws->typ != NULL;
    memcpy(at, jws->header, jws->header_len + 1);
    at += jws->header_len + 1;
    memcpy(at, jws->kid ? jws->kid : "", kid_len + 1);
    at += kid_len + 1;
    memcpy(at, jws->typ ? jws->typ : "", typ_len + 1);
    m->segment_len = len;
}

apr_status_t jose_jws_parse_memo(apr_pool_t *p, const char *token,
                                 apr_size_t len, jose_header_memo *memo,
                                 jose_jws **out, const char **reason)
{
    const char *d1, *d2;
    unsigned char *hdr, *payload, *sig;
    jose_jws *jws;
    int known;

    *out = NULL;
    if (len > JOSE_MAX_TOKEN) {
        *reason = "JWS too long";
        return APR_EINVAL;
    }
    if (!(d1 = memchr(token, '.', len))
        || !(d2 = memchr(d1 + 1, '.', len - (d1 + 1 - token)))
        || memchr(d2 + 1, '.', len - (d2 + 1 - token))) {
        *reason = "JWS is not three dot-separated parts";
        return APR_EINVAL;
    }
    jws = apr_pcalloc(p, sizeof(*jws));
    known = memo_get(memo, p, token, d1 - token, jws);
    if ((!known && !decode(p, token, d1 - token, &hdr, &jws->header_len))
        || !decode(p, d1 + 1, d2 - d1 - 1, &payload, &jws->payload_len)
        || !decode(p, d2 + 1, len - (d2 + 1 - token), &sig, &jws->sig_len)) {
        *reason = "JWS part is not strict base64url";
        return APR_EINVAL;
    }
    jws->payload = payload;
    jws->sig = sig;
    jws->signing_input = apr_pstrmemdup(p, token, d2 - token);
    jws->signing_input_len = d2 - token;
    if (!known) {
        jws->header = (const char *)hdr;
        if ((*reason = read_header(p, jws))) {
            return APR_EINVAL;
        }
        if (memo) {
            memo_put(memo, token, d1 - token, jws);
        }
    }
    *out = jws;
    return APR_SUCCESS;
}

apr_status_t jose_jws_parse(apr_pool_t *p, const char *token, apr_size_t len,
                            jose_jws **out, const char **reason)
{
    return jose_jws_parse_memo(p, token, len, NULL, out, reason);
}

/* ---- the primitives ----------------------------------------------------- */

static int hmac(const jose_key *k, int h, const void *in, apr_size_t len,
                unsigned char *mac, size_t *mac_len)
{
    EVP_MAC_CTX *ctx = k->mac[h] ? EVP_MAC_CTX_dup(k->mac[h]) : NULL;
    int ok = ctx && EVP_MAC_update(ctx, in, len)
             && EVP_MAC_final(ctx, mac, mac_len, EVP_MAX_MD_SIZE);

    EVP_MAC_CTX_free(ctx);
    return ok;
}

/* An EVP_MD_CTX set up to sign or verify with ALG: the digest fetched at
 * key load (none for EdDSA), and for PS* the PSS padding with a salt as
 * long as the hash and MGF1 on the same hash (RFC 7518 §3.5). */
static EVP_MD_CTX *sig_ctx(const jose_key *k, jose_alg alg, int sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int h = jose_alg_hash(alg);
    const EVP_MD *md = h >= 0 ? k->md[h] : NULL;
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if (!ctx || (h >= 0 && !md)) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, k->pkey)
              : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k->pkey);
    if (ok == 1 && alg_is_pss(alg)) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
                == 1
             && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
    }
    else if (ok == 1 && alg_kty(alg) == JOSE_KTY_RSA) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    }
    if (ok != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* JOSE's fixed-width R ‖ S as the DER ECDSA-Sig-Value OpenSSL verifies. */
static int ecdsa_to_der(const unsigned char *sig, apr_size_t c,
                        unsigned char *der, size_t *der_len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)c, NULL), *s = BN_bin2bn(sig + c, (int)c,
                                                             NULL);
    unsigned char *o = der;
    int n = 0;

    if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL;                   /* owned by es now */
        n = i2d_ECDSA_SIG(es, NULL);
        n = n > 0 && n <= ECDSA_DER_MAX ? i2d_ECDSA_SIG(es, &o) : 0;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    *der_len = n > 0 ? (size_t)n : 0;
    return n > 0;
}

/* The signature length ALG must have with K; 0 when not fixed. */
static apr_size_t sig_size(const jose_key *k, jose_alg alg)
{
    switch (alg_kty(alg)) {
    case JOSE_KTY_OCT:
        return 32 + (apr_size_t)16 * (apr_size_t)jose_alg_hash(alg);
    case JOSE_KTY_EC:
        return 2 * ecdsa_coord(alg);
    case JOSE_KTY_RSA:
    case JOSE_KTY_OKP:
        return (apr_size_t)EVP_PKEY_get_size(k->pkey);
    }
    return 0;
}

/* ---- verification ------------------------------------------------------- */

/* EdDSA: one-shot EVP_DigestVerify, the only interface it has. */
static int verify_eddsa(const jose_key *k, const jose_jws *jws)
{
    EVP_MD_CTX *ctx = sig_ctx(k, jws->alg, 0);
    int rc = ctx ? EVP_DigestVerify(ctx, jws->sig, jws->sig_len,
                                    (const unsigned char *)jws->signing_input,
                                    jws->signing_input_len) : 0;

    EVP_MD_CTX_free(ctx);
    return rc;
}

/* RS/PS/ES: the key's template context for the alg, duplicated, over a
 * digest made with the digest fetched at load. */
static int verify_digest(const jose_key *k, const jose_jws *jws)
{
    unsigned char md[EVP_MAX_MD_SIZE], der[ECDSA_DER_MAX];
    const unsigned char *sig = jws->sig;
    size_t sig_len = jws->sig_len;
    unsigned int md_len = 0;
    EVP_PKEY_CTX *ctx;
    int rc = 0;

    if (alg_kty(jws->alg) == JOSE_KTY_EC) {
        if (!ecdsa_to_der(jws->sig, ecdsa_coord(jws->alg), der, &sig_len)) {
            return 0;
        }
        sig = der;
    }
    if (!k->verify[jws->alg]
        || !EVP_Digest(jws->signing_input, jws->signing_input_len, md,
                       &md_len, k->md[jose_alg_hash(jws->alg)], NULL)
        || !(ctx = EVP_PKEY_CTX_dup(k->verify[jws->alg]))) {
        return 0;
    }
    rc = EVP_PKEY_verify(ctx, sig, sig_len, md, md_len);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static apr_status_t verify_pkey(const jose_key *k, const jose_jws *jws)
{
    /* only exactly 1 is a valid signature: 0 is a bad one, < 0 an error */
    if ((jws->alg == JOSE_EDDSA ? verify_eddsa(k, jws)
                                : verify_digest(k, jws)) != 1) {
        ERR_clear_error();      /* not to surface in another request's log */
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t jose_jws_verify(const jose_key *key, const jose_jws *jws,
                             const char **reason)
{
    jose_kty kty;

    if (!key || !jws || !(kty = alg_kty(jws->alg))
        || !(key->algs & JOSE_ALG_BIT(jws->alg)) || key->kty != kty) {
        *reason = "the key does not allow the token's alg";
        return APR_EINVAL;
    }
    if (jws->sig_len != sig_size(key, jws->alg)) {
        *reason = "signature of the wrong length";
        return APR_EINVAL;
    }
    if (kty == JOSE_KTY_OCT) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        size_t mac_len = 0;

        if (!hmac(key, jose_alg_hash(jws->alg), jws->signing_input,
                  jws->signing_input_len, mac, &mac_len)
            || mac_len != jws->sig_len
            || CRYPTO_memcmp(mac, jws->sig, mac_len) != 0) {
            OPENSSL_cleanse(mac, sizeof(mac));
            *reason = "bad signature";
            return APR_EINVAL;
        }
        OPENSSL_cleanse(mac, sizeof(mac));
        return APR_SUCCESS;
    }
    if (verify_pkey(key, jws) != APR_SUCCESS) {
        *reason = "bad signature";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* ---- signing ------------------------------------------------------------ */

/* DER from OpenSSL back to JOSE's R ‖ S, each left-padded to C bytes. */
static int der_to_ecdsa(const unsigned char *der, size_t der_len,
                        apr_size_t c, unsigned char *out)
{
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)der_len);
    const BIGNUM *r, *s;
    int ok = 0;

    if (es) {
        ECDSA_SIG_get0(es, &r, &s);
        ok = BN_bn2binpad(r, out, (int)c) == (int)c
             && BN_bn2binpad(s, out + c, (int)c) == (int)c;
    }
    ECDSA_SIG_free(es);
    return ok;
}

static unsigned char *sign_pkey(apr_pool_t *p, const jose_key *k,
                                jose_alg alg, const char *in,
                                apr_size_t in_len, apr_size_t *sig_len)
{
    EVP_MD_CTX *ctx = sig_ctx(k, alg, 1);
    unsigned char *sig = NULL;
    size_t len = 0;

    if (ctx && EVP_DigestSign(ctx, NULL, &len, (const unsigned char *)in,
                              in_len) == 1) {
        sig = apr_palloc(p, len);
        if (EVP_DigestSign(ctx, sig, &len, (const unsigned char *)in,
                           in_len) != 1) {
            sig = NULL;
        }
    }
    EVP_MD_CTX_free(ctx);
    if (sig && alg_kty(alg) == JOSE_KTY_EC) {
        unsigned char *raw = apr_palloc(p, 2 * ecdsa_coord(alg));

        sig = der_to_ecdsa(sig, len, ecdsa_coord(alg), raw) ? raw : NULL;
        len = 2 * ecdsa_coord(alg);
    }
    ERR_clear_error();
    *sig_len = len;
    return sig;
}

/* The "alg" of a header the caller wrote. */
static jose_alg header_alg(const char *header_json)
{
    json_t *h = json_loads(header_json, JSON_REJECT_DUPLICATES, NULL);
    json_t *alg = json_object_get(h, "alg");
    jose_alg a = json_is_string(alg)
                 ? jose_alg_from_name(json_string_value(alg),
                                      json_string_length(alg))
                 : JOSE_ALG_UNKNOWN;

    json_decref(h);
    return a;
}

apr_status_t jose_jws_sign(apr_pool_t *p, const jose_key *key,
                           const char *header_json, const char *payload_json,
                           const char **token, const char **reason)
{
    jose_alg alg = header_alg(header_json);
    unsigned char mac[EVP_MAX_MD_SIZE], *sig = mac;
    size_t sig_len = 0;
    apr_size_t n;
    const char *in;

    *token = NULL;
    if (!alg || !(key->algs & JOSE_ALG_BIT(alg)) || key->kty != alg_kty(alg)) {
        *reason = "the header's alg is not one the key allows";
        return APR_EINVAL;
    }
    if (!key->can_sign) {
        *reason = "the key cannot sign: it is a public key";
        return APR_EINVAL;
    }
    in = apr_pstrcat(p, b64url_encode(p, (const unsigned char *)
                                           header_json, strlen(header_json)),
                     ".", b64url_encode(p, (const unsigned char *)
                                             payload_json,
                                             strlen(payload_json)), NULL);
    if (key->kty == JOSE_KTY_OCT) {
        if (!hmac(key, jose_alg_hash(alg), in, strlen(in), mac, &sig_len)) {
            sig = NULL;
        }
    }
    else {
        sig = sign_pkey(p, key, alg, in, strlen(in), &n);
        sig_len = n;
    }
    if (!sig) {
        *reason = "signing failed";
        return APR_EGENERAL;
    }
    *token = apr_pstrcat(p, in, ".", b64url_encode(p, sig, sig_len),
                         NULL);
    OPENSSL_cleanse(mac, sizeof(mac));
    return APR_SUCCESS;
}
