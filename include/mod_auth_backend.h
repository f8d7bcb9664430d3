/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * mod_auth_backend.h — the public provider API of mod_auth_backend.
 *
 * A backend is a name plus a transport (where the token travels) plus a
 * strategy (how the token is made and checked), after fastapi-users.
 * Transports and strategies are providers registered with
 * ap_register_provider() in the two groups below, looked up by the name
 * given on the AuthBackendTransport / AuthBackendStrategy line, the way httpd
 * looks up its authn providers.  A third-party module adds one by filling in
 * one of the structs below and registering it from its register_hooks.
 */

#ifndef MOD_AUTH_BACKEND_H
#define MOD_AUTH_BACKEND_H

#include "httpd.h"
#include "http_config.h"
#include "apr_tables.h"

#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AUTH_BACKEND_TRANSPORT_GROUP     "auth_backend_transport"
#define AUTH_BACKEND_STRATEGY_GROUP      "auth_backend_strategy"
#define AUTH_BACKEND_PROVIDER_VERSION    "1"

/* The value of AuthType that selects this module, and of AUTH_TYPE. */
#define AUTH_BACKEND_AUTH_TYPE           "backend"

/* What a transport or strategy reports.  The authentication hook tries the
 * next backend on anything but AUTH_BACKEND_OK; when none succeeds the worst
 * result decides the answer: an unavailable store or an internal error is a
 * 5xx, anything else a 401. */
typedef enum {
    AUTH_BACKEND_OK = 0,         /* token accepted / issued / destroyed */
    AUTH_BACKEND_NOT_MINE,       /* no token here, or not this backend's kind */
    AUTH_BACKEND_DENIED,         /* a token of ours, refused (invalid, unknown) */
    AUTH_BACKEND_EXPIRED,        /* a token of ours, past its lifetime */
    AUTH_BACKEND_NOT_SUPPORTED,  /* e.g. destroy on a stateless JWT */
    AUTH_BACKEND_UNAVAILABLE,    /* token store unreachable: 503 */
    AUTH_BACKEND_ERROR           /* internal failure: 500 */
} auth_backend_status;

/* One key=value word of an AuthBackendTransport / AuthBackendStrategy line.
 * A provider marks what it consumes; a word left unmarked is reported to the
 * administrator as an unknown option, with file and line. */
typedef struct {
    const char *key;
    const char *value;
    int used;
} auth_backend_option;

/* Returns the next unused value of KEY (and marks it used), or NULL. Call
 * it again to collect a repeatable option such as audience=. */
static APR_INLINE const char *auth_backend_option_take(apr_array_header_t *opts,
                                                       const char *key)
{
    int i;
    for (i = 0; i < opts->nelts; i++) {
        auth_backend_option *o = &APR_ARRAY_IDX(opts, i, auth_backend_option);
        if (!o->used && strcmp(o->key, key) == 0) {
            o->used = 1;
            return o->value;
        }
    }
    return NULL;
}

typedef struct auth_backend_transport_provider auth_backend_transport_provider;
typedef struct auth_backend_strategy_provider auth_backend_strategy_provider;

/* A configured backend: one <AuthBackend NAME> section. */
typedef struct auth_backend {
    const char *name;
    const char *defined_in;        /* "file:line" of the section, for messages */
    server_rec *server;            /* where the section is */
    ap_conf_vector_t *sec_config;  /* other directives inside the section */

    const char *transport_name;
    const auth_backend_transport_provider *transport;
    void *transport_ctx;

    const char *strategy_name;
    const auth_backend_strategy_provider *strategy;
    void *strategy_ctx;
} auth_backend;

/* Transport: finds the token in a request and shapes the login and logout
 * responses.  It never sees users. */
struct auth_backend_transport_provider {
    /* Config time, from the AuthBackendTransport line: read options from
     * OPTS into *CTX (allocated from cmd->pool).  Return NULL or a message;
     * the file and line are added by httpd. */
    const char *(*configure)(cmd_parms *cmd, auth_backend *be,
                             apr_array_header_t *opts, void **ctx);

    /* Find the token.  NOT_MINE when this transport carries none; DENIED
     * when one is there but malformed (*token may then be NULL). */
    auth_backend_status (*extract)(request_rec *r, const auth_backend *be,
                                   const char **token);

    /* Answer a successful login with TOKEN.  Returns an HTTP status or OK
     * after writing the response itself. */
    int (*login_response)(request_rec *r, const auth_backend *be,
                          const char *token);

    /* Answer a successful logout (for example, clear a cookie). */
    int (*logout_response)(request_rec *r, const auth_backend *be);

    /* Add this transport's challenge to a 401 (WWW-Authenticate). May be
     * NULL.  TOKEN_REFUSED: a token was sent and refused. */
    void (*challenge)(request_rec *r, const auth_backend *be,
                      const char *realm, int token_refused);

    /* Members below were added with the cookie transport; a provider
     * that leaves them out of its initializer gets 0 / NULL. */

    /* Nonzero when browsers send the token by themselves with every
     * request (a cookie), so that another site can make a browser send
     * it.  Requests authenticated through such a transport, and logins
     * that issue its tokens, must then pass the CSRF origin check when
     * their method is unsafe; login_response and logout_response must
     * answer 204 without a body, which the handlers may turn into a 303
     * redirect for a browser. */
    int ambient;

    /* Remove the token from the request, so that the application (a CGI,
     * a proxied server) never sees it.  Called for every backend of a
     * protected location once authentication is decided, whichever
     * backend won.  May be NULL. */
    void (*hide)(request_rec *r, const auth_backend *be);

    /* Members below were added with issuer routing. */

    /* Nonzero when extract finds the same token for every backend of
     * this transport, whatever its options (the Authorization header):
     * a location can then read it once for all of them. */
    int same_token;
};

/* Strategy: makes, checks and destroys tokens.  It never sees HTTP beyond
 * the request it is called for (for its pool and its log lines). */
struct auth_backend_strategy_provider {
    /* Config time, from the AuthBackendStrategy line; as for transports. */
    const char *(*configure)(cmd_parms *cmd, auth_backend *be,
                             apr_array_header_t *opts, void **ctx);

    /* After all configuration is read, also under `apache2 -t`: report
     * what only the whole configuration shows (a missing module, say).
     * Return NULL or a message.  May be NULL. */
    const char *(*check_config)(apr_pool_t *pconf, server_rec *s,
                                auth_backend *be);

    /* Once per child process: open per-child resources.  May be NULL. */
    void (*child_init)(apr_pool_t *pchild, server_rec *s, auth_backend *be);

    /* TOKEN → user.  NOT_MINE when the token is not of this strategy's
     * kind (so that another backend may take it).  *CLAIMS may be set to
     * the token's claims as a JSON object text (r->pool), else left NULL. */
    auth_backend_status (*read)(request_rec *r, const auth_backend *be,
                                const char *token, const char **user,
                                const char **claims);

    /* user → new token, allocated from r->pool. */
    auth_backend_status (*write)(request_rec *r, const auth_backend *be,
                                 const char *user, const char **token);

    /* Revoke TOKEN.  NOT_SUPPORTED for stateless tokens. */
    auth_backend_status (*destroy)(request_rec *r, const auth_backend *be,
                                   const char *token);

    /* In the parent, after the configuration is read, at startup and on
     * each restart (not under `apache2 -t`): set up what runs once for the
     * whole server, such as a mod_watchdog callback.  Return NULL or a
     * message (the server does not start).  May be NULL. */
    const char *(*post_config)(apr_pool_t *pconf, apr_pool_t *ptemp,
                               server_rec *s, auth_backend *be);

    /* Members below were added with issuer routing: a location with
     * several backends of distinct issuers hands a token only to the
     * backends of the issuer it names, without asking the others.  Both
     * may be NULL. */

    /* The issuer whose tokens this backend takes, or NULL. */
    const char *(*issuer)(const auth_backend *be);

    /* The issuer TOKEN names, read without any check (the backend of that
     * issuer verifies everything), allocated from r->pool; or NULL. */
    const char *(*token_issuer)(request_rec *r, const auth_backend *be,
                                const char *token);
};

#ifdef __cplusplus
}
#endif

#endif /* MOD_AUTH_BACKEND_H */
