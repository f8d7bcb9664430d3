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

    if ((v = auth_backend_option_take(opts, "algorithm"))) {
        if (!(c->algorithm = jwt_algorithm_find(v))) {
            return apr_psprintf(cmd->pool, "algorithm '%s' is not supported "
                                "(HS256, HS384, HS512, RS256, RS384, RS512, "
                                "PS256, PS384, PS512, ES256, ES384, ES512, "
                                "EdDSA)", v);
        }
        c->allowed = JOSE_ALG_BIT(c->algorithm->alg);
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
    if ((err = configure_audiences(cmd, c, opts))
        || (err = jwt_keys_configure(cmd, be, c, opts))) {
        return err;
    }
    if (c->sign_key) {
        c->header_json = apr_psprintf(cmd->pool, "{\"alg\":\"%s\",\"typ\":"
                                      "\"JWT\"}", c->algorithm->name);
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

static const char *wrong_algorithm(apr_pool_t *p, const jwt_conf *c,
                                   const char *alg)
{
    return c->algorithm
           ? apr_psprintf(p, "its algorithm '%.32s' is not the configured "
                          "%s", alg, c->algorithm->name)
           : apr_psprintf(p, "its algorithm '%.32s' is not one of the key "
                          "set's", alg);
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
    if (!alg || !(c->allowed & JOSE_ALG_BIT(jose_alg_from_name(alg,
                                                               strlen(alg))))) {
        *code = REFUSED_WRONG_ALGORITHM;
        /* (a client's text: only its start) */
        *reason = wrong_algorithm(r->pool, c, alg ? alg : "(none)");
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

/* The connection's memo of its tokens' last header (none for an HTTP/2
 * stream): a client sends the tokens of one issuer, whose header is the
 * same on all, and reading it (base64url, then jansson) was about 9k of
 * the 55k instructions an HS256 token cost above an open location. */
static jose_header_memo *header_memo(conn_rec *c)
{
    connection_memos *m = connection_memos_get(c);

    if (m && !m->jws_header) {
        m->jws_header = jose_header_memo_create(c->pool);
    }
    return m ? m->jws_header : NULL;
}

/* Whether a key of SET made JWS's signature; else why not.  A kid the
 * key set does not have may mean the provider rotated its keys: an early
 * fetch is asked. */
static int signature_verifies(request_rec *r, const jwt_conf *c,
                              const jose_keyset *set, const jose_jws *jws,
                              const char **reason)
{
    const jose_key *cand[JOSE_MAX_CANDIDATES];
    const char *why = NULL;
    int i, n = jose_keyset_find(set, jws->kid, jws->alg, cand, &why);

    if (!n) {
        if (c->jwks && jws->kid && !jose_keyset_knows_kid(set, jws->kid)) {
            jwks_unknown_kid(c->jwks);
        }
        /* (a client's text: only its start) */
        *reason = apr_psprintf(r->pool, "no key verifies it: %s%s%.64s%s",
                               why, jws->kid ? " (kid '" : "",
                               jws->kid ? jws->kid : "",
                               jws->kid ? "')" : "");
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (jose_jws_verify(cand[i], jws, &why) == APR_SUCCESS) {
            return 1;
        }
    }
    *reason = "its signature does not verify";
    return 0;
}

/* A parsed token's algorithm, payload and signature: AUTH_BACKEND_OK and
 * *PAYLOAD (the caller frees it), or DENIED with *CODE and *REASON. */
static auth_backend_status token_check(request_rec *r, const jwt_conf *c,
                                       const jose_keyset *set,
                                       const jose_jws *jws, json_t **payload,
                                       const char **code, const char **reason)
{
    if (!(c->allowed & JOSE_ALG_BIT(jws->alg))) {
        *code = REFUSED_WRONG_ALGORITHM;
        *reason = wrong_algorithm(r->pool, c, jose_alg_name(jws->alg));
        return AUTH_BACKEND_DENIED;
    }
    /* duplicate names are refused: two readers must not see two values;
     * a NUL (which jansson may pass after a number) would cut the claims
     * short for whoever reads them as a string next */
    *payload = memchr(jws->payload, '\0', jws->payload_len) ? NULL
               : json_loadb((const char *)jws->payload, jws->payload_len,
                            JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(*payload)) {
        *reason = "its payload is not base64url-encoded JSON";
        return AUTH_BACKEND_DENIED;
    }
    if (!signature_verifies(r, c, set, jws, reason)) {
        *code = REFUSED_BAD_SIGNATURE;
        return AUTH_BACKEND_DENIED;
    }
    return AUTH_BACKEND_OK;
}

static auth_backend_status jwt_read(request_rec *r, const auth_backend *be,
                                    const char *token, const char **user,
                                    const char **claims)
{
    const jwt_conf *c = be->strategy_ctx;
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    const char *code = REFUSED_MALFORMED, *reason = NULL, *sub = NULL, *why;
    const jose_keyset *set;
    const unsigned char *gen = NULL;
    void *hold = NULL;
    json_t *payload = NULL;
    jose_jws *jws = NULL;
    auth_backend_status st;
    double now = (double)apr_time_now() / APR_USEC_PER_SEC, exp = 0;

    if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "backend '%s': the token is not a JWT", be->name);
        return AUTH_BACKEND_NOT_MINE;
    }
    /* a fetched key set: the cache's answers die with its generation */
    set = c->jwks ? jwks_acquire(r, c->jwks, &gen, &hold) : c->keys;
    if (!set) {
        return AUTH_BACKEND_UNAVAILABLE;
    }
    if (c->cache && token_cache_get(c->cache, gen, token, now, r->pool,
                                    user, claims)) {
        jwks_release(c->jwks, hold);
        return AUTH_BACKEND_OK;
    }
    if (jose_jws_parse_memo(r->pool, token, strlen(token),
                            header_memo(r->connection), &jws, &why)
        != APR_SUCCESS) {
        parse_refused(r, c, token, dot1 - token, why, &code, &reason);
        st = AUTH_BACKEND_DENIED;
    }
    else {
        st = token_check(r, c, set, jws, &payload, &code, &reason);
    }
    if (st == AUTH_BACKEND_OK) {
        st = jwt_claims_validate(c, payload, now, &sub, &exp, &code,
                                 &reason);
    }
    if (st == AUTH_BACKEND_OK) {
        *user = apr_pstrdup(r->pool, sub);
        *claims = apr_pstrmemdup(r->pool, (const char *)jws->payload,
                                 jws->payload_len);
        if (c->cache) {
            token_cache_put(c->cache, gen, token, exp + (double)c->leeway,
                            *user, *claims);
        }
    }
    else {
        audit_token_refused(r, be, code, reason);
    }
    jwks_release(c->jwks, hold);
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

    if (c->jwks) {
        jwks_child_init(pchild, c->jwks);
    }
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

/* ---- issuer routing ------------------------------------------------------ */

static const char *jwt_issuer(const auth_backend *be)
{
    const jwt_conf *c = be->strategy_ctx;

    return c->issuer;
}

/* The payload's iss, before anything is verified: it only chooses which
 * backend verifies the token. */
static const char *jwt_token_issuer(request_rec *r, const auth_backend *be,
                                    const char *token)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    unsigned char *raw;
    const char *iss = NULL;
    json_t *payload, *v;

    (void)be;
    if (!dot2 || b64url_decode(r->pool, dot1 + 1, dot2 - dot1 - 1,
                                    &raw) < 0) {
        return NULL;
    }
    payload = json_loads((const char *)raw, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_string(v = json_object_get(payload, "iss"))) {
        iss = apr_pstrdup(r->pool, json_string_value(v));
    }
    json_decref(payload);
    return iss;
}

static const char *jwt_check_config(apr_pool_t *pconf, server_rec *s,
                                    auth_backend *be)
{
    jwt_conf *c = be->strategy_ctx;

    (void)s;
    return c->jwks ? jwks_check_config(pconf, be, c->jwks) : NULL;
}

static const char *jwt_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                   server_rec *s, auth_backend *be)
{
    jwt_conf *c = be->strategy_ctx;

    (void)ptemp;
    (void)s;
    return c->jwks ? jwks_post_config(pconf, be, c->jwks) : NULL;
}

const auth_backend_strategy_provider strategy_jwt = {
    jwt_configure,
    jwt_check_config,
    jwt_child_init,
    jwt_read,
    jwt_write,
    jwt_destroy,
    jwt_post_config,
    jwt_issuer,
    jwt_token_issuer
};
