/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jose_jwk.c — JWKs (RFC 7517/7518 §6, RFC 8037) into jose_keys, JWKS
 * documents into key sets, and the choice of candidate keys for a token.
 * Everything here runs at configuration or key-set load time; sizes are
 * checked on the encoded members before any big-number work, so a hostile
 * key set costs little to refuse.
 */

#include "strategy/jwt/jose.h"

#include "apr_strings.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <string.h>

typedef struct {
    apr_pool_t *p;
    json_t *jwk;
    const char *reason;
} jwk_reader;

/* Member NAME decoded from base64url into *OUT; 0 (and a reason) when it
 * is absent and REQUIRED, not a string, or not strict base64url. */
static int b64_member(jwk_reader *rd, const char *name, int required,
                      unsigned char **out, apr_size_t *len)
{
    json_t *v = json_object_get(rd->jwk, name);
    apr_ssize_t n;

    *out = NULL;
    *len = 0;
    if (!v) {
        if (required) {
            rd->reason = "a required key member is missing";
        }
        return !required;
    }
    if (!json_is_string(v)
        || (n = b64url_decode(rd->p, json_string_value(v),
                                   json_string_length(v), out)) < 0) {
        rd->reason = "a key member is not base64url";
        return 0;
    }
    *len = (apr_size_t)n;
    return 1;
}

/* A string member, NULL when absent; *BAD when present but no string. */
static const char *str_member(json_t *jwk, const char *name, int *bad)
{
    json_t *v = json_object_get(jwk, name);

    /* a NUL inside would let "a\u0000b" pass for "a" */
    if (v && (!json_is_string(v)
              || strlen(json_string_value(v)) != json_string_length(v))) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

static EVP_PKEY *from_params(jwk_reader *rd, const char *type,
                             OSSL_PARAM_BLD *bld, int private)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, private ? EVP_PKEY_KEYPAIR
                                                 : EVP_PKEY_PUBLIC_KEY,
                             params) <= 0) {
        pkey = NULL;
        rd->reason = "OpenSSL refused the key parameters";
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

/* Pushes big-endian BYTES as the unsigned number NAME. */
static int push_bn(OSSL_PARAM_BLD *bld, const char *name,
                   const unsigned char *bytes, apr_size_t len, BIGNUM **keep)
{
    BIGNUM *bn = BN_bin2bn(bytes, (int)len, NULL);

    if (!bn || !OSSL_PARAM_BLD_push_BN(bld, name, bn)) {
        BN_free(bn);
        return 0;
    }
    *keep = bn;     /* the builder refers to it until to_param */
    return 1;
}

static const char *const rsa_private[] = { "p", "q", "dp", "dq", "qi" };
static const char *const rsa_params[] = {
    OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
    OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
    OSSL_PKEY_PARAM_RSA_COEFFICIENT1
};

/* d, and the CRT members when all five are there. */
static int rsa_push_private(jwk_reader *rd, OSSL_PARAM_BLD *bld,
                            BIGNUM **bn)
{
    unsigned char *v;
    apr_size_t len;
    int i, crt = 1;

    if (!b64_member(rd, "d", 1, &v, &len)
        || !push_bn(bld, OSSL_PKEY_PARAM_RSA_D, v, len, &bn[2])) {
        return 0;
    }
    for (i = 0; i < 5; i++) {
        crt = crt && json_object_get(rd->jwk, rsa_private[i]);
    }
    for (i = 0; crt && i < 5; i++) {
        if (!b64_member(rd, rsa_private[i], 1, &v, &len)
            || !push_bn(bld, rsa_params[i], v, len, &bn[3 + i])) {
            return 0;
        }
    }
    return 1;
}

static EVP_PKEY *rsa_key(jwk_reader *rd, int private)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *bn[8] = { NULL };
    unsigned char *n, *e;
    apr_size_t nlen, elen;
    EVP_PKEY *pkey = NULL;
    int i;

    if (!bld || !b64_member(rd, "n", 1, &n, &nlen)
        || !b64_member(rd, "e", 1, &e, &elen)) {
        goto done;
    }
    for (; nlen && !*n; n++, nlen--)
        ;
    for (; elen && !*e; e++, elen--)
        ;
    /* refused before any arithmetic; jose_key_wrap checks the exact bits */
    if (nlen > JOSE_RSA_MAX_BITS / 8 || nlen < JOSE_RSA_MIN_BITS / 8) {
        rd->reason = nlen < JOSE_RSA_MIN_BITS / 8
                     ? "RSA key shorter than 2048 bits"
                     : "RSA key longer than 8192 bits";
        goto done;
    }
    if (!elen || elen > 32 || !(e[elen - 1] & 1) || (elen == 1 && *e < 3)) {
        rd->reason = "RSA public exponent out of range";
        goto done;
    }
    if (push_bn(bld, OSSL_PKEY_PARAM_RSA_N, n, nlen, &bn[0])
        && push_bn(bld, OSSL_PKEY_PARAM_RSA_E, e, elen, &bn[1])
        && (!private || rsa_push_private(rd, bld, bn))) {
        pkey = from_params(rd, "RSA", bld, private);
    }
    else if (!rd->reason) {
        rd->reason = "out of memory";
    }
done:
    for (i = 0; i < 8; i++) {
        BN_clear_free(bn[i]);
    }
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* OpenSSL's full public check (on the curve, not the point at infinity,
 * of the group's order): an invalid-curve point leaks nothing to a
 * verifier, but such a key is garbage and is refused as such. */
static int ec_point_ok(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = ctx && EVP_PKEY_public_check(ctx) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static const struct {
    const char *crv, *group;
    apr_size_t coord;
} ec_curves[] = {
    { "P-256", "prime256v1", 32 },
    { "P-384", "secp384r1", 48 },
    { "P-521", "secp521r1", 66 },
};

/* 0x04 ‖ x ‖ y, each coordinate the size of the field.  RFC 7518 §6.2.1.2
 * wants them full size; shorter ones are left-padded because PyJWT before
 * 2.8 writes them as minimal integers (every other P-521 key), and the
 * number, checked on the curve below, is the same.  Longer is refused. */
static EVP_PKEY *ec_key(jwk_reader *rd, const char *crv, int private)
{
    OSSL_PARAM_BLD *bld = NULL;
    BIGNUM *d_bn = NULL;
    unsigned char *x, *y, *d = NULL, *pt;
    apr_size_t xlen, ylen, dlen = 0, c = 0, i;
    EVP_PKEY *pkey = NULL;

    for (i = 0; crv && i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++) {
        if (!strcmp(crv, ec_curves[i].crv)) {
            c = ec_curves[i].coord;
            break;
        }
    }
    if (!c) {
        rd->reason = "unsupported EC curve";
        return NULL;
    }
    if (!b64_member(rd, "x", 1, &x, &xlen) || !b64_member(rd, "y", 1, &y, &ylen)
        || (private && !b64_member(rd, "d", 1, &d, &dlen))) {
        return NULL;
    }
    if (!xlen || !ylen || xlen > c || ylen > c || (private && dlen > c)) {
        rd->reason = "EC coordinate of the wrong length for the curve";
        return NULL;
    }
    pt = apr_pcalloc(rd->p, 1 + 2 * c);
    pt[0] = 0x04;
    memcpy(pt + 1 + c - xlen, x, xlen);
    memcpy(pt + 1 + 2 * c - ylen, y, ylen);
    if ((bld = OSSL_PARAM_BLD_new())
        && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                           ec_curves[i].group, 0)
        && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            pt, 1 + 2 * c)
        && (!private || push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, d, dlen,
                                &d_bn))) {
        pkey = from_params(rd, "EC", bld, private);
    }
    if (pkey && !ec_point_ok(pkey)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    if (!pkey) {
        rd->reason = "EC point not on the curve";
    }
    BN_clear_free(d_bn);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* RFC 8037: x is the raw public key; d, when read, must match it. */
static EVP_PKEY *okp_key(jwk_reader *rd, const char *crv, int private)
{
    int type = crv && !strcmp(crv, "Ed25519") ? EVP_PKEY_ED25519
               : crv && !strcmp(crv, "Ed448") ? EVP_PKEY_ED448 : 0;
    apr_size_t size = type == EVP_PKEY_ED25519 ? 32 : 57, xlen, dlen, plen;
    unsigned char *x, *d, pub[57];
    EVP_PKEY *pkey;

    if (!type) {
        rd->reason = "unsupported OKP curve";
        return NULL;
    }
    if (!b64_member(rd, "x", 1, &x, &xlen)
        || (private && !b64_member(rd, "d", 1, &d, &dlen))) {
        return NULL;
    }
    if (xlen != size || (private && dlen != size)) {
        rd->reason = "OKP key of the wrong length for the curve";
        return NULL;
    }
    if (!private) {
        return EVP_PKEY_new_raw_public_key(type, NULL, x, xlen);
    }
    pkey = EVP_PKEY_new_raw_private_key(type, NULL, d, dlen);
    plen = sizeof(pub);
    if (pkey && (!EVP_PKEY_get_raw_public_key(pkey, pub, &plen)
                 || plen != xlen || memcmp(pub, x, xlen))) {
        rd->reason = "OKP private key does not match x";
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

/* use and key_ops (RFC 7517 §4.2, §4.3): a signature key, for verifying
 * (and signing, when it is loaded as a private key). */
static const char *check_usage(json_t *jwk)
{
    json_t *use = json_object_get(jwk, "use");
    json_t *ops = json_object_get(jwk, "key_ops");
    size_t i;

    if (use && (!json_is_string(use)
                || strcmp(json_string_value(use), "sig"))) {
        return "use is not sig";
    }
    if (!ops) {
        return NULL;
    }
    if (!json_is_array(ops)) {
        return "key_ops is not an array";
    }
    for (i = 0; i < json_array_size(ops); i++) {
        const char *op = json_string_value(json_array_get(ops, i));
        if (op && !strcmp(op, "verify")) {
            return NULL;
        }
    }
    return "key_ops does not include verify";
}

static EVP_PKEY *pkey_of(jwk_reader *rd, const char *kty, const char *crv,
                         int private)
{
    if (!strcmp(kty, "RSA")) {
        return rsa_key(rd, private);
    }
    if (!strcmp(kty, "EC")) {
        return ec_key(rd, crv, private);
    }
    if (!strcmp(kty, "OKP")) {
        return okp_key(rd, crv, private);
    }
    rd->reason = "unsupported kty";
    return NULL;
}

apr_status_t jose_key_from_jwk(apr_pool_t *p, json_t *jwk,
                               unsigned int allowed, int allow_private,
                               jose_key **key, const char **reason)
{
    jwk_reader rd = { p, jwk, NULL };
    const char *kty, *kid, *alg_name, *crv;
    jose_alg alg = JOSE_ALG_UNKNOWN;
    unsigned char *k;
    apr_size_t klen;
    EVP_PKEY *pkey;
    apr_status_t rv;
    int bad = 0, private;

    if (!json_is_object(jwk)) {
        *reason = "JWK is not a JSON object";
        return APR_EINVAL;
    }
    kty = str_member(jwk, "kty", &bad);
    kid = str_member(jwk, "kid", &bad);
    alg_name = str_member(jwk, "alg", &bad);
    crv = str_member(jwk, "crv", &bad);
    if (bad || !kty) {
        *reason = bad ? "kty, kid, alg or crv is not a string" : "no kty";
        return APR_EINVAL;
    }
    if ((*reason = check_usage(jwk))) {
        return APR_EINVAL;
    }
    if (alg_name && !(alg = jose_alg_from_name(alg_name, strlen(alg_name)))) {
        *reason = "unsupported alg";
        return APR_EINVAL;
    }
    if (!strcmp(kty, "oct")) {
        if (!b64_member(&rd, "k", 1, &k, &klen)) {
            *reason = rd.reason;
            return APR_EINVAL;
        }
        rv = jose_key_wrap_secret(p, k, klen, alg, allowed, kid, key,
                                  reason);
        OPENSSL_cleanse(k, klen);       /* the key keeps its own copy */
        return rv;
    }
    private = allow_private && json_object_get(jwk, "d") != NULL;
    if (!(pkey = pkey_of(&rd, kty, crv, private))) {
        *reason = rd.reason ? rd.reason : "OpenSSL refused the key";
        ERR_clear_error();
        return APR_EINVAL;
    }
    return jose_key_wrap(p, pkey, alg, allowed, kid, private, key, reason);
}

/* ---- key sets ----------------------------------------------------------- */

jose_keyset *jose_keyset_make(apr_pool_t *p)
{
    jose_keyset *set = apr_pcalloc(p, sizeof(*set));

    set->keys = apr_array_make(p, 4, sizeof(const jose_key *));
    set->skipped = apr_array_make(p, 0, sizeof(jose_skipped));
    return set;
}

apr_status_t jose_keyset_add(jose_keyset *set, const jose_key *key,
                             const char **reason)
{
    int i;

    for (i = 0; key->kid && i < set->keys->nelts; i++) {
        const jose_key *o = APR_ARRAY_IDX(set->keys, i, const jose_key *);
        if (o->kid && !strcmp(o->kid, key->kid) && (o->algs & key->algs)) {
            *reason = "duplicate kid";
            return APR_EINVAL;
        }
    }
    APR_ARRAY_PUSH(set->keys, const jose_key *) = key;
    return APR_SUCCESS;
}

/* A kid fit for a log line: printable ASCII, at most 64 characters. */
static const char *printable_kid(apr_pool_t *p, json_t *jwk)
{
    const char *kid = json_string_value(json_object_get(jwk, "kid"));
    size_t i, n = json_string_length(json_object_get(jwk, "kid"));

    if (!kid) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (kid[i] < 0x20 || kid[i] > 0x7e) {
            return "(unprintable)";
        }
    }
    return n > 64 ? apr_pstrcat(p, apr_pstrmemdup(p, kid, 64), "...", NULL)
                  : apr_pstrmemdup(p, kid, n);
}

static void skip(jose_keyset *set, int index, json_t *jwk, const char *why)
{
    jose_skipped *s = apr_array_push(set->skipped);

    s->index = index;
    s->kid = printable_kid(set->keys->pool, jwk);
    s->reason = why;
}

apr_status_t jose_keyset_parse(apr_pool_t *p, const char *json,
                               apr_size_t len, unsigned int allowed,
                               jose_keyset **set, const char **reason)
{
    json_t *doc, *keys, *jwk;
    const jose_key *key;
    const char *why;
    size_t i;

    *set = NULL;
    if (len > JOSE_MAX_JWKS_BYTES) {
        *reason = "key set document too large";
        return APR_EINVAL;
    }
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    keys = json_object_get(doc, "keys");
    if (!json_is_array(keys) || json_array_size(keys) > JOSE_MAX_KEYS) {
        *reason = !doc ? "key set is not JSON"
                  : !json_is_array(keys) ? "key set has no keys array"
                  : "key set has too many keys";
        json_decref(doc);
        return APR_EINVAL;
    }
    *set = jose_keyset_make(p);
    json_array_foreach(keys, i, jwk) {
        if (jose_key_from_jwk(p, jwk, allowed, 0, (jose_key **)&key, &why)
            != APR_SUCCESS || jose_keyset_add(*set, key, &why) != APR_SUCCESS) {
            skip(*set, (int)i, jwk, why);
        }
    }
    json_decref(doc);
    if (!(*set)->keys->nelts) {
        *reason = "key set has no usable key";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

int jose_keyset_find(const jose_keyset *set, const char *kid, jose_alg alg,
                     const jose_key **cand, const char **reason)
{
    unsigned int bit = JOSE_ALG_BIT(alg);
    int i, n = 0, kid_known = 0, want_kidless = 0;

    for (i = 0; kid && i < set->keys->nelts; i++) {
        const jose_key *k = APR_ARRAY_IDX(set->keys, i, const jose_key *);
        if (k->kid && !strcmp(k->kid, kid)) {
            kid_known = 1;
            if (k->algs & bit) {
                cand[0] = k;
                return 1;
            }
        }
    }
    if (kid_known) {
        *reason = "the key of this kid does not allow the token's alg";
        return 0;
    }
    want_kidless = kid != NULL;
    for (i = 0; i < set->keys->nelts; i++) {
        const jose_key *k = APR_ARRAY_IDX(set->keys, i, const jose_key *);
        if ((k->algs & bit) && (!want_kidless || !k->kid)) {
            if (n == JOSE_MAX_CANDIDATES) {
                *reason = "too many keys allow the token's alg and it has "
                          "no kid";
                return 0;
            }
            cand[n++] = k;
        }
    }
    if (!n) {
        *reason = kid ? "no key with the token's kid"
                      : "no key allows the token's alg";
    }
    return n;
}

int jose_keyset_knows_kid(const jose_keyset *set, const char *kid)
{
    int i;

    for (i = 0; kid && i < set->keys->nelts; i++) {
        const jose_key *k = APR_ARRAY_IDX(set->keys, i, const jose_key *);
        if (k->kid && !strcmp(k->kid, kid)) {
            return 1;
        }
    }
    return 0;
}
