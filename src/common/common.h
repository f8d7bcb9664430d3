/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * common.h — helpers every area may use: key=value options and secrets,
 * token syntax, the verified-token cache, JSON bodies and the audit log.
 * Nothing here reaches up into another folder.
 */

#ifndef AUTH_BACKEND_COMMON_H
#define AUTH_BACKEND_COMMON_H

#include "auth_backend.h"
#include "common/b64url.h"

#define AUTH_BACKEND_JSON_FILTER     "AUTH_BACKEND_JSON"

/* ---- key=value options and secrets (options.c) ------------------------- */

/* Splits "TYPE key=value ..." (quoting as in any httpd directive). */
const char *options_parse(cmd_parms *cmd, const char *args, const char **type,
                          apr_array_header_t **opts);
/* NULL, or a message naming the first option nobody consumed, with the
 * nearest of KNOWN (NULL-terminated option names) if one is a slip away. */
const char *options_unused(apr_pool_t *p, const apr_array_header_t *opts,
                           const char *const *known);
/* The edit distance of A and B, ignoring case ((apr_size_t)-1 for words
 * longer than 64). */
apr_size_t word_distance(const char *a, const char *b);
/* The word of KNOWN (NULL-terminated) one or two edits from WORD, if any,
 * but never WORD itself. */
const char *word_nearest(const char *word, const char *const *known);
/* Reads a secret given as file:PATH, env:VAR or a literal (which draws a
 * startup warning).  Never puts the secret itself into a message. */
const char *option_secret(cmd_parms *cmd, const auth_backend *be,
                          const char *key, const char *spec,
                          const char **value, apr_size_t *len);
/* An integer in [min, max]. */
const char *option_int(apr_pool_t *p, const char *key, const char *value,
                       apr_int64_t min, apr_int64_t max, apr_int64_t *out);
/* Takes option KEY out of OPTS, if it is there, as a whole number from MIN
 * to MAX into *OUT (NAME, if not NULL, names it in the error); *OUT keeps
 * its default otherwise. */
const char *option_take_int(apr_pool_t *p, apr_array_header_t *opts,
                            const char *key, const char *name,
                            apr_int64_t min, apr_int64_t max,
                            apr_int64_t *out);
/* Takes option KEY out of OPTS, if it is there: on or off into *OUT. */
const char *option_take_flag(apr_pool_t *p, apr_array_header_t *opts,
                             const char *key, int *out);

/* ---- tokens (token.c) --------------------------------------------------- */

#define OPAQUE_TOKEN_BYTES   32
#define OPAQUE_TOKEN_LENGTH  43     /* base64url of 32 bytes, no padding */
#define TOKEN_MAX_LENGTH     8192
#define TOKEN_DEFAULT_LIFETIME 3600         /* fastapi-users' documented value */
#define TOKEN_MAX_LIFETIME   315360000      /* ten years, in seconds */

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
int token_is_b64token(const char *s, apr_size_t len);
/* 43 characters of the base64url alphabet that decode to 32 bytes. */
int token_is_opaque(const char *s);
/* 32 bytes from the OS CSPRNG, base64url without padding. */
apr_status_t token_generate_opaque(apr_pool_t *p, const char **token);
/* ---- verified-token cache (token_cache.c) ------------------------------- */

/* Longer tokens are not cached: an entry holds the token and its claims. */
#define TOKEN_CACHE_MAX_TOKEN 2048
/* The largest cache= any strategy takes. */
#define TOKEN_CACHE_MAX_SLOTS 65536

/* The size of a store generation (sqlite_watch.c): bytes 24-39 of an
 * SQLite file. */
#define TOKEN_CACHE_GENERATION 16

typedef struct token_cache token_cache;

/* NSLOTS entries in P (a child's pool: the cache is per process). */
token_cache *token_cache_create(apr_pool_t *p, unsigned int nslots);
/* 1 and the cached user and claims (copied into P) when TOKEN is cached
 * and still valid at NOW; else 0.  GEN (TOKEN_CACHE_GENERATION bytes, or
 * NULL for a cache without generations): the store's generation the
 * caller just read; a different one than the entries' empties the cache. */
int token_cache_get(token_cache *c, const unsigned char *gen,
                    const char *token, double now, apr_pool_t *p,
                    const char **user, const char **claims);
/* Remembers a verified TOKEN until VALID_UNTIL (its exp plus leeway), if
 * GEN (read before TOKEN was looked up; NULL: none) is still the
 * entries' generation. */
void token_cache_put(token_cache *c, const unsigned char *gen,
                     const char *token, double valid_until,
                     const char *user, const char *claims);
/* Drops the entry of TOKEN (LEN bytes, not NUL-terminated), if any. */
void token_cache_forget(token_cache *c, const char *token, apr_size_t len);
/* Drops every entry. */
void token_cache_clear(token_cache *c);


/* ---- JSON bodies (json.c) ----------------------------------------------- */

/* {"detail":"DETAIL"} */
const char *json_detail(apr_pool_t *p, const char *detail);
/* {"access_token":"TOKEN","token_type":"bearer"} */
const char *json_token_response(apr_pool_t *p, const char *token);
/* One problem with a form field, as FastAPI reports it in a 422. */
typedef struct {
    const char *field;
    const char *type;          /* "missing", "value_error" ... */
    const char *msg;
} field_error;
/* FastAPI's 422 body: {"detail":[{"type":T,"loc":["body",F],"msg":M}, ...]}
 * ("input": null for a missing field; a given value is never echoed). */
const char *json_field_errors(apr_pool_t *p, const apr_array_header_t *errors);
/* Writes BODY as the whole application/json response; returns OK. */
int json_respond(request_rec *r, int status, const char *body);
/* Turns httpd's error page for a request this module answered into JSON. */
void json_insert_error_filter(request_rec *r);
apr_status_t json_error_filter(ap_filter_t *f, apr_bucket_brigade *bb);

/* ---- audit log (audit.c, audit_format.c) ---------------------------------- */

/* Every line of the audit log starts with this (README: Audit log). */
#define AUDIT_PREFIX "auth_backend:"

/* The events, each logged at one level (audit.c). */
typedef enum {
    AUDIT_LOGIN_SUCCEEDED,      /* info */
    AUDIT_LOGIN_FAILED,         /* warn: unknown user or wrong password */
    AUDIT_LOGIN_THROTTLED,      /* warn: AuthBackendLoginThrottle */
    AUDIT_LOGIN_REJECTED,       /* info: not a usable login request */
    AUDIT_LOGOUT,               /* info */
    AUDIT_LOGOUT_REJECTED,      /* info: not a usable logout request */
    AUDIT_TOKEN_REFUSED,        /* warn */
    AUDIT_CSRF_REFUSED          /* warn */
} audit_event;

/* The reasons a token is refused (reason= of token_refused). */
#define REFUSED_MALFORMED        "malformed"
#define REFUSED_DUPLICATE        "duplicate"
#define REFUSED_WRONG_ALGORITHM  "wrong_algorithm"
#define REFUSED_UNSUPPORTED      "unsupported_header"
#define REFUSED_BAD_SIGNATURE    "bad_signature"
#define REFUSED_EXPIRED          "expired"
#define REFUSED_NOT_YET_VALID    "not_yet_valid"
#define REFUSED_MISSING_CLAIM    "missing_claim"
#define REFUSED_INVALID_CLAIM    "invalid_claim"
#define REFUSED_WRONG_AUDIENCE   "wrong_audience"
#define REFUSED_WRONG_ISSUER     "wrong_issuer"
#define REFUSED_UNKNOWN          "unknown"
#define REFUSED_BAD_USER         "bad_user"
#define REFUSED_UNRECOGNIZED     "unrecognized"
#define REFUSED_USER_MISMATCH    "user_mismatch"

typedef struct {
    const char *event;
    const char *reason;
    const char *client;
    const char *user;                   /* quoted */
    const char *backend;
    const char *const *extra;           /* key, value, ..., NULL (bare) */
    const char *detail;                 /* quoted, last */
} audit_fields;

/* V as the value of a field: bare, or QUOTED in double quotes; whatever
 * could end the field or the line is %XX. */
const char *audit_value(apr_pool_t *p, const char *v, int quoted);
/* "auth_backend: event=... reason=... ..." (NULL fields left out). */
const char *audit_line(apr_pool_t *p, const audit_fields *f);
/* Logs EVENT of request R at the event's level.  USER, BE, DETAIL and
 * EXTRA may be NULL; the client address is R's. */
void audit_log(request_rec *r, audit_event event, const char *reason,
               const char *user, const auth_backend *be, const char *detail,
               const char *const *extra);
/* event=token_refused for backend BE. */
void audit_token_refused(request_rec *r, const auth_backend *be,
                         const char *reason, const char *detail);

#endif /* AUTH_BACKEND_COMMON_H */
