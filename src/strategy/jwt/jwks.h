/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jwks.h — inside the key sets of the jwt strategy: what the fetcher
 * (jwks_fetch.c, one child's mod_watchdog thread) publishes in shared
 * memory and every child reads (jwks.c).
 */

#ifndef AUTH_BACKEND_JWKS_H
#define AUTH_BACKEND_JWKS_H

#include "strategy/jwt/jwt.h"

#include "apr_atomic.h"
#include "apr_thread_mutex.h"

/* The last good document, in an anonymous shared memory segment made in
 * post_config and inherited by the children.  One writer (the fetcher);
 * readers copy the document under a sequence lock: SEQ is odd while it is
 * written, and a copy is good when SEQ was even and unchanged around it. */
typedef struct {
    apr_uint32_t seq;
    apr_uint32_t generation;        /* documents published; 0: none yet */
    apr_uint32_t refresh_wanted;    /* a request saw an unknown kid */
    apr_uint32_t failing;           /* the last fetch failed */
    apr_time_t last_attempt;        /* written by the fetcher only */
    apr_time_t next_due;
    apr_size_t len;
    char doc[JOSE_MAX_JWKS_BYTES];
} jwks_shared;

/* A key set as one child parsed it, shared by its threads: freed when it
 * is replaced and the last request holding it lets go. */
typedef struct {
    apr_pool_t *pool;
    jose_keyset *set;
    apr_uint32_t generation;
    unsigned int refs;
    unsigned int replaced:1;
    unsigned char gen[TOKEN_CACHE_GENERATION];
} jwks_loaded;

struct jwks_source {
    const char *backend;            /* its name, for log lines */
    const char *url;                /* https://..., the key set */
    const char *discovery;          /* discovery=: the OpenID Provider
                                       metadata that names the key set
                                       (url is then NULL) */
    const char *issuer;             /* what the metadata's issuer must be */
    const char *ca;                 /* jwks-ca=: a PEM file; NULL: system */
    char *ca_pem;                   /* its contents, read at startup */
    apr_size_t ca_len;
    apr_int64_t refresh;            /* jwks-refresh=, seconds */
    apr_int64_t min_refresh;        /* jwks-min-refresh= */
    apr_int64_t timeout;            /* jwks-timeout= */
    unsigned int allowed;           /* algorithms keys may be pinned to */
    server_rec *server;
    jwks_shared *shared;            /* post_config */
    /* per child */
    apr_pool_t *pchild;
    apr_thread_mutex_t *mutex;
    jwks_loaded *current;
    apr_uint32_t tried;             /* the last generation parsed */
};

/* The mod_watchdog callback that fetches SRC (DATA) when it is due. */
apr_status_t jwks_fetch_callback(int state, void *data, apr_pool_t *pool);

#endif /* AUTH_BACKEND_JWKS_H */
