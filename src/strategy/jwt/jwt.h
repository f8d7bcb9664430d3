/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jwt.h — inside the jwt strategy: the algorithms and a backend's
 * configuration (jwt.c), its keys (keys.c) and the checks of a verified
 * token's claims (claims.c).
 */

#ifndef AUTH_BACKEND_JWT_H
#define AUTH_BACKEND_JWT_H

#include "common/common.h"

#include "strategy/jwt/jose.h"

#include <jansson.h>

#define MAX_SUB_LENGTH      1024

enum key_family { FAMILY_HMAC, FAMILY_RSA, FAMILY_EC, FAMILY_OKP };

typedef struct {
    const char *name;          /* as in the token header */
    jose_alg alg;
    enum key_family family;
    size_t min_secret;         /* HMAC: the digest size (RFC 7518 §3.2) */
    const char *curve;         /* EC: the curve it is defined on */
} jwt_algorithm;

typedef struct jwks_source jwks_source;       /* jwks.h */

typedef struct {
    const jwt_algorithm *algorithm;    /* algorithm=; NULL: a key set's own */
    unsigned int allowed;              /* JOSE_ALG_BIT mask tokens may name */
    const jose_key *sign_key;          /* secret or private key; NULL:
                                          verify only */
    jose_keyset *keys;                 /* what tokens are verified with */
    jwks_source *jwks;                 /* jwks=https://: fetched keys
                                          instead (keys is NULL) */
    apr_array_header_t *audiences;     /* const char * */
    const char *aud_json;              /* "aud":[...], as issued */
    const char *issuer;
    const char *iss_json;              /* ,"iss":"..." or NULL */
    const char *header_json;           /* {"alg":...,"typ":"JWT"} */
    apr_int64_t lifetime;
    apr_int64_t leeway;
    apr_int64_t cache_size;            /* verified tokens kept per process */
    token_cache *cache;                /* set in each child; NULL: off */
} jwt_conf;

/* ---- keys (keys.c) ---------------------------------------------------------- */

/* The algorithm NAME (any case), or NULL. */
const jwt_algorithm *jwt_algorithm_find(const char *name);
/* Takes secret=, private-key= and public-key= (or jwks=) out of OPTS, as
 * C's algorithm needs them, and keeps them in C (parsed and checked now);
 * without algorithm= and jwks=, the algorithm is HS256. */
const char *jwt_keys_configure(cmd_parms *cmd, const auth_backend *be,
                               jwt_conf *c, apr_array_header_t *opts);

/* ---- key sets (jwks.c) ------------------------------------------------------ */

/* jwks=SPEC (or, with DISCOVERY, discovery=SPEC) and its jwks-* options,
 * out of OPTS: a file: key set into C->keys now, an https: one into
 * C->jwks (fetched later); discovery= also sets C->issuer. */
const char *jwks_configure(cmd_parms *cmd, const auth_backend *be,
                           jwt_conf *c, const char *spec, int discovery,
                           apr_array_header_t *opts);
const char *jwks_check_config(apr_pool_t *pconf, const auth_backend *be,
                              jwks_source *src);
const char *jwks_post_config(apr_pool_t *pconf, const auth_backend *be,
                             jwks_source *src);
void jwks_child_init(apr_pool_t *pchild, jwks_source *src);

/* The key set a request verifies with (held until jwks_release), and the
 * generation the token cache files its answers under; NULL while no fetch
 * has succeeded yet. */
const jose_keyset *jwks_acquire(request_rec *r, jwks_source *src,
                                const unsigned char **gen, void **hold);
void jwks_release(jwks_source *src, void *hold);
/* A token named a kid the set does not have: ask for an early fetch (at
 * most one per jwks-min-refresh, server-wide). */
void jwks_unknown_kid(jwks_source *src);

/* ---- claims (claims.c) -------------------------------------------------------- */

/* Checks the claims of a verified token the way PyJWT does for
 * fastapi-users (exp and aud required, nbf and iat honoured), plus iss when
 * configured.  On success *SUB is the user and *EXP its expiry; otherwise
 * *CODE (REFUSED_*) and *REASON say why. */
auth_backend_status jwt_claims_validate(const jwt_conf *c, json_t *claims,
                                        double now, const char **sub,
                                        double *exp, const char **code,
                                        const char **reason);

#endif /* AUTH_BACKEND_JWT_H */
