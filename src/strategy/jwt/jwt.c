/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jwt.c — signed, stateless tokens, as fastapi-users' JWTStrategy
 * makes them: {"sub": USER, "aud": [AUDIENCE...], "exp": NOW+LIFETIME}.
 *
 * The JOSE engine (jose.h, on OpenSSL's EVP) parses and verifies: keys
 * are parsed once, at configuration time (keys.c), each pinned to the
 * backend's algorithm, so a token's header can never choose how it is
 * checked; "none", crit and embedded keys are refused.  Every claim is
 * checked from this file's own strict parse of the payload (duplicate
 * names refused; claims.c).  libjwt was used before; it parsed a PEM key
 * for each token and took the algorithm from the header.
 */

#include "strategy/jwt/jwt.h"

#include "apr_strings.h"

#include <stdlib.h>

#define DEFAULT_AUDIENCE    "fastapi-users:auth"
#define MAX_LEEWAY          86400
#define DEFAULT_CACHE       1024

/* ---- configuration --------------------------------------------------------- */

/* "aud":[...] of the audience= options (fastapi-users' default if none),
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
    dumped = json_dumps(aud, JSON_COMPACT);
    json_decref(aud);
    if (!dumped) {
        return "audience is not valid UTF-8";
    }
    c->aud_json = apr_pstrcat(cmd->pool, "\"aud\":", dumped, NULL);
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
                            "PS256, PS384, PS512, ES256, ES384, ES512, "
                            "EdDSA)", v);
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
        json_t *iss = json_string(v);
        char *dumped = iss ? json_dumps(iss, JSON_ENCODE_ANY) : NULL;

        json_decref(iss);
        if (!*v || !dumped) {
            free(dumped);
            return !*v ? "issuer is empty" : "issuer is not valid UTF-8";
        }
        c->issuer = v;
        c->iss_json = apr_pstrcat(cmd->pool, ",\"iss\":", dumped, NULL);
        free(dumped);
    }
    c->header_json = apr_psprintf(cmd->pool, "{\"alg\":\"%s\",\"typ\":"
                                  "\"JWT\"}", c->algorithm->name);
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

/* The token's header failed the engine's parse: the same refusal codes
 * as ever, from the strategy's own reading of it. */
static void parse_refused(request_rec *r, const jwt_conf *c,
                          const char *token, apr_size_t len,
                          const char *why, const char **code,
                          const char **reason)
{
    json_t *header = header_check(r, c, token, len, code, reason);

    if (header) {
        json_decref(header);
        *code = REFUSED_MALFORMED;
        *reason = apr_pstrcat(r->pool, "it is not a JWS this strategy "
                              "reads: ", why, NULL);
    }
}

/* Whether a key of the backend made JWS's signature. */
static int signature_verifies(const jwt_conf *c, const jose_jws *jws,
                              const char **why)
{
    const jose_key *cand[JOSE_MAX_CANDIDATES];
    int i, n = jose_keyset_find(c->keys, jws->kid, jws->alg, cand, why);

    for (i = 0; i < n; i++) {
        if (jose_jws_verify(cand[i], jws, why) == APR_SUCCESS) {
            return 1;
        }
    }
    return 0;
}

static auth_backend_status jwt_read(request_rec *r, const auth_backend *be,
                                    const char *token, const char **user,
                                    const char **claims)
{
    const jwt_conf *c = be->strategy_ctx;
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    const char *code = REFUSED_MALFORMED, *reason = NULL, *sub = NULL, *why;
    json_t *payload = NULL;
    jose_jws *jws = NULL;
    auth_backend_status st = AUTH_BACKEND_DENIED;
    double now = (double)apr_time_now() / APR_USEC_PER_SEC, exp = 0;

    if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "backend '%s': the token is not a JWT", be->name);
        return AUTH_BACKEND_NOT_MINE;
    }
    if (c->cache && token_cache_get(c->cache, NULL, token, now, r->pool,
                                    user, claims)) {
        return AUTH_BACKEND_OK;
    }
    if (jose_jws_parse(r->pool, token, strlen(token), &jws, &why)
        != APR_SUCCESS) {
        parse_refused(r, c, token, dot1 - token, why, &code, &reason);
        goto done;
    }
    if (jws->alg != c->algorithm->alg) {
        code = REFUSED_WRONG_ALGORITHM;
        reason = apr_psprintf(r->pool, "its algorithm '%s' is not the "
                              "configured %s", jose_alg_name(jws->alg),
                              c->algorithm->name);
        goto done;
    }
    /* duplicate names are refused: two readers must not see two values;
     * a NUL (which jansson may pass after a number) would cut the claims
     * short for whoever reads them as a string next */
    payload = memchr(jws->payload, '\0', jws->payload_len) ? NULL
              : json_loadb((const char *)jws->payload, jws->payload_len,
                           JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(payload)) {
        reason = "its payload is not base64url-encoded JSON";
        goto done;
    }
    if (!signature_verifies(c, jws, &why)) {
        code = REFUSED_BAD_SIGNATURE;
        reason = "its signature does not verify";
        goto done;
    }
    st = jwt_claims_validate(c, payload, now, &sub, &exp, &code, &reason);
    if (st == AUTH_BACKEND_OK) {
        *user = apr_pstrdup(r->pool, sub);
        *claims = apr_pstrmemdup(r->pool, (const char *)jws->payload,
                                 jws->payload_len);
        if (c->cache) {
            token_cache_put(c->cache, NULL, token, exp + (double)c->leeway,
                            *user, *claims);
        }
    }

done:
    if (st != AUTH_BACKEND_OK) {
        audit_token_refused(r, be, code, reason);
    }
    json_decref(payload);
    return st;
}

/* ---- issuing -------------------------------------------------------------------- */

/* {"sub":USER,"aud":[...],"exp":...[,"iss":...]}, in fastapi-users' order,
 * under {"alg":...,"typ":"JWT"} as PyJWT writes it. */
static auth_backend_status jwt_write(request_rec *r, const auth_backend *be,
                                     const char *user, const char **token)
{
    const jwt_conf *c = be->strategy_ctx;
    apr_int64_t exp = apr_time_sec(apr_time_now()) + c->lifetime;
    json_t *sub = json_string(user);
    char *sub_json = sub ? json_dumps(sub, JSON_ENCODE_ANY) : NULL;
    const char *payload, *why = NULL;
    apr_status_t rv;

    json_decref(sub);
    if (!c->sign_key) {
        free(sub_json);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "backend '%s' has a public-key only and cannot issue "
                      "tokens; give it a private-key=", be->name);
        return AUTH_BACKEND_ERROR;
    }
    if (!sub_json) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "backend '%s': the user "
                      "id is not valid UTF-8 and cannot be a JWT's sub",
                      be->name);
        return AUTH_BACKEND_ERROR;
    }
    payload = apr_psprintf(r->pool, "{\"sub\":%s,%s,\"exp\":%"
                           APR_INT64_T_FMT "%s}", sub_json, c->aud_json, exp,
                           c->iss_json ? c->iss_json : "");
    free(sub_json);
    rv = jose_jws_sign(r->pool, c->sign_key, c->header_json, payload, token,
                       &why);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "backend '%s': cannot sign a JWT: %s", be->name, why);
        return AUTH_BACKEND_ERROR;
    }
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
