/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * keys.c — the jwt strategy's keys: an HMAC secret, or PEM keys (a
 * certificate for a public one), read once at configuration time, checked
 * against the backend's algorithm and handed to the JOSE engine (jose.h),
 * which keeps them parsed, pinned to that algorithm, for every request.
 */

#include "strategy/jwt/jwt.h"

#include "apr_strings.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const jwt_algorithm jwt_algorithms[] = {
    { "HS256", JOSE_HS256, FAMILY_HMAC, 32, NULL },
    { "HS384", JOSE_HS384, FAMILY_HMAC, 48, NULL },
    { "HS512", JOSE_HS512, FAMILY_HMAC, 64, NULL },
    { "RS256", JOSE_RS256, FAMILY_RSA, 0, NULL },
    { "RS384", JOSE_RS384, FAMILY_RSA, 0, NULL },
    { "RS512", JOSE_RS512, FAMILY_RSA, 0, NULL },
    { "PS256", JOSE_PS256, FAMILY_RSA, 0, NULL },
    { "PS384", JOSE_PS384, FAMILY_RSA, 0, NULL },
    { "PS512", JOSE_PS512, FAMILY_RSA, 0, NULL },
    { "ES256", JOSE_ES256, FAMILY_EC, 0, "prime256v1" },
    { "ES384", JOSE_ES384, FAMILY_EC, 0, "secp384r1" },
    { "ES512", JOSE_ES512, FAMILY_EC, 0, "secp521r1" },
    { "EdDSA", JOSE_EDDSA, FAMILY_OKP, 0, NULL },
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

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
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

/* The key type the algorithm needs; the engine then checks sizes. */
static const char *key_fits(cmd_parms *cmd, const char *key, EVP_PKEY *k,
                            const jwt_algorithm *a)
{
    char curve[64] = "";
    int id = EVP_PKEY_get_base_id(k);

    switch (a->family) {
    case FAMILY_RSA:
        /* an RSA-PSS key (restricted to PSS) serves PS* only */
        if (id != EVP_PKEY_RSA && (id != EVP_PKEY_RSA_PSS || a->name[0] != 'P')) {
            return apr_psprintf(cmd->pool, "%s is not an RSA key, which %s "
                                "needs", key, a->name);
        }
        return NULL;
    case FAMILY_OKP:
        if (id != EVP_PKEY_ED25519 && id != EVP_PKEY_ED448) {
            return apr_psprintf(cmd->pool, "%s is not an Ed25519 or Ed448 "
                                "key, which EdDSA needs", key);
        }
        return NULL;
    default:
        if (id != EVP_PKEY_EC
            || !EVP_PKEY_get_group_name(k, curve, sizeof(curve), NULL)
            || strcmp(curve, a->curve)) {
            return apr_psprintf(cmd->pool, "%s is not an EC key on curve %s, "
                                "which %s needs", key, a->curve, a->name);
        }
        return NULL;
    }
}

/* K, checked and handed to the engine (which then owns it) as *OUT. */
static const char *key_wrap(cmd_parms *cmd, const char *key, EVP_PKEY *k,
                            int private, const jwt_algorithm *a,
                            jose_key **out)
{
    const char *err = key_fits(cmd, key, k, a), *why = NULL;

    if (err) {
        EVP_PKEY_free(k);
        return err;
    }
    if (jose_key_wrap(cmd->pool, k, JOSE_ALG_UNKNOWN, JOSE_ALG_BIT(a->alg),
                      NULL, private, out, &why) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s cannot serve %s: %s", key,
                            a->name, why);
    }
    return NULL;
}

static const char *configure_pem_keys(cmd_parms *cmd, const auth_backend *be,
                                      jwt_conf *c, const char *priv_spec,
                                      const char *pub_spec)
{
    EVP_PKEY *priv = NULL, *pub = NULL;
    jose_key *sign = NULL, *verify = NULL;
    const char *err = NULL;

    if (!priv_spec && !pub_spec) {
        return apr_psprintf(cmd->pool, "%s needs private-key=file:PATH (to "
                            "issue and verify) or public-key=file:PATH (to "
                            "verify only)", c->algorithm->name);
    }
    if ((priv_spec
         && (err = pem_load(cmd, be, "private-key", priv_spec, 1, &priv)))
        || (pub_spec
            && (err = pem_load(cmd, be, "public-key", pub_spec, 0, &pub)))) {
        EVP_PKEY_free(priv);
        EVP_PKEY_free(pub);
        return err;
    }
    if (priv && pub && EVP_PKEY_eq(priv, pub) != 1) {
        EVP_PKEY_free(priv);
        EVP_PKEY_free(pub);
        return "private-key and public-key are not a key pair";
    }
    /* key_wrap owns the key it is given, whatever the outcome */
    if (priv && (err = key_wrap(cmd, "private-key", priv, 1, c->algorithm,
                                &sign))) {
        EVP_PKEY_free(pub);
        return err;
    }
    if (pub && (err = key_wrap(cmd, "public-key", pub, 0, c->algorithm,
                               &verify))) {
        return err;
    }
    c->sign_key = sign;
    /* without public-key=, the private key verifies too */
    c->keys = jose_keyset_make(cmd->pool);
    jose_keyset_add(c->keys, verify ? verify : sign, &err);
    if (!priv_spec) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "%s:%d: backend '%s' has a public-key only: it verifies "
                     "tokens but cannot issue them (its login answers 500)",
                     cmd->directive->filename, cmd->directive->line_num,
                     be->name);
    }
    return NULL;
}

static const char *configure_secret(cmd_parms *cmd, const auth_backend *be,
                                    jwt_conf *c, const char *spec)
{
    const char *secret, *err, *why = NULL;
    apr_size_t len;
    jose_key *k;

    if (!spec) {
        return apr_psprintf(cmd->pool, "%s needs secret=file:PATH (or "
                            "env:VAR)", c->algorithm->name);
    }
    if ((err = option_secret(cmd, be, "secret", spec, &secret, &len))) {
        return err;
    }
    if (len < c->algorithm->min_secret) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "%s:%d: backend '%s': the secret has %" APR_SIZE_T_FMT
                     " bytes; %s wants at least %" APR_SIZE_T_FMT,
                     cmd->directive->filename, cmd->directive->line_num,
                     be->name, len, c->algorithm->name,
                     (apr_size_t)c->algorithm->min_secret);
    }
    /* the engine keeps its own copy, cleansed with the configuration */
    if (jose_key_from_any_secret(cmd->pool, (const unsigned char *)secret,
                                 len, JOSE_ALG_BIT(c->algorithm->alg), &k,
                                 &why) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "secret: %s", why);
    }
    c->sign_key = k;
    c->keys = jose_keyset_make(cmd->pool);
    jose_keyset_add(c->keys, k, &err);
    return NULL;
}

const char *jwt_keys_configure(cmd_parms *cmd, const auth_backend *be,
                               jwt_conf *c, apr_array_header_t *opts)
{
    const char *secret = auth_backend_option_take(opts, "secret");
    const char *priv = auth_backend_option_take(opts, "private-key");
    const char *pub = auth_backend_option_take(opts, "public-key");
    const char *jwks = auth_backend_option_take(opts, "jwks");
    const char *discovery = auth_backend_option_take(opts, "discovery");

    if (jwks && discovery) {
        return "discovery= finds the key set itself: give jwks= or "
               "discovery=, not both";
    }
    if (discovery) {
        jwks = discovery;
    }
    if (jwks) {
        if (secret || priv || pub) {
            return apr_psprintf(cmd->pool, "%s= takes the place of secret=, "
                                "private-key= and public-key=: give one of "
                                "them", discovery ? "discovery" : "jwks");
        }
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, "%s:%d: "
                     "backend '%s' verifies with a key set only: it cannot "
                     "issue tokens (its login answers 500)",
                     cmd->directive->filename, cmd->directive->line_num,
                     be->name);
        return jwks_configure(cmd, be, c, jwks, discovery != NULL, opts);
    }
    if (!c->algorithm) {
        c->algorithm = jwt_algorithm_find("HS256");
        c->allowed = JOSE_ALG_BIT(c->algorithm->alg);
    }
    if (c->algorithm->family == FAMILY_HMAC) {
        if (priv || pub) {
            return apr_psprintf(cmd->pool, "private-key= and public-key= are "
                                "for RS*, PS*, ES* and EdDSA; %s takes "
                                "secret=", c->algorithm->name);
        }
        return configure_secret(cmd, be, c, secret);
    }
    if (secret) {
        return apr_psprintf(cmd->pool, "secret= is for HS* algorithms; %s "
                            "takes private-key= and/or public-key=",
                            c->algorithm->name);
    }
    return configure_pem_keys(cmd, be, c, priv, pub);
}
