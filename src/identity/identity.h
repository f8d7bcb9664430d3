/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * identity.h — authorization and identity: the Require providers
 * (authz.c), claims (claims.c, claim_value.c), the user record
 * (user_query.c) and what the application is told (identity.c).
 */

#ifndef AUTH_BACKEND_IDENTITY_H
#define AUTH_BACKEND_IDENTITY_H

#include "auth_backend.h"

/* AuthBackendPassClaims */
#define PASS_NONE     0
#define PASS_ENV      1
#define PASS_HEADERS  2

#define DEFAULT_ENV_PREFIX     "AUTH_CLAIM_"
#define DEFAULT_HEADER_PREFIX  "X-Auth-Claim-"
/* longer claim values are not passed to the application */
#define CLAIM_VALUE_MAX        4096

/* The user record (user_query.c) */
enum {
    RECORD_NONE = 0,            /* not looked up yet */
    RECORD_FOUND,
    RECORD_UNKNOWN,             /* no row: no such user */
    RECORD_UNAVAILABLE,         /* the database cannot be reached: 503 */
    RECORD_ERROR                /* misconfiguration: 500 */
};

typedef struct user_query user_query;

const char *cmd_user_query(cmd_parms *cmd, void *mconfig, const char *arg,
                           const char *opt);
int user_query_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s);
/* The query that applies to R's identity from backend BE, or NULL. */
const user_query *user_query_for(request_rec *r, const auth_backend *be);
/* Loads the record of the identity ST (owned by request OWNER) once per
 * request; returns RECORD_*. */
int user_record(request_rec *r, request_rec *owner, auth_backend_request *st);
/* After a token was accepted: loads the record now if a Require line of
 * the location will read it.  OK, or the HTTP status to answer. */
int user_record_preload(request_rec *r);
/* OK for RECORD_FOUND and RECORD_UNKNOWN, else 503 or 500. */
int record_http_status(request_rec *r, int rs);
/* 1 / 0 for the spellings of true and false databases use, else -1. */
int flag_value(const char *v);

/* The claims of an identity as a JSON object (the token's), parsed once. */
struct json_t *claims_token(request_rec *owner, auth_backend_request *st);
/* Claim PATH ("a.b" reaches into objects) of the identity: the token's
 * claims, else the user record's columns.  *value is NULL when missing.
 * Returns RECORD_* of the record lookup it needed, or RECORD_FOUND. */
int claims_find(request_rec *r, const char *path,
                struct json_t **value);
/* PATH in the object OBJ: the member of that exact name, else "a.b.c"
 * through nested objects; NULL if missing. */
struct json_t *claim_path(apr_pool_t *p, struct json_t *obj,
                          const char *path);
/* Nonzero when claim value V equals TEXT: strings as they are, numbers
 * and booleans by their JSON text, arrays when any element does. */
int claim_matches(struct json_t *v, const char *text);
/* The text of a claim for the application: strings as they are, other
 * values as compact JSON (malloc-free: allocated from P). */
const char *claim_text(apr_pool_t *p, struct json_t *v);

void authz_register(apr_pool_t *p);

/* Merges the members above of the directory configuration. */
void authz_config_merge(apr_pool_t *p, auth_backend_dir_conf *conf,
                        const auth_backend_dir_conf *base,
                        const auth_backend_dir_conf *add);

const char *cmd_pass_claims(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_claim_prefix(cmd_parms *cmd, void *mconfig, const char *kind,
                             const char *prefix);
const char *cmd_user_header(cmd_parms *cmd, void *mconfig, const char *arg);
/* NAME starts with PREFIX: case-insensitive, '-' and '_' alike. */
int identity_has_prefix(const char *name, const char *prefix);

/* ---- identity headers clients may not send (scrub.c) ---------------------- */

/* A user header, or a claim header prefix, named in the configuration. */
typedef struct {
    const char *name;
    int prefix;                 /* AuthBackendClaimPrefix headers */
    const char *file;
    int line;
} identity_name;

/* Records NAME for removal from every request (or, in .htaccess, from
 * the requests below CONF); refuses a user header that a claim could
 * write. */
const char *identity_name_add(cmd_parms *cmd, auth_backend_dir_conf *conf,
                              const char *name, int prefix);
/* The names of .htaccess files, parent's and child's together. */
const apr_array_header_t *identity_names_merge(apr_pool_t *p,
                                               const apr_array_header_t *base,
                                               const apr_array_header_t *add);
/* Refuses a user header under a claim prefix of any location. */
int identity_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s);
/* Nonzero (and logged) when .htaccess names of CONF overlap: a user
 * header under a claim prefix. */
int identity_names_overlap(request_rec *r, const auth_backend_dir_conf *conf);
/* Removes identity headers a client may have sent. */
void identity_scrub(request_rec *r);
int identity_header_parser(request_rec *r);
int identity_check_access(request_rec *r);
/* Passes the identity of R on to the application: AUTH_BACKEND,
 * AuthBackendUserHeader and AuthBackendPassClaims (a fixups step). */
int identity_pass(request_rec *r);

#endif /* AUTH_BACKEND_IDENTITY_H */
