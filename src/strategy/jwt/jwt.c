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
 * Keys are parsed and checked once, at configuration time (keys.c); the
 * claims are checked in claims.c.
 */

#include "strategy/jwt/jwt.h"

#include "apr_strings.h"

#include <errno.h>
#include <stdlib.h>

#define DEFAULT_AUDIENCE    "fastapi-users:auth"
#define MAX_LEEWAY          86400
#define DEFAULT_CACHE       1024

/* ---- configuration --------------------------------------------------------- */

/* {"aud":[...]} of the audience= options (fastapi-users' default if none),
 * as tokens are issued with it. */
static const char *configure_audiences(cmd_parms *cmd, jwt_conf *c,
                                       apr_array_header_t *opts)
{
    const char *v;
    json_t *aud;
    char *dumped;
    int i;

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
    for (i = 0; i < c->audiences->nelts; i++) {
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
    return NULL;
}

static const char *jwt_configure(cmd_parms *cmd, auth_backend *be,
                                 apr_array_header_t *opts, void **ctx)
{
    jwt_conf *c = apr_pcalloc(cmd->pool, sizeof(*c));
    const char *v, *err;

    v = auth_backend_option_take(opts, "algorithm");
    if (!(c->algorithm = jwt_algorithm_find(v ? v : "HS256"))) {
        return apr_psprintf(cmd->pool, "algorithm '%s' is not supported "
                            "(HS256, HS384, HS512, RS256, RS384, RS512, "
                            "ES256, ES384, ES512)",
                            v);
    }
    c->lifetime = TOKEN_DEFAULT_LIFETIME;
    c->cache_size = DEFAULT_CACHE;
    if ((err = option_take_int(cmd->pool, opts, "lifetime", NULL, 1,
                               TOKEN_MAX_LIFETIME, &c->lifetime))
        || (err = option_take_int(cmd->pool, opts, "leeway", NULL, 0,
                                  MAX_LEEWAY, &c->leeway))
        || (err = option_take_int(cmd->pool, opts, "cache", NULL, 0,
                                  TOKEN_CACHE_MAX_SLOTS, &c->cache_size))) {
        return err;
    }
    if ((v = auth_backend_option_take(opts, "issuer"))) {
        if (!*v) {
            return "issuer is empty";
        }
        c->issuer = v;
    }
    if ((err = configure_audiences(cmd, c, opts))
        || (err = jwt_keys_configure(cmd, be, c, opts))) {
        return err;
    }
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

/* The token's header (LEN bytes of base64url at TOKEN) if it names the
 * backend's algorithm and asks for nothing this strategy does not do;
 * else NULL, with *CODE and *REASON. */
static json_t *header_check(request_rec *r, const jwt_conf *c,
                            const char *token, apr_size_t len,
                            const char **code, const char **reason)
{
    const unsigned char *text;
    apr_size_t text_len;
    json_t *header = segment_json(r->pool, token, len, &text, &text_len);
    const char *alg;

    if (!header) {
        *reason = "its header is not base64url-encoded JSON";
        return NULL;
    }
    alg = json_string_value(json_object_get(header, "alg"));
    if (!alg || strcmp(alg, c->algorithm->name)) {
        *code = REFUSED_WRONG_ALGORITHM;
        /* (a client's text: only its start) */
        *reason = apr_psprintf(r->pool, "its algorithm '%.32s' is not the "
                               "configured %s", alg ? alg : "(none)",
                               c->algorithm->name);
    }
    else if (json_object_get(header, "crit")) {
        *code = REFUSED_UNSUPPORTED;
        *reason = "its header has a crit parameter (no extension is "
                  "understood)";
    }
    else {
        return header;
    }
    json_decref(header);
    return NULL;
}

static auth_backend_status jwt_read(request_rec *r, const auth_backend *be,
                                    const char *token, const char **user,
                                    const char **claims)
{
    const jwt_conf *c = be->strategy_ctx;
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    const char *code = REFUSED_MALFORMED, *reason = NULL, *sub = NULL;
    const unsigned char *payload_text, *sig;
    apr_size_t payload_len;
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
    if (!(header = header_check(r, c, token, dot1 - token, &code,
                                &reason))) {
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
    st = jwt_claims_validate(c, payload, now, &sub, &exp, &code, &reason);
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
