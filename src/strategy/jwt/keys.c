/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * keys.c — the jwt strategy's keys: an HMAC secret, or PEM keys (a
 * certificate for a public one), read once at configuration time and
 * checked against the backend's algorithm.
 */

#include "strategy/jwt/jwt.h"

#include "apr_strings.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <limits.h>

static const jwt_algorithm jwt_algorithms[] = {
    { "HS256", JWT_ALG_HS256, FAMILY_HMAC, 32, NULL },
    { "HS384", JWT_ALG_HS384, FAMILY_HMAC, 48, NULL },
    { "HS512", JWT_ALG_HS512, FAMILY_HMAC, 64, NULL },
    { "RS256", JWT_ALG_RS256, FAMILY_RSA, 0, NULL },
    { "RS384", JWT_ALG_RS384, FAMILY_RSA, 0, NULL },
    { "RS512", JWT_ALG_RS512, FAMILY_RSA, 0, NULL },
    { "ES256", JWT_ALG_ES256, FAMILY_EC, 0, "prime256v1" },
    { "ES384", JWT_ALG_ES384, FAMILY_EC, 0, "secp384r1" },
    { "ES512", JWT_ALG_ES512, FAMILY_EC, 0, "secp521r1" },
};

#define ALGORITHMS (sizeof(jwt_algorithms) / sizeof(jwt_algorithms[0]))

const jwt_algorithm *jwt_algorithm_find(const char *name)
{
    apr_size_t i;

    for (i = 0; i < ALGORITHMS; i++) {
        if (!strcasecmp(name, jwt_algorithms[i].name)) {
            return &jwt_algorithms[i];
        }
    }
    return NULL;
}

static apr_status_t scrub_key(void *data)
{
    jwt_conf *c = data;

    if (c->sign_key) {
        OPENSSL_cleanse(c->sign_key, c->sign_key_len);
    }
    return APR_SUCCESS;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

/* PEM text of K as libjwt reads it: PKCS#8 for a private key, SPKI
 * ("BEGIN PUBLIC KEY") for a public one. */
static unsigned char *pem_of(apr_pool_t *p, EVP_PKEY *k, int private,
                             int *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    unsigned char *out = NULL;
    char *data;
    long n;

    if (bio && (private ? PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0,
                                                   NULL, NULL)
                        : PEM_write_bio_PUBKEY(bio, k))
        && (n = BIO_get_mem_data(bio, &data)) > 0) {
        out = apr_pcalloc(p, n + 1);
        memcpy(out, data, n);
        *len = (int)n;
    }
    BIO_free(bio);
    return out;
}

static const char *pem_load(cmd_parms *cmd, const auth_backend *be,
                            const char *key, const char *spec, int private,
                            EVP_PKEY **k)
{
    const char *pem, *err;
    apr_size_t len;
    BIO *bio;

    if (strncmp(spec, "file:", 5) && strncmp(spec, "env:", 4)) {
        return apr_psprintf(cmd->pool, "%s takes file:PATH or env:VAR "
                            "(a PEM key), e.g. %s=file:/etc/apache2/jwt.pem",
                            key, key);
    }
    if ((err = option_secret(cmd, be, key, spec, &pem, &len))) {
        return err;
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    *k = !bio ? NULL
         : private ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
                   : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    if (!*k && bio && !private) {
        /* a certificate carries the public key just as well */
        X509 *x;
        (void)BIO_reset(bio);
        if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
            *k = X509_get_pubkey(x);
            X509_free(x);
        }
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!*k) {
        return apr_psprintf(cmd->pool, "%s: %s holds no %s", key,
                            spec, private
                            ? "unencrypted PEM private key"
                            : "PEM public key (BEGIN PUBLIC KEY) or "
                              "certificate");
    }
    return NULL;
}

static const char *key_fits(cmd_parms *cmd, const auth_backend *be,
                            const char *key, EVP_PKEY *k,
                            const jwt_algorithm *a)
{
    char curve[64] = "";

    if (a->family == FAMILY_RSA) {
        if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
            return apr_psprintf(cmd->pool, "%s is not an RSA key, which %s "
                                "needs", key, a->name);
        }
        if (EVP_PKEY_get_bits(k) < 2048) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                         "%s:%d: backend '%s': %s has only %d bits; RFC 7518 "
                         "asks for 2048 or more", cmd->directive->filename,
                         cmd->directive->line_num, be->name, key,
                         EVP_PKEY_get_bits(k));
        }
        return NULL;
    }
    if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC
        || !EVP_PKEY_get_group_name(k, curve, sizeof(curve), NULL)
        || strcmp(curve, a->curve)) {
        return apr_psprintf(cmd->pool, "%s is not an EC key on curve %s, "
                            "which %s needs", key, a->curve, a->name);
    }
    return NULL;
}

static const char *configure_pem_keys(cmd_parms *cmd, const auth_backend *be,
                                      jwt_conf *c, const char *priv_spec,
                                      const char *pub_spec)
{
    EVP_PKEY *priv = NULL, *pub = NULL;
    const char *err = NULL;

    if (!priv_spec && !pub_spec) {
        return apr_psprintf(cmd->pool, "%s needs private-key=file:PATH (to "
                            "issue and verify) or public-key=file:PATH (to "
                            "verify only)", c->algorithm->name);
    }
    if (priv_spec
        && !(err = pem_load(cmd, be, "private-key", priv_spec, 1, &priv))) {
        err = key_fits(cmd, be, "private-key", priv, c->algorithm);
    }
    if (!err && pub_spec
        && !(err = pem_load(cmd, be, "public-key", pub_spec, 0, &pub))) {
        err = key_fits(cmd, be, "public-key", pub, c->algorithm);
    }
    if (!err && priv && pub && EVP_PKEY_eq(priv, pub) != 1) {
        err = "private-key and public-key are not a key pair";
    }
    if (!err && priv
        && !(c->sign_key = pem_of(cmd->pool, priv, 1, &c->sign_key_len))) {
        err = "cannot encode private-key";
    }
    /* without public-key=, verify with the public half of private-key= */
    if (!err && !(c->verify_key = pem_of(cmd->pool, pub ? pub : priv, 0,
                                         &c->verify_key_len))) {
        err = "cannot encode public-key";
    }
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    if (!err && !priv_spec) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "%s:%d: backend '%s' has a public-key only: it verifies "
                     "tokens but cannot issue them (its login answers 500)",
                     cmd->directive->filename, cmd->directive->line_num,
                     be->name);
    }
    return err;
}

static const char *configure_secret(cmd_parms *cmd, const auth_backend *be,
                                    jwt_conf *c, const char *spec)
{
    const char *secret, *err;
    apr_size_t len;

    if (!spec) {
        return apr_psprintf(cmd->pool, "%s needs secret=file:PATH (or "
                            "env:VAR)", c->algorithm->name);
    }
    if ((err = option_secret(cmd, be, "secret", spec, &secret, &len))) {
        return err;
    }
    if (len > INT_MAX) {
        return "secret is too long";
    }
    if (len < c->algorithm->min_secret) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "%s:%d: backend '%s': the secret has %" APR_SIZE_T_FMT
                     " bytes; %s wants at least %" APR_SIZE_T_FMT,
                     cmd->directive->filename, cmd->directive->line_num,
                     be->name, len, c->algorithm->name,
                     (apr_size_t)c->algorithm->min_secret);
    }
    c->sign_key = apr_pmemdup(cmd->pool, secret, len);
    c->sign_key_len = (int)len;
    c->verify_key = c->sign_key;
    c->verify_key_len = c->sign_key_len;
    return NULL;
}

const char *jwt_keys_configure(cmd_parms *cmd, const auth_backend *be,
                               jwt_conf *c, apr_array_header_t *opts)
{
    const char *secret = auth_backend_option_take(opts, "secret");
    const char *priv = auth_backend_option_take(opts, "private-key");
    const char *pub = auth_backend_option_take(opts, "public-key");
    const char *err;

    if (c->algorithm->family == FAMILY_HMAC) {
        if (priv || pub) {
            return apr_psprintf(cmd->pool, "private-key= and public-key= are "
                                "for RS* and ES* algorithms; %s takes secret=",
                                c->algorithm->name);
        }
        err = configure_secret(cmd, be, c, secret);
    }
    else {
        if (secret) {
            return apr_psprintf(cmd->pool, "secret= is for HS* algorithms; %s "
                                "takes private-key= and/or public-key=",
                                c->algorithm->name);
        }
        err = configure_pem_keys(cmd, be, c, priv, pub);
    }
    if (!err) {
        apr_pool_cleanup_register(cmd->pool, c, scrub_key,
                                  apr_pool_cleanup_null);
    }
    return err;
}
