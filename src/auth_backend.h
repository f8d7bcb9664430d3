/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * auth_backend.h — what every area of mod_auth_backend shares: the
 * configuration structs, the per-request state and the backend lookup.
 * Each folder of src/ has a header of its own for the rest; arrows point
 * one way (config at the top, then handlers, authn and identity, then
 * transports, strategies, browser and throttle, common at the bottom).
 * The module is built with -fvisibility=hidden: nothing here leaks into
 * httpd's global symbol table, only the module record does.
 */

#ifndef AUTH_BACKEND_PRIVATE_H
#define AUTH_BACKEND_PRIVATE_H

#include "mod_auth_backend.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "util_filter.h"
#include "mod_auth.h"

#include "apr_hash.h"
#include "apr_tables.h"

extern module AP_MODULE_DECLARE_DATA auth_backend_module;

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(auth_backend);
#endif

/* Log lines need no escaping here: httpd 2.4 escapes control characters
 * and backslashes in every error-log message itself. */

/* Per server (and virtual host): the <AuthBackend> sections by name. A
 * virtual host sees the main server's backends plus its own. */
typedef struct {
    apr_hash_t *backends;               /* name -> auth_backend * */
} auth_backend_server_conf;

/* One authn provider of AuthBackendLoginProvider, resolved at parse time. */
typedef struct {
    const char *name;
    const authn_provider *provider;
} login_provider;

typedef struct throttle_limits throttle_limits;     /* throttle.c */

/* Per directory / location. */
typedef struct {
    apr_array_header_t *backend_names;    /* AuthBackendProvider: const char * */
    apr_array_header_t *login_providers;  /* AuthBackendLoginProvider */
    apr_off_t login_max_body;             /* AuthBackendLoginMaxBody */
    unsigned int login_max_body_set:1;
    const char *login_url;                /* AuthBackendLoginURL */
    const char *login_redirect;           /* AuthBackendLoginRedirect */
    const char *logout_redirect;          /* AuthBackendLogoutRedirect */
    apr_array_header_t *trusted_origins;  /* AuthBackendTrustedOrigin:
                                             normalised, const char * */

    /* Set only in the fresh vector that <AuthBackend> walks its body with:
     * the backend being defined. */
    auth_backend *section;

    /* Authorization and identity (user_query.c, identity.c, optional.c) */
    const struct user_query *user_query;  /* AuthBackendUserQuery */
    int optional;                         /* AuthBackendOptional */
    int pass_claims;                      /* AuthBackendPassClaims: PASS_* */
    const char *env_prefix;               /* AuthBackendClaimPrefix env */
    const char *header_prefix;            /* AuthBackendClaimPrefix headers */
    const char *user_header;              /* AuthBackendUserHeader */
    /* the user headers and claim prefixes of .htaccess files here and
     * above, removed from requests (scrub.c): identity_name */
    const apr_array_header_t *scrub_extra;
    unsigned int optional_set:1;
    unsigned int pass_claims_set:1;
    /* a Require line here reads the user record: load it while
     * authenticating, where an unreachable database can still be a 503 */
    unsigned int record_rules:1;

    const throttle_limits *throttle;      /* AuthBackendLoginThrottle */
} auth_backend_dir_conf;

/* ---- per-request state (common/request.c) ------------------------------------- */

typedef struct {
    unsigned int json_errors:1;        /* render this request's errors as JSON */
    unsigned int strip_deferred:1;     /* token kept for an h2c switch */
    unsigned int strip_late:1;         /* the switch did not happen */
    const auth_backend *backend;       /* the backend that authenticated */
    const char *claims;                /* its claims (JSON), if any */
    apr_array_header_t *refused;       /* transports whose token was refused */
    apr_table_t *hidden;               /* backend name -> the token hidden
                                          from the application */

    /* Authorization and identity (claims.c, user_query.c) */
    const char *user;                  /* r->user as this module set it */
    struct json_t *claims_json;        /* claims, parsed once */
    const struct user_query *record_query;  /* what record holds */
    int record_status;                 /* RECORD_*: 0 = not looked up */
    struct json_t *record;             /* the user record, as claims */
} auth_backend_request;

auth_backend_request *request_state(request_rec *r);
auth_backend_request *request_state_get(request_rec *r);   /* or NULL */
/* Remembers TOKEN of backend BE, just removed from the request, for the
 * subrequests and internal redirects that copy the request's headers. */
void request_hide_token(request_rec *r, const auth_backend *be,
                        const char *token);
/* The token of BE that the main or a previous request hid, or NULL. */
const char *request_hidden_token(request_rec *r, const auth_backend *be);
/* The request the client sent: R without subrequests and redirects. */
request_rec *request_initial(request_rec *r);
/* The identity of R that this module established (in R, or in the request
 * R was derived from, whose request is returned in *OWNER), or NULL. */
auth_backend_request *identity_get(request_rec *r, request_rec **owner);

/* What one connection's requests remember between them, in the module's
 * slot of conn_config: each memo is made, in the connection's pool, by the
 * file that uses it.  A connection's requests run one after another on
 * one thread at a time, so a memo needs no lock; none for an HTTP/2
 * stream (NULL), whose requests share the main connection between
 * threads. */
typedef struct {
    struct cookie_memo *cookie;             /* transport/cookie_memo.c */
    struct jose_header_memo *jws_header;    /* strategy/jwt/jose_jws.c */
} connection_memos;

connection_memos *connection_memos_get(conn_rec *c);

/* ---- backend lookup (common/backend.c) ---------------------------------- */

/* Every <AuthBackend> of the configuration once (allocated from P). */
apr_array_header_t *backends_all(apr_pool_t *p, server_rec *s);

/* The backend NAME as seen from the request's server, or NULL. */
const auth_backend *backend_find(request_rec *r, const char *name);
/* The same, as seen from server S. */
const auth_backend *backend_find_in(const server_rec *s, const char *name);

#endif /* AUTH_BACKEND_PRIVATE_H */
