/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * dbd.h — inside the dbd strategy: its configuration (dbd.c), the token
 * table it reads and writes (store.c) and the SQLite file watcher of
 * cache= (sqlite_watch.c).
 */

#ifndef AUTH_BACKEND_DBD_H
#define AUTH_BACKEND_DBD_H

#include "common/common.h"
#include "common/sql.h"

/* ---- an SQLite file's generation (sqlite_watch.c) ------------------------ */

typedef struct sqlite_watch sqlite_watch;

typedef enum {
    SQLITE_WATCH_CURRENT,       /* the generation was read */
    SQLITE_WATCH_BUSY,          /* another process holds the write lock */
    SQLITE_WATCH_WAL,           /* WAL mode: the header does not tell */
    SQLITE_WATCH_UNREADABLE     /* missing, replaced, not SQLite 3 */
} sqlite_watch_state;

/* Watches the database file PATH (absolute), opened on first use, in P (a
 * child's pool).  NULL if a mutex cannot be created. */
sqlite_watch *sqlite_watch_create(apr_pool_t *p, const char *path);
/* SQLITE_WATCH_CURRENT and the file's generation in GEN
 * (TOKEN_CACHE_GENERATION bytes): equal generations, read while no other
 * process writes, mean no transaction was committed in between.  Else
 * *WHY says why there is none. */
sqlite_watch_state sqlite_watch_read(sqlite_watch *w, unsigned char *gen,
                                     const char **why);
/* 1 and the instant in *T if S is "YYYY-MM-DD HH:MM:SS.ffffff" (UTC, as
 * SQLite rows of the dbd strategy hold created_at), nothing else; else 0. */
int sqlite_text_time(const char *s, apr_time_t *t);


/* ---- the backend's configuration (dbd.c) ------------------------------- */

#define WATCH_NOT_YET           0xff      /* no sqlite_watch_state */

/* The statements, their option names and the parameters they are given,
 * in this order (a statement may use fewer, from the left). */
enum { STMT_SELECT, STMT_INSERT, STMT_DELETE, STMT_PURGE, STMT_COUNT };

typedef struct {
    const char *key;
    int min_params, max_params;
    const char *params;
    const char *what;                  /* for log lines */
} dbd_statement;

extern const dbd_statement dbd_statements[STMT_COUNT];      /* store.c */

typedef enum { DIALECT_SQLITE, DIALECT_PGSQL } sql_dialect;

typedef struct {
    unsigned int id;                   /* makes the statement labels unique */
    const char *who;                   /* "backend 'name'", for log lines */
    const char *table;                 /* an SQL identifier, quoted in SQL */
    apr_int64_t lifetime;
    apr_int64_t purge_interval;        /* seconds; 0: off */
    apr_int64_t cache_size;            /* cache=: answers kept per process */
    int create_table;
    const char *custom[STMT_COUNT];    /* select= insert= delete= purge= */
    apr_interval_time_t timeout;       /* timeout=: PostgreSQL only */
    int timeout_set;

    /* From check_config, for the server the <AuthBackend> is in. */
    const char *driver;                /* DBDriver */
    const char *params;                /* DBDParams: never logged */
    sql_dialect dialect;
    const char *sql[STMT_COUNT];       /* NULL: not prepared (purge off) */
    const char *label[STMT_COUNT];
    int nparams[STMT_COUNT];

    /* Per child process: a database that did not answer in time. */
    sql_guard guard;
    /* Per child process: create-table has succeeded; its last attempt. */
    apr_uint32_t table_ready;
    apr_uint32_t create_tried;
    /* Per child process, with cache=: NULL if it could not be made. */
    token_cache *cache;
    sqlite_watch *watch;
    apr_uint32_t watch_state;          /* the last one logged */
} dbd_conf;

/* ---- the token table (store.c) ------------------------------------------- */

/* Creates the table with create-table, over a connection of its own; 1 if
 * it is there. */
int dbd_table_create(apr_pool_t *pool, server_rec *s, const auth_backend *be);
auth_backend_status dbd_read(request_rec *r, const auth_backend *be,
                             const char *token, const char **user,
                             const char **claims);
auth_backend_status dbd_write(request_rec *r, const auth_backend *be,
                              const char *user, const char **token);
auth_backend_status dbd_destroy(request_rec *r, const auth_backend *be,
                                const char *token);
/* The mod_watchdog callback of purge-interval (DATA: the backend). */
apr_status_t dbd_purge(int state, void *data, apr_pool_t *pool);

#endif /* AUTH_BACKEND_DBD_H */
