/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * login_timing.c — an unknown user is answered no sooner than a wrong
 * password, so that timing does not tell which users exist: most authn
 * providers return at once for a user they do not know, and checking a
 * real password (bcrypt, say) takes tens of milliseconds.
 *
 * The cost of a real check is a moving average of the checks of existing
 * users, kept in a word of shared memory that every child process and
 * every generation of children share (it is made once, in the parent's
 * process pool): a fresh child, after a graceful restart too, pads from
 * its first request on.  Before any real check, the average starts from
 * what checking a password against the first entry of each AuthUserFile
 * costs, measured once per start in the parent, so that the very first
 * request of a new server is padded as well.
 */

#include "handler/handler.h"

#include "http_config.h"
#include "http_log.h"
#include "http_core.h"
#include "http_main.h"
#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_md5.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "util_cfgtree.h"

#define MAX_PAD_USEC (2 * APR_USEC_PER_SEC)
/* the process pool's key of the shared word */
#define SHARED_KEY "auth_backend_login_timing"

/* In microseconds; points at the shared word, or at a word of this
 * process when shared memory cannot be had. */
static apr_uint32_t local_usec;
static apr_uint32_t *existing_user_usec = &local_usec;

/* The shared word: made by the first generation, found by the next. */
static apr_uint32_t *shared_word(server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    apr_shm_t *shm = NULL;
    void *data = NULL;
    apr_status_t rv;

    apr_pool_userdata_get(&data, SHARED_KEY, pp);
    if (data) {
        return data;
    }
    rv = apr_shm_create(&shm, sizeof(apr_uint32_t), NULL, pp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "login: no shared "
                     "memory for the cost of a password check; each child "
                     "learns it from its own first check of an existing "
                     "user");
        return &local_usec;
    }
    data = apr_shm_baseaddr_get(shm);
    memset(data, 0, sizeof(apr_uint32_t));
    apr_pool_userdata_set(data, SHARED_KEY, apr_pool_cleanup_null, pp);
    return data;
}

/* What checking a password against the first entry of password file PATH
 * costs, in microseconds; 0 if it cannot be read. */
static apr_time_t file_cost(apr_pool_t *p, server_rec *s, const char *path)
{
    ap_configfile_t *f;
    char line[MAX_STRING_LEN];
    apr_time_t cost = 0;

    if (ap_pcfg_openfile(&f, p, path) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "login: cannot read %s "
                     "to learn the cost of a password check", path);
        return 0;
    }
    while (!ap_cfg_getline(line, sizeof(line), f)) {
        const char *rest = line;
        const char *hash;
        int i;

        if (!*line || *line == '#') {
            continue;
        }
        ap_getword(p, &rest, ':');
        hash = ap_getword(p, &rest, ':');
        /* the quicker of two: a start-up is busy, a first run cold */
        for (i = 0; i < 2; i++) {
            apr_time_t start = apr_time_now(), took;

            /* the result does not matter: only how long it takes */
            (void)apr_password_validate("\001not the password", hash);
            took = apr_time_now() - start;
            cost = !i || took < cost ? took : cost;
        }
        break;
    }
    ap_cfg_closefile(f);
    return cost;
}

/* Walks the configuration tree from D: the password files named by
 * AuthUserFile into FILES, and whether a login handler is set. */
static void walk(apr_pool_t *p, const ap_directive_t *d, apr_hash_t *files,
                 int *login)
{
    for (; d; d = d->next) {
        const char *args = d->args;

        if (!strcasecmp(d->directive, "AuthUserFile") && args) {
            const char *path = ap_server_root_relative(
                p, ap_getword_conf(p, &args));
            if (path) {
                apr_hash_set(files, path, APR_HASH_KEY_STRING, path);
            }
        }
        else if ((!strcasecmp(d->directive, "SetHandler")
                  || !strcasecmp(d->directive, "AddHandler")) && args
                 && ap_strstr_c(args, AUTH_BACKEND_LOGIN_HANDLER)) {
            *login = 1;
        }
        walk(p, d->first_child, files, login);
    }
}

int login_timing_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *files = apr_hash_make(ptemp);
    apr_hash_index_t *hi;
    apr_time_t seed = 0;
    int login = 0;

    (void)pconf; (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    existing_user_usec = shared_word(s);
    walk(ptemp, ap_conftree, files, &login);
    if (!login) {
        return OK;
    }
    /* several files: the dearest, as a moving average of them all would
     * approach it */
    for (hi = apr_hash_first(ptemp, files); hi; hi = apr_hash_next(hi)) {
        apr_time_t cost = file_cost(ptemp, s, apr_hash_this_val(hi));
        seed = cost > seed ? cost : seed;
    }
    if (seed > MAX_PAD_USEC) {
        seed = MAX_PAD_USEC;
    }
    if (seed && !apr_atomic_read32(existing_user_usec)) {
        apr_atomic_set32(existing_user_usec, (apr_uint32_t)seed);
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "login: a password check "
                 "costs about %u us (%" APR_TIME_T_FMT " us measured)",
                 apr_atomic_read32(existing_user_usec), seed);
    return OK;
}

void login_equalize_timing(authn_status res, apr_time_t elapsed)
{
    apr_uint32_t avg = apr_atomic_read32(existing_user_usec);

    if (elapsed > MAX_PAD_USEC) {
        elapsed = MAX_PAD_USEC;
    }
    if (res == AUTH_USER_NOT_FOUND) {
        if ((apr_time_t)avg > elapsed) {
            apr_sleep(avg - elapsed);
        }
    }
    else if (res == AUTH_GRANTED || res == AUTH_DENIED) {
        apr_atomic_set32(existing_user_usec,
                         avg ? (apr_uint32_t)(((apr_time_t)avg * 7
                                               + elapsed) / 8)
                             : (apr_uint32_t)elapsed);
    }
}
