/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jose.h — a small JOSE engine on OpenSSL 3 EVP: keys (PEM, HMAC secret,
 * JWK, JWKS) parsed once at configuration time, JWS compact parsing,
 * verification and signing.  It depends on APR, libcrypto and jansson
 * only (no httpd header), so unit tests and fuzzers link it alone.
 *
 * Rules it enforces, whatever the caller does:
 *  - every key carries the set of algorithms it may be used with ("algs",
 *    pinned at load); a token's header alg must be in it, so an HMAC key
 *    never meets RS/ES/PS/EdDSA and an RSA key never meets HS* (the
 *    algorithm confusion attack), and "none" does not even parse;
 *  - a key's algs come from its JWK "alg" when it has one, else from the
 *    caller's "allowed" mask, else from the key itself only when that is
 *    unambiguous (an EC curve, Ed25519/Ed448).  An RSA or oct key with no
 *    "alg" and no allowed mask is refused: nothing pins it.  RS* and PS*
 *    on one RSA key happen only when the caller's mask names both;
 *  - RSA moduli outside 2048..8192 bits are refused (a slow-verify DoS at
 *    the top, forgeable at the bottom), EC points are checked on curve,
 *    an HMAC secret is at least as long as the hash (RFC 7518 §3.2);
 *  - base64url is strict: no padding, no other alphabet, canonical only;
 *  - only an exact success of the verify primitive is success.
 *
 * Errors are short static strings for the log: never key material, never
 * a token.  Everything is allocated from the pool passed in.
 *
 * Threads: a jose_key and a jose_keyset are read-only after loading and
 * may be shared by every thread; each call makes its own OpenSSL contexts.
 * Keys own their EVP objects and free them in a cleanup of the pool they
 * were loaded into: the configuration pool, or for a key set that is
 * replaced at run time its own pool, destroyed once no request uses it.
 *
 * Speed: everything OpenSSL 3 would look up by name per call is looked up
 * once at load.  HMAC runs from a keyed EVP_MAC_CTX, RS/PS/ES from a
 * verify-initialised EVP_PKEY_CTX, each duplicated per call; the digests
 * are fetched EVP_MDs.  test_jose --bench prints the figures.
 */

#ifndef AUTH_BACKEND_JOSE_H
#define AUTH_BACKEND_JOSE_H

#include "common/b64url.h"

#include "apr_pools.h"
#include "apr_tables.h"

#include <jansson.h>
#include <openssl/evp.h>

/* ---- algorithms --------------------------------------------------------- */

typedef enum {
    JOSE_ALG_UNKNOWN = 0,   /* also "none": never accepted */
    JOSE_HS256, JOSE_HS384, JOSE_HS512,
    JOSE_RS256, JOSE_RS384, JOSE_RS512,
    JOSE_PS256, JOSE_PS384, JOSE_PS512,
    JOSE_ES256, JOSE_ES384, JOSE_ES512,
    JOSE_EDDSA,
    JOSE_ALG_COUNT
} jose_alg;

#define JOSE_ALG_BIT(a)  (1u << (a))
#define JOSE_ALGS_HS     (JOSE_ALG_BIT(JOSE_HS256) | JOSE_ALG_BIT(JOSE_HS384) \
                          | JOSE_ALG_BIT(JOSE_HS512))
#define JOSE_ALGS_RS     (JOSE_ALG_BIT(JOSE_RS256) | JOSE_ALG_BIT(JOSE_RS384) \
                          | JOSE_ALG_BIT(JOSE_RS512))
#define JOSE_ALGS_PS     (JOSE_ALG_BIT(JOSE_PS256) | JOSE_ALG_BIT(JOSE_PS384) \
                          | JOSE_ALG_BIT(JOSE_PS512))
#define JOSE_ALGS_ES     (JOSE_ALG_BIT(JOSE_ES256) | JOSE_ALG_BIT(JOSE_ES384) \
                          | JOSE_ALG_BIT(JOSE_ES512))
#define JOSE_ALGS_ALL    (JOSE_ALGS_HS | JOSE_ALGS_RS | JOSE_ALGS_PS \
                          | JOSE_ALGS_ES | JOSE_ALG_BIT(JOSE_EDDSA))

/* "HS256" ... "EdDSA"; NULL for JOSE_ALG_UNKNOWN. */
const char *jose_alg_name(jose_alg alg);
/* Exact, case-sensitive (RFC 7515 §4.1.1): "none", "None", "hs256" are
 * JOSE_ALG_UNKNOWN. */
jose_alg jose_alg_from_name(const char *name, apr_size_t len);

/* ---- keys --------------------------------------------------------------- */

typedef enum { JOSE_KTY_OCT = 1, JOSE_KTY_RSA, JOSE_KTY_EC, JOSE_KTY_OKP }
    jose_kty;

#define JOSE_RSA_MIN_BITS   2048
#define JOSE_RSA_MAX_BITS   8192

/* Read-only after loading; the fields below the line are the engine's. */
typedef struct jose_key {
    const char *kid;            /* NULL: the key has none */
    unsigned int algs;          /* JOSE_ALG_BIT mask, never 0 */
    jose_kty kty;
    int bits;                   /* RSA modulus, EC field, secret length */
    unsigned int can_sign:1;    /* a private key or a secret */
    /* ---- */
    EVP_PKEY *pkey;             /* RSA, EC, OKP */
    unsigned char *secret;      /* oct; cleansed by the pool cleanup */
    apr_size_t secret_len;
    EVP_MD *md[3];              /* SHA-256/384/512, fetched once if used */
    EVP_MAC_CTX *mac[3];        /* oct: HMAC keyed once, duplicated per call */
    EVP_PKEY_CTX *verify[JOSE_ALG_COUNT];  /* RS/PS/ES: set up once, the same */
} jose_key;

/* PEM text of a public key (SPKI), a certificate, or an unencrypted
 * private key (PKCS#8 or traditional; the key can then sign): RSA, RSA-PSS
 * (PS* only), EC P-256/384/521, Ed25519, Ed448.  ALLOWED narrows the
 * algorithms (0: what the key type implies when that is unambiguous, see
 * above).  KID may be NULL. */
apr_status_t jose_key_from_pem(apr_pool_t *p, const char *pem, apr_size_t len,
                               unsigned int allowed, const char *kid,
                               jose_key **key, const char **reason);

/* An HMAC secret (raw bytes, copied). */
apr_status_t jose_key_from_secret(apr_pool_t *p, const unsigned char *secret,
                                  apr_size_t len, unsigned int allowed,
                                  const char *kid, jose_key **key,
                                  const char **reason);
/* The same for a secret an administrator configured, of any length but
 * empty: RFC 7518 §3.2's minimum is then the caller's warning to give, as
 * fastapi-users (PyJWT) accepts a shorter secret too.  Never for a key set
 * from elsewhere. */
apr_status_t jose_key_from_any_secret(apr_pool_t *p,
                                      const unsigned char *secret,
                                      apr_size_t len, unsigned int allowed,
                                      jose_key **key, const char **reason);

/* A JWK object (RFC 7517, 7518 §6, 8037): kty RSA (n, e), EC (crv, x, y;
 * a coordinate shorter than the field is left-padded, as PyJWT < 2.8
 * writes them), OKP (Ed25519 or Ed448, x), oct (k).  "use" must be "sig"
 * and "key_ops", when there, name "verify".  Private members ("d", and
 * RSA's CRT members) are read only with ALLOW_PRIVATE: a key set fetched
 * from an identity provider is never a signing key. */
apr_status_t jose_key_from_jwk(apr_pool_t *p, json_t *jwk,
                               unsigned int allowed, int allow_private,
                               jose_key **key, const char **reason);

/* ---- key sets ----------------------------------------------------------- */

#define JOSE_MAX_KEYS        100    /* a JWKS with more is refused whole */
#define JOSE_MAX_JWKS_BYTES  ((apr_size_t)1024 * 1024)
#define JOSE_MAX_CANDIDATES  3      /* keys tried for a token without kid */

typedef struct {
    int index;                  /* position in "keys" */
    const char *kid;            /* printable copy, or NULL */
    const char *reason;         /* static */
} jose_skipped;

typedef struct {
    apr_array_header_t *keys;     /* const jose_key * */
    apr_array_header_t *skipped;  /* jose_skipped: why a JWK is not used */
} jose_keyset;

jose_keyset *jose_keyset_make(apr_pool_t *p);

/* Adds KEY; refused when a key with the same kid already allows one of
 * its algorithms (which one to use would then be ambiguous). */
apr_status_t jose_keyset_add(jose_keyset *set, const jose_key *key,
                             const char **reason);

/* A JWKS document {"keys":[...]} of at most JOSE_MAX_JWKS_BYTES and
 * JOSE_MAX_KEYS keys.  Unusable JWKs (use other than "sig", key_ops
 * without "verify", unknown kty or crv, bad sizes, alg inconsistent with
 * the key or outside ALLOWED, duplicate kid) are listed in set->skipped
 * and do not fail the set.  APR_SUCCESS needs at least one usable key; on
 * a failure *SET is still filled when the document was a key set. */
apr_status_t jose_keyset_parse(apr_pool_t *p, const char *json,
                               apr_size_t len, unsigned int allowed,
                               jose_keyset **set, const char **reason);

/* The keys a token signed with ALG and naming KID (NULL: none) may be
 * verified with, into CAND (room for JOSE_MAX_CANDIDATES); returns their
 * number.  With a kid: the key with that kid, if it allows ALG; when no
 * key has that kid at all, the keys without a kid that allow ALG (a
 * statically configured key).  Without a kid: every key that allows ALG,
 * but none when more than JOSE_MAX_CANDIDATES do (each try costs a
 * signature check, and a forged token must not buy many).  0 sets
 * *REASON. */
int jose_keyset_find(const jose_keyset *set, const char *kid, jose_alg alg,
                     const jose_key **cand, const char **reason);

/* Whether a key of SET has KID: a token naming an unknown kid is what may
 * trigger an early refresh of a fetched key set. */
int jose_keyset_knows_kid(const jose_keyset *set, const char *kid);

/* ---- JWS compact serialisation ------------------------------------------ */

#define JOSE_MAX_TOKEN  16384

typedef struct {
    jose_alg alg;
    const char *kid;                  /* NULL: none */
    const char *typ;                  /* NULL: none */
    const char *header;               /* decoded, NUL-terminated */
    apr_size_t header_len;
    const unsigned char *payload;     /* decoded, NUL-terminated */
    apr_size_t payload_len;
    const char *signing_input;        /* header.payload, copied as sent */
    apr_size_t signing_input_len;
    const unsigned char *sig;
    apr_size_t sig_len;
} jose_jws;

/* Splits and decodes TOKEN (LEN bytes, no NUL needed) and reads the
 * header: a JSON object without duplicate members, "alg" a supported
 * algorithm, "kid" and "typ" strings when present; "crit" and "b64"
 * other than true are refused.  The key members "jwk", "jku", "x5u" and
 * "x5c" are never read (only loaded keys verify).  Nothing is verified
 * yet. */
apr_status_t jose_jws_parse(apr_pool_t *p, const char *token, apr_size_t len,
                            jose_jws **jws, const char **reason);

/* The header a connection's tokens carried last, read once: an issuer
 * writes the same header on all its tokens (its alg, its kid), and the
 * header's reading depends only on its bytes.  Base64url headers longer
 * than JOSE_HEADER_MEMO_MAX are read each time. */
#define JOSE_HEADER_MEMO_MAX 512

typedef struct jose_header_memo jose_header_memo;

jose_header_memo *jose_header_memo_create(apr_pool_t *p);

/* jose_jws_parse(), with the header's reading taken from MEMO when the
 * token's header is the one it holds, byte for byte, and kept in it when
 * it is read successfully.  MEMO may be NULL. */
apr_status_t jose_jws_parse_memo(apr_pool_t *p, const char *token,
                                 apr_size_t len, jose_header_memo *memo,
                                 jose_jws **jws, const char **reason);

/* APR_SUCCESS only when KEY allows the token's alg and the signature is
 * valid; allocates nothing from any pool. */
apr_status_t jose_jws_verify(const jose_key *key, const jose_jws *jws,
                             const char **reason);

/* Compact JWS of PAYLOAD_JSON under HEADER_JSON (both JSON texts, used as
 * given, so the caller controls member order); the header's "alg" must
 * be one KEY allows and KEY must be able to sign. */
apr_status_t jose_jws_sign(apr_pool_t *p, const jose_key *key,
                           const char *header_json, const char *payload_json,
                           const char **token, const char **reason);

/* ---- for the engine's own files ----------------------------------------- */

/* Index 0/1/2 of SHA-256/384/512 for ALG; -1 for EdDSA. */
int jose_alg_hash(jose_alg alg);
/* The algorithms a key of KTY (EC/OKP: on curve CURVE, RSA: PSS-only if
 * PSS_ONLY) can technically serve. */
unsigned int jose_kty_algs(jose_kty kty, const char *curve, int pss_only);
/* Takes ownership of PKEY (freed with the pool); checks its size and
 * curve, pins ALGS (see the rules above; JWK_ALG: the JWK's alg or
 * JOSE_ALG_UNKNOWN) and fetches the digests. */
apr_status_t jose_key_wrap(apr_pool_t *p, EVP_PKEY *pkey, jose_alg jwk_alg,
                           unsigned int allowed, const char *kid,
                           int can_sign, jose_key **key, const char **reason);
/* The same for an HMAC secret. */
apr_status_t jose_key_wrap_secret(apr_pool_t *p, const unsigned char *secret,
                                  apr_size_t len, jose_alg jwk_alg,
                                  unsigned int allowed, const char *kid,
                                  jose_key **key, const char **reason);

#endif
