/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * redis.h — declarations shared by the files of the redis strategy:
 * url.c (the url= option), conn.c (one connection, bounded by a
 * deadline), sentinel.c (master discovery) and pool.c (the
 * per-child pool and its retry rule).  redis.c is the provider.
 */

#ifndef AUTH_BACKEND_REDIS_H
#define AUTH_BACKEND_REDIS_H

#include "httpd.h"
#include "apr_pools.h"
#include "apr_tables.h"
#include "apr_time.h"

#include <hiredis.h>

#define REDIS_DEFAULT_PORT           6379
#define REDIS_SENTINEL_DEFAULT_PORT  26379
#define REDIS_MAX_DB                 65535

/* ---- url= (url.c) -------------------------------------------------- */

/* A TCP host and port, or a unix socket path (host NULL). */
typedef struct {
    const char *host;
    int port;
    const char *path;
} redis_addr;

typedef enum {
    REDIS_URL_TCP,          /* redis://[[user]:password@]host[:port][/db] */
    REDIS_URL_UNIX,         /* unix:/path[?db=N] */
    REDIS_URL_SENTINEL      /* redis-sentinel://[cred@]h:p[,h:p...]/NAME[/db] */
} redis_url_kind;

typedef struct {
    redis_url_kind kind;
    redis_addr server;                  /* TCP and UNIX */
    apr_array_header_t *sentinels;      /* redis_addr, SENTINEL */
    const char *master_name;            /* SENTINEL */
    int db;
    const char *user;                   /* from the URL, or NULL */
    const char *password;               /* from the URL, or NULL */
    const char *redacted;               /* for messages: no credentials */
} redis_url;

/* Parses TEXT.  The error message never quotes TEXT, which may hold a
 * password. */
const char *redis_url_parse(apr_pool_t *p, const char *text, redis_url *url);

/* "host:port" ("[v6]:port") or the socket path, for messages. */
const char *redis_addr_text(apr_pool_t *p, const redis_addr *a);

/* ---- one connection (conn.c) --------------------------------------- */

/* What went wrong with a Redis exchange. */
typedef enum {
    REDIS_FAIL_NONE = 0,
    REDIS_FAIL_TIMEOUT,     /* no answer before the deadline */
    REDIS_FAIL_BROKEN,      /* refused, reset, closed: the connection is gone */
    REDIS_FAIL_NOT_MASTER,  /* a replica answered (READONLY, ROLE) */
    REDIS_FAIL_REPLY        /* Redis answered an error or something unexpected */
} redis_fail_kind;

typedef struct {
    redis_fail_kind kind;
    const char *cause;      /* for the error log; never a credential or key */
} redis_failure;

/* What a connection needs besides its address. */
typedef struct {
    const char *user;               /* AUTH user (ACL), or NULL */
    const char *password;           /* AUTH password, or NULL */
    int db;                         /* SELECT when not 0 */
    int require_master;             /* ask ROLE: Sentinel may be behind */
} redis_login;

/* Connects to A and runs AUTH / SELECT / ROLE as LOGIN asks, all before
 * DEADLINE.  NULL and *F on failure. */
redisContext *redis_open(apr_pool_t *p, const redis_addr *a,
                         const redis_login *login, apr_time_t deadline,
                         redis_failure *f);

/* One command, binary-safe, answered before DEADLINE or failed.  Error
 * replies are returned as replies (the connection is still good), except
 * READONLY, which is REDIS_FAIL_NOT_MASTER. */
redisReply *redis_call(apr_pool_t *p, redisContext *c, int argc,
                       const char **argv, const size_t *lens,
                       apr_time_t deadline, redis_failure *f);

/* A command that must answer with a reply of TYPE: the reply (free it
 * with freeReplyObject), or NULL and *F; any other answer is
 * REDIS_FAIL_REPLY, "WHAT was refused (CODE)". */
redisReply *redis_expect(apr_pool_t *p, redisContext *c, int argc,
                         const char **argv, const char *what, int type,
                         apr_time_t deadline, redis_failure *f);

/* The error code of an error reply ("WRONGPASS", "ERR" ...): Redis error
 * texts are not quoted whole, in case one echoes an argument. */
const char *redis_error_code(apr_pool_t *p, const redisReply *reply);

/* ---- Sentinel (sentinel.c) ----------------------------------------- */

/* Asks the sentinels of URL, starting with number *FIRST, for the master's
 * address.  On success *FIRST is the sentinel that answered (ask it first
 * next time) and *MASTER the address (allocated from P). */
int redis_sentinel_master(apr_pool_t *p, const redis_url *url,
                          const redis_login *sentinel_login, int *first,
                          apr_time_t deadline, redis_addr *master,
                          redis_failure *f);

/* ---- per-child pool (pool.c) --------------------------------------- */

typedef struct redis_pool redis_pool;

typedef struct {
    const redis_url *url;
    redis_login login;              /* for the data nodes */
    redis_login sentinel_login;     /* for the sentinels */
    apr_interval_time_t timeout;    /* one operation's budget */
} redis_target;

/* Once per child process; contexts are freed with PCHILD. */
redis_pool *redis_pool_create(apr_pool_t *pchild, const redis_target *t);

/* Runs one command on a pooled connection within the target's timeout,
 * reconnecting at most once (and asking Sentinel again when the master
 * moved).  Returns the reply (free it with freeReplyObject) or NULL and
 * *F.  R is for allocations and log lines, which name BACKEND. */
redisReply *redis_pool_command(redis_pool *pool, request_rec *r,
                               const char *backend, int argc,
                               const char **argv, const size_t *lens,
                               redis_failure *f);

/* ---- cache= (tracking.c) ------------------------------------------ */

typedef struct redis_tracking redis_tracking;

/* Once per child process: NSLOTS cached lookups of keys under PREFIX on
 * T's server (not Sentinel), kept honest by Redis' invalidations.  A hit
 * is served only while the subscription has proved within LAG that it
 * is up to date; REVOKED (shared memory, or NULL) moves on with every
 * logout through any child of this server, and empties the cache. */
redis_tracking *redis_tracking_create(apr_pool_t *pchild,
                                      const redis_target *t,
                                      const char *prefix,
                                      unsigned int nslots,
                                      apr_interval_time_t lag,
                                      apr_uint32_t *revoked);

/* 1 and *USER (from R's pool) when TOKEN's lookup is cached and can be
 * trusted now.  Otherwise 0 and *TICKET: what redis_tracking_put() needs
 * to cache the answer Redis gives next (0: do not bother).  *SUBSCRIBE is
 * set when this request is to make the missing subscription: it must call
 * redis_tracking_subscribe() after its own lookup. */
int redis_tracking_get(redis_tracking *tr, request_rec *r,
                       const char *backend, const char *token,
                       const char **user, apr_uint64_t *ticket,
                       int *subscribe);

/* Subscribes to the invalidations before DEADLINE (what is left of the
 * request's timeout=; none: try again later); logs how it went. */
void redis_tracking_subscribe(redis_tracking *tr, request_rec *r,
                              const char *backend, apr_time_t deadline);

/* Caches that TOKEN is USER's, for PTTL_MS (PTTL's answer, -1: no expiry)
 * counted from ASKED, the time PTTL was sent; unless an invalidation or a
 * reconnection came after redis_tracking_get() handed out TICKET. */
void redis_tracking_put(redis_tracking *tr, request_rec *r,
                        const char *backend, const char *token,
                        const char *user, apr_time_t asked,
                        long long pttl_ms, apr_uint64_t ticket);

/* Forgets TOKEN at once (a logout through this process), and tells the
 * other children to forget what they cached. */
void redis_tracking_forget(redis_tracking *tr, const char *token);

#endif /* AUTH_BACKEND_REDIS_H */
