/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jwt.c — signed, stateless tokens, as fastapi-users' JWTStrategy
 * makes them: {"sub": USER, "aud": [AUDIENCE...], "exp": NOW+LIFETIME}.
 *
 * libjwt 1.10 signs and verifies, and nothing more: it takes the algorithm
 * from the token header, skips verification with an empty key and checks
 * no claim at all (see reference/toolchain.md).  So this file reads the
 * header itself and pins the algorithm before libjwt sees the token, never
 * hands it an empty key (refused at configuration time), and checks every
 * claim from its own strict parse of the payload (duplicate keys refused).
 * Keys are parsed and checked once, at configuration time.
 */

#include "common/common.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#define DEFAULT_AUDIENCE    "fastapi-users:auth"
#define MAX_LEEWAY          86400
#define MAX_SUB_LENGTH      1024
#define DEFAULT_CACHE       1024

enum key_family { FAMILY_HMAC, FAMILY_RSA, FAMILY_EC };

typedef struct {
    const char *name;          /* as in the token header */
    jwt_alg_t alg;
    enum key_family family;
    size_t min_secret;         /* HMAC: the digest size (RFC 7518 §3.2) */
    const char *curve;         /* EC: the curve it is defined on */
} jwt_algorithm;

static const jwt_algorithm algorithms[] = {
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

typedef struct {
    const jwt_algorithm *algorithm;
    unsigned char *sign_key;           /* secret or private PEM; NULL: verify only */
    int sign_key_len;
    const unsigned char *verify_key;   /* secret or public PEM; never empty */
    int verify_key_len;
    apr_array_header_t *audiences;     /* const char * */
    const char *aud_json;              /* {"aud":[...]}, as issued */
    const char *issuer;
    apr_int64_t lifetime;
    apr_int64_t leeway;
    apr_int64_t cache_size;            /* verified tokens kept per process */
    token_cache *cache;                /* set in each child; NULL: off */
} jwt_conf;

/* ---- configuration --------------------------------------------------------- */

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

static const char *jwt_configure(cmd_parms *cmd, auth_backend *be,
                                 apr_array_header_t *opts, void **ctx)
{
    jwt_conf *c = apr_pcalloc(cmd->pool, sizeof(*c));
    const char *v, *err, *secret, *priv, *pub;
    json_t *aud;
    char *dumped;
    size_t i;

    v = auth_backend_option_take(opts, "algorithm");
    for (i = 0; v && i < sizeof(algorithms) / sizeof(algorithms[0]); i++) {
        if (!strcasecmp(v, algorithms[i].name)) {
            c->algorithm = &algorithms[i];
        }
    }
    if (!v) {
        c->algorithm = &algorithms[0];
    }
    else if (!c->algorithm) {
        return apr_psprintf(cmd->pool, "algorithm '%s' is not supported "
                            "(HS256, HS384, HS512, RS256, RS384, RS512, "
                            "ES256, ES384, ES512)",
                            v);
    }

    c->lifetime = TOKEN_DEFAULT_LIFETIME;
    if ((err = option_take_int(cmd->pool, opts, "lifetime", NULL, 1,
                               TOKEN_MAX_LIFETIME, &c->lifetime))) {
        return err;
    }
    if ((err = option_take_int(cmd->pool, opts, "leeway", NULL, 0, MAX_LEEWAY,
                               &c->leeway))) {
        return err;
    }
    c->cache_size = DEFAULT_CACHE;
    if ((err = option_take_int(cmd->pool, opts, "cache", NULL, 0,
                               TOKEN_CACHE_MAX_SLOTS, &c->cache_size))) {
        return err;
    }
    if ((v = auth_backend_option_take(opts, "issuer"))) {
        if (!*v) {
            return "issuer is empty";
        }
        c->issuer = v;
    }

    c->audiences = apr_array_make(cmd->pool, 1, sizeof(const char *));
    while ((v = auth_backend_option_take(opts, "audience"))) {
        if (!*v) {
            return "audience is empty";
        }
        APR_ARRAY_PUSH(c->audiences, const char *) = v;
    }
    if (!c->audiences->nelts) {
        APR_ARRAY_PUSH(c->audiences, const char *) = DEFAULT_AUDIENCE;
    }
    aud = json_array();
    for (i = 0; i < (size_t)c->audiences->nelts; i++) {
        json_array_append_new(aud, json_string(APR_ARRAY_IDX(c->audiences, i,
                                                             const char *)));
    }
    aud = json_pack("{s:o}", "aud", aud);
    dumped = json_dumps(aud, JSON_COMPACT);
    json_decref(aud);
    if (!dumped) {
        return "audience is not valid UTF-8";
    }
    c->aud_json = apr_pstrdup(cmd->pool, dumped);
    free(dumped);

    secret = auth_backend_option_take(opts, "secret");
    priv = auth_backend_option_take(opts, "private-key");
    pub = auth_backend_option_take(opts, "public-key");
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
    if (err) {
        return err;
    }
    apr_pool_cleanup_register(cmd->pool, c, scrub_key, apr_pool_cleanup_null);
    *ctx = c;
    return NULL;
}

/* ---- validation ---------------------------------------------------------------- */

/* Parses base64url SEGMENT of LEN bytes as a JSON object, or NULL. */
static json_t *segment_json(apr_pool_t *p, const char *segment, apr_size_t len,
                            const unsigned char **text, apr_size_t *text_len)
{
    unsigned char *raw;
    apr_ssize_t n = b64url_decode(p, segment, len, &raw);
    json_t *j;

    if (n <= 0) {
        return NULL;
    }
    /* duplicate names are refused: two readers must not see two values */
    j = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    *text = raw;
    *text_len = n;
    return j;
}

static int audience_accepted(const jwt_conf *c, const char *aud)
{
    int i;

    for (i = 0; i < c->audiences->nelts; i++) {
        if (!strcmp(aud, APR_ARRAY_IDX(c->audiences, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

/* The time claims are NumericDates (RFC 7519 §2): integer or not. */
static int numeric_date(json_t *claims, const char *name, double *t)
{
    json_t *v = json_object_get(claims, name);

    if (!v) {
        return 0;
    }
    if (!json_is_number(v)) {
        return -1;
    }
    *t = json_number_value(v);
    return 1;
}

/* Checks the claims of a verified token the way PyJWT does for
 * fastapi-users (exp and aud required, nbf and iat honoured), plus iss when
 * configured.  On success *SUB is the user. */
static auth_backend_status claims_validate(const jwt_conf *c, json_t *claims,
                                           double now, const char **sub,
                                           double *exp, const char **code,
                                           const char **reason)
{
    json_t *v;
    double t = 0;
    size_t i, len;
    const char *s;
    int found;

    switch (numeric_date(claims, "exp", &t)) {
    case 0:
        *code = REFUSED_MISSING_CLAIM;
        *reason = "it has no exp claim";
        return AUTH_BACKEND_DENIED;
    case -1:
        *code = REFUSED_INVALID_CLAIM;
        *reason = "exp is not a number";
        return AUTH_BACKEND_DENIED;
    }
    if (t <= now - (double)c->leeway) {
        *code = REFUSED_EXPIRED;
        *reason = "it has expired";
        return AUTH_BACKEND_EXPIRED;
    }
    *exp = t;
    if ((found = numeric_date(claims, "nbf", &t)) < 0
        || (found && t > now + (double)c->leeway)) {
        *code = found < 0 ? REFUSED_INVALID_CLAIM : REFUSED_NOT_YET_VALID;
        *reason = found < 0 ? "nbf is not a number" : "it is not valid yet (nbf)";
        return AUTH_BACKEND_DENIED;
    }
    if ((found = numeric_date(claims, "iat", &t)) < 0
        || (found && t > now + (double)c->leeway)) {
        *code = found < 0 ? REFUSED_INVALID_CLAIM : REFUSED_NOT_YET_VALID;
        *reason = found < 0 ? "iat is not a number" : "it was issued in the future (iat)";
        return AUTH_BACKEND_DENIED;
    }
    if (c->issuer) {
        v = json_object_get(claims, "iss");
        if (!json_is_string(v) || strcmp(json_string_value(v), c->issuer)) {
            *code = REFUSED_WRONG_ISSUER;
            *reason = "its issuer (iss) is missing or not the configured one";
            return AUTH_BACKEND_DENIED;
        }
    }

    v = json_object_get(claims, "aud");
    found = 0;
    if (json_is_string(v)) {
        found = audience_accepted(c, json_string_value(v));
    }
    else if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++) {
            json_t *e = json_array_get(v, i);
            if (!json_is_string(e)) {
                *code = REFUSED_INVALID_CLAIM;
                *reason = "aud holds a value that is not a string";
                return AUTH_BACKEND_DENIED;
            }
            found = found || audience_accepted(c, json_string_value(e));
        }
    }
    if (!found) {
        *code = v ? REFUSED_WRONG_AUDIENCE : REFUSED_MISSING_CLAIM;
        *reason = v ? "its audience (aud) is not accepted here"
                    : "it has no aud claim";
        return AUTH_BACKEND_DENIED;
    }

    v = json_object_get(claims, "sub");
    if (!json_is_string(v)) {
        *code = json_object_get(claims, "sub") ? REFUSED_INVALID_CLAIM
                                                : REFUSED_MISSING_CLAIM;
        *reason = "it has no sub claim (a string)";
        return AUTH_BACKEND_DENIED;
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || len > MAX_SUB_LENGTH || strlen(s) != len) {
        *code = REFUSED_INVALID_CLAIM;
        *reason = "sub is empty, too long or holds NUL";
        return AUTH_BACKEND_DENIED;
    }
    for (i = 0; i < len; i++) {
        if (apr_iscntrl(s[i])) {
            *code = REFUSED_INVALID_CLAIM;
            *reason = "sub holds control characters";
            return AUTH_BACKEND_DENIED;
        }
    }
    *sub = s;
    return AUTH_BACKEND_OK;
}

static auth_backend_status jwt_read(request_rec *r, const auth_backend *be,
                                    const char *token, const char **user,
                                    const char **claims)
{
    const jwt_conf *c = be->strategy_ctx;
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    const char *code = REFUSED_MALFORMED, *reason = NULL, *sub = NULL, *alg;
    const unsigned char *header_text, *payload_text, *sig;
    apr_size_t header_len, payload_len;
    json_t *header = NULL, *payload = NULL;
    auth_backend_status st = AUTH_BACKEND_DENIED;
    double now = (double)apr_time_now() / APR_USEC_PER_SEC, exp = 0;
    jwt_t *jwt = NULL;

    if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "backend '%s': the token is not a JWT", be->name);
        return AUTH_BACKEND_NOT_MINE;
    }
    if (c->cache && token_cache_get(c->cache, NULL, token, now, r->pool,
                                    user, claims)) {
        return AUTH_BACKEND_OK;
    }
    if (!(header = segment_json(r->pool, token, dot1 - token, &header_text,
                                &header_len))) {
        reason = "its header is not base64url-encoded JSON";
        goto done;
    }
    alg = json_string_value(json_object_get(header, "alg"));
    if (!alg || strcmp(alg, c->algorithm->name)) {
        code = REFUSED_WRONG_ALGORITHM;
        /* (a client's text: only its start) */
        reason = apr_psprintf(r->pool, "its algorithm '%.32s' is not the "
                              "configured %s",
                              alg ? alg : "(none)",
                              c->algorithm->name);
        goto done;
    }
    if (json_object_get(header, "crit")) {
        code = REFUSED_UNSUPPORTED;
        reason = "its header has a crit parameter (no extension is understood)";
        goto done;
    }
    if (b64url_decode(r->pool, dot2 + 1, strlen(dot2 + 1),
                      (unsigned char **)&sig) <= 0) {
        reason = "its signature is missing or not base64url";
        goto done;
    }
    if (!(payload = segment_json(r->pool, dot1 + 1, dot2 - dot1 - 1,
                                 &payload_text, &payload_len))) {
        reason = "its payload is not base64url-encoded JSON";
        goto done;
    }
    /* The header's alg is pinned above and the key is never empty, so
     * libjwt verifies with the configured algorithm and key. */
    if (jwt_decode(&jwt, token, c->verify_key, c->verify_key_len) != 0
        || jwt_get_alg(jwt) != c->algorithm->alg) {
        code = REFUSED_BAD_SIGNATURE;
        reason = "its signature does not verify";
        goto done;
    }
    st = claims_validate(c, payload, now, &sub, &exp, &code, &reason);
    if (st == AUTH_BACKEND_OK) {
        *user = apr_pstrdup(r->pool, sub);
        *claims = apr_pstrmemdup(r->pool, (const char *)payload_text,
                                 payload_len);
        if (c->cache) {
            token_cache_put(c->cache, NULL, token, exp + (double)c->leeway,
                            *user, *claims);
        }
    }

done:
    if (st != AUTH_BACKEND_OK) {
        audit_token_refused(r, be, code, reason);
    }
    jwt_free(jwt);
    json_decref(header);
    json_decref(payload);
    return st;
}

/* ---- issuing -------------------------------------------------------------------- */

static auth_backend_status jwt_write(request_rec *r, const auth_backend *be,
                                     const char *user, const char **token)
{
    const jwt_conf *c = be->strategy_ctx;
    jwt_t *jwt = NULL;
    char *encoded = NULL;
    long exp = (long)(apr_time_sec(apr_time_now()) + c->lifetime);

    if (!c->sign_key) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "backend '%s' has a public-key only and cannot issue "
                      "tokens; give it a private-key=", be->name);
        return AUTH_BACKEND_ERROR;
    }
    if (jwt_new(&jwt) == 0
        && jwt_add_grant(jwt, "sub", user) == 0
        && jwt_add_grants_json(jwt, c->aud_json) == 0
        && jwt_add_grant_int(jwt, "exp", exp) == 0
        && (!c->issuer || jwt_add_grant(jwt, "iss", c->issuer) == 0)
        && jwt_set_alg(jwt, c->algorithm->alg, c->sign_key,
                       c->sign_key_len) == 0) {
        encoded = jwt_encode_str(jwt);
    }
    jwt_free(jwt);
    if (!encoded) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, errno, r,
                      "backend '%s': cannot sign a JWT", be->name);
        return AUTH_BACKEND_ERROR;
    }
    *token = apr_pstrdup(r->pool, encoded);
    free(encoded);
    return AUTH_BACKEND_OK;
}

/* Each child process keeps its own cache of verified tokens. */
static void jwt_child_init(apr_pool_t *pchild, server_rec *s,
                           auth_backend *be)
{
    jwt_conf *c = be->strategy_ctx;

    if (c->cache_size > 0
        && !(c->cache = token_cache_create(pchild,
                                           (unsigned int)c->cache_size))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "backend '%s': cannot "
                     "create its token cache; every token is verified in "
                     "full", be->name);
    }
}

/* A JWT cannot be revoked: it is valid until it expires. */
static auth_backend_status jwt_destroy(request_rec *r, const auth_backend *be,
                                       const char *token)
{
    (void)r; (void)be; (void)token;
    return AUTH_BACKEND_NOT_SUPPORTED;
}

const auth_backend_strategy_provider strategy_jwt = {
    jwt_configure,
    NULL,                       /* check_config */
    jwt_child_init,
    jwt_read,
    jwt_write,
    jwt_destroy,
    NULL                        /* post_config */
};
