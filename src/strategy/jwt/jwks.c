/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jwks.c — key sets (JWKS, RFC 7517) for the jwt strategy, as an identity
 * provider publishes them: jwks=file:PATH read at startup, or
 * jwks=https://URL fetched off the request path by one child
 * (jwks_fetch.c) and published to every child through shared memory.  A
 * child parses a document once, when its generation changes; a request
 * only reads the generation and takes a reference on the parsed set.
 */

#include "strategy/jwt/jwks.h"

#include "apr_shm.h"
#include "apr_strings.h"
#include "mod_watchdog.h"

#include <curl/curl.h>

#define DEFAULT_REFRESH       3600
#define DEFAULT_MIN_REFRESH   60
#define DEFAULT_FETCH_TIMEOUT       10
#define MAX_REFRESH           604800        /* a week */
#define MAX_FETCH_TIMEOUT           60
#define WATCHDOG_NAME         "auth_backend_jwks"
#define SEQLOCK_TRIES         100
#define MAX_CA_BYTES          ((apr_off_t)4 * 1024 * 1024)

/* What a key set's keys may serve without algorithm=: the asymmetric
 * algorithms, each key pinned further by its own alg or kty/crv. */
#define KEY_SET_ALGS (JOSE_ALGS_RS | JOSE_ALGS_PS | JOSE_ALGS_ES \
                      | JOSE_ALG_BIT(JOSE_EDDSA))

static APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *wd_get_instance_fn;
static APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *wd_register_fn;

/* ---- configuration --------------------------------------------------------- */

static void log_skipped(cmd_parms *cmd, const auth_backend *be,
                        const jose_keyset *set)
{
    int i;

    for (i = 0; set && i < set->skipped->nelts; i++) {
        const jose_skipped *k = &APR_ARRAY_IDX(set->skipped, i, jose_skipped);

        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, "%s:%d: "
                     "backend '%s': key %d%s%s of the key set is not used: "
                     "%s", cmd->directive->filename, cmd->directive->line_num,
                     be->name, k->index, k->kid ? " kid " : "",
                     k->kid ? k->kid : "", k->reason);
    }
}

static const char *configure_file(cmd_parms *cmd, const auth_backend *be,
                                  jwt_conf *c, const char *spec)
{
    const char *doc, *err, *why = NULL;
    apr_size_t len;

    if ((err = option_secret(cmd, be, "jwks", spec, &doc, &len))) {
        return err;
    }
    if (jose_keyset_parse(cmd->pool, doc, len, c->allowed, &c->keys, &why)
        != APR_SUCCESS) {
        log_skipped(cmd, be, c->keys);
        return apr_psprintf(cmd->pool, "jwks: %s: %s", spec + 5, why);
    }
    log_skipped(cmd, be, c->keys);
    return NULL;
}

/* The whole file PATH into *DATA, at most MAX_CA_BYTES. */
static apr_status_t read_whole_file(apr_pool_t *p, const char *path,
                                            char **data, apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    if (rv == APR_SUCCESS && (fi.size <= 0 || fi.size > MAX_CA_BYTES)) {
        rv = APR_EINVAL;
    }
    if (rv == APR_SUCCESS) {
        *len = (apr_size_t)fi.size;
        *data = apr_palloc(p, *len);
        rv = apr_file_read_full(f, *data, *len, NULL);
    }
    apr_file_close(f);
    return rv;
}

static const char *configure_seconds(cmd_parms *cmd, jwks_source *src,
                                     apr_array_header_t *opts)
{
    const char *err, *v;

    src->refresh = DEFAULT_REFRESH;
    src->min_refresh = DEFAULT_MIN_REFRESH;
    src->timeout = DEFAULT_FETCH_TIMEOUT;
    if ((err = option_take_int(cmd->pool, opts, "jwks-refresh", NULL, 1,
                               MAX_REFRESH, &src->refresh))
        || (err = option_take_int(cmd->pool, opts, "jwks-min-refresh", NULL,
                                  1, MAX_REFRESH, &src->min_refresh))
        || (err = option_take_int(cmd->pool, opts, "jwks-timeout", NULL, 1,
                                  MAX_FETCH_TIMEOUT, &src->timeout))) {
        return err;
    }
    if ((v = auth_backend_option_take(opts, "jwks-ca"))) {
        if (strncmp(v, "file:", 5) || !v[5]) {
            return "jwks-ca takes file:PATH (a PEM bundle of CA certificates)";
        }
        /* read now, as root, and handed to libcurl from memory: the
         * fetcher runs as the user httpd runs as, and a bundle it could
         * not read would look like an outage of the identity provider */
        src->ca = ap_server_root_relative(cmd->pool, v + 5);
        if (!src->ca || read_whole_file(cmd->pool, src->ca,
                                                &src->ca_pem,
                                                &src->ca_len) != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "jwks-ca: %s cannot be read",
                                src->ca ? src->ca : v + 5);
        }
    }
    if (src->refresh < 60) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, "%s:%d: "
                     "jwks-refresh=%" APR_INT64_T_FMT " fetches the key set "
                     "more than once a minute", cmd->directive->filename,
                     cmd->directive->line_num, src->refresh);
    }
    return NULL;
}

/* OpenID Connect Discovery 1.0 §4: the metadata of issuer ISS is at
 * ISS/.well-known/openid-configuration, and its "issuer" must be ISS. */
static const char *configure_discovery(cmd_parms *cmd, jwt_conf *c,
                                       jwks_source *src, const char *url)
{
    static const char suffix[] = "/.well-known/openid-configuration";
    apr_size_t n = strlen(url), k = sizeof(suffix) - 1;

    if (n <= k + 8 || strcmp(url + n - k, suffix)) {
        return apr_psprintf(cmd->pool, "discovery takes the https:// URL of "
                            "an OpenID Provider's metadata, ISSUER%s, not "
                            "'%s'", suffix, url);
    }
    src->issuer = apr_pstrmemdup(cmd->pool, url, n - k);
    if (c->issuer && strcmp(c->issuer, src->issuer)) {
        return apr_psprintf(cmd->pool, "issuer=%s is not the issuer that "
                            "discovery= names (%s)", c->issuer,
                            src->issuer);
    }
    c->issuer = src->issuer;
    src->discovery = url;
    return NULL;
}

const char *jwks_configure(cmd_parms *cmd, const auth_backend *be,
                           jwt_conf *c, const char *spec, int discovery,
                           apr_array_header_t *opts)
{
    jwks_source *src;
    const char *err;

    if (!c->algorithm) {
        c->allowed = KEY_SET_ALGS;
    }
    if (!discovery && !strncmp(spec, "file:", 5)) {
        if (auth_backend_option_take(opts, "jwks-ca")) {
            return "jwks-ca= is for jwks=https://";
        }
        return configure_file(cmd, be, c, spec);
    }
    if (strncasecmp(spec, "https://", 8) || !spec[8]) {
        return discovery
               ? apr_psprintf(cmd->pool, "discovery takes an https:// URL, "
                              "not '%s'", spec)
               : apr_psprintf(cmd->pool, "jwks takes file:PATH or an "
                              "https:// URL, not '%s'", spec);
    }
    src = apr_pcalloc(cmd->pool, sizeof(*src));
    src->backend = be->name;
    if (discovery) {
        if ((err = configure_discovery(cmd, c, src, spec))) {
            return err;
        }
    }
    else {
        src->url = spec;
    }
    src->allowed = c->allowed;
    src->server = cmd->server;
    if ((err = configure_seconds(cmd, src, opts))) {
        return err;
    }
    c->jwks = src;
    return NULL;
}

/* Copies the published document into P: 0 if the writer kept changing
 * it (the caller keeps what it has). */
static int shared_copy(const jwks_shared *sh, apr_pool_t *p, char **doc,
                       apr_size_t *len, apr_uint32_t *generation)
{
    jwks_shared *w = (jwks_shared *)sh;    /* apr_atomic wants non-const */
    int tries;

    for (tries = 0; tries < SEQLOCK_TRIES; tries++) {
        apr_uint32_t before = apr_atomic_add32(&w->seq, 0), after;

        if (before & 1) {
            continue;
        }
        *generation = apr_atomic_add32(&w->generation, 0);
        *len = sh->len <= JOSE_MAX_JWKS_BYTES ? sh->len : 0;
        *doc = apr_pmemdup(p, sh->doc, *len + 1);
        (*doc)[*len] = '\0';
        after = apr_atomic_add32(&w->seq, 0);
        if (before == after) {
            return 1;
        }
    }
    return 0;
}

/* ---- across restarts ---------------------------------------------------- */

/* What a generation of the configuration last published, kept in the
 * parent's process pool, which outlives restarts: the next generation
 * starts with it instead of answering 503 until its own first fetch.  It
 * is found by the backend's name and source, so a changed jwks= or
 * discovery= starts empty; the new fetcher checks it at once. */
typedef struct {
    char *doc;
    apr_size_t len, cap;
} jwks_carried;

static jwks_carried *carried(const jwks_source *src, apr_pool_t *p,
                             int create)
{
    apr_pool_t *pp = src->server->process->pool;
    const char *key = apr_psprintf(p, "auth_backend_jwks\n%s\n%s\n%x",
                                   src->backend, src->url ? src->url
                                   : src->discovery, src->allowed);
    void *v = NULL;

    apr_pool_userdata_get(&v, key, pp);
    if (!v && create) {
        v = apr_pcalloc(pp, sizeof(jwks_carried));
        /* the key is not copied: it must live as long as the pool */
        apr_pool_userdata_set(v, apr_pstrdup(pp, key), apr_pool_cleanup_null,
                              pp);
    }
    return v;
}

/* A pconf cleanup, in the parent: it runs as the configuration is
 * dropped, before the segment it reads (created earlier) is destroyed. */
static apr_status_t carry_over(void *data)
{
    jwks_source *src = data;
    apr_pool_t *p;
    jwks_carried *c;
    char *doc;
    apr_size_t len;
    apr_uint32_t generation;

    if (!src->shared || !apr_atomic_read32(&src->shared->generation)
        || apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return APR_SUCCESS;
    }
    if (shared_copy(src->shared, p, &doc, &len, &generation) && len
        && (c = carried(src, p, 1))) {
        if (len + 1 > c->cap) {         /* grows at most to the 1 MB cap */
            c->cap = len + 1 > 2 * c->cap ? len + 1 : 2 * c->cap;
            c->doc = apr_palloc(src->server->process->pool, c->cap);
        }
        memcpy(c->doc, doc, len + 1);
        c->len = len;
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

/* The previous generation's document as this one's first; the fetcher
 * still fetches at its start. */
static void carry_in(apr_pool_t *ptemp, jwks_source *src)
{
    jwks_carried *c = carried(src, ptemp, 0);

    if (c && c->len && c->len <= JOSE_MAX_JWKS_BYTES) {
        memcpy(src->shared->doc, c->doc, c->len);
        src->shared->len = c->len;
        apr_atomic_set32(&src->shared->generation, 1);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, src->server, "backend '%s': "
                     "the key set of before the restart stays in use until "
                     "the first fetch", src->backend);
    }
}

/* ---- startup --------------------------------------------------------------- */

const char *jwks_check_config(apr_pool_t *pconf, const auth_backend *be,
                              jwks_source *src)
{
    static int curl_ready;

    (void)pconf;
    (void)be;
    (void)src;
    wd_get_instance_fn = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_register_fn = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!wd_get_instance_fn || !wd_register_fn) {
        return "jwks=https:// is fetched by mod_watchdog: add 'LoadModule "
               "watchdog_module modules/mod_watchdog.so'";
    }
    /* once, in the parent, before any thread: libcurl asks for it */
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {
        curl_ready = 1;
    }
    return curl_ready ? NULL : "libcurl cannot be initialised";
}

const char *jwks_post_config(apr_pool_t *pconf, const auth_backend *be,
                             jwks_source *src)
{
    ap_watchdog_t *wd;
    apr_shm_t *shm;
    apr_status_t rv;
    char buf[120];

    rv = apr_shm_create(&shm, sizeof(jwks_shared), NULL, pconf);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(pconf, "backend '%s': no shared memory for its "
                            "key set: %s", be->name,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    src->shared = apr_shm_baseaddr_get(shm);
    memset(src->shared, 0, sizeof(jwks_shared));
    carry_in(pconf, src);
    apr_pool_cleanup_register(pconf, src, carry_over, apr_pool_cleanup_null);
    /* a singleton: one child fetches, as the user httpd runs as; each
     * tick it looks whether a fetch is due */
    rv = wd_get_instance_fn(&wd, WATCHDOG_NAME, 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        rv = wd_register_fn(wd, apr_time_from_sec(1), src,
                            jwks_fetch_callback);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(pconf, "backend '%s': cannot register the key "
                            "set's fetch with mod_watchdog: %s", be->name,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    return NULL;
}

void jwks_child_init(apr_pool_t *pchild, jwks_source *src)
{
    src->pchild = pchild;
    src->current = NULL;
    if (apr_thread_mutex_create(&src->mutex, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS) {
        src->mutex = NULL;
    }
}

/* ---- the request path -------------------------------------------------------- */

static void loaded_unref(jwks_loaded *l)
{
    if (l && !--l->refs && l->replaced) {
        apr_pool_destroy(l->pool);
    }
}

/* Parses the generation now published, under the child's mutex. */
static void reload(request_rec *r, jwks_source *src)
{
    jwks_loaded *l;
    apr_pool_t *p;
    const char *why = NULL;
    char *doc;
    apr_size_t len;
    apr_uint32_t generation;

    apr_pool_create(&p, src->pchild);
    l = apr_pcalloc(p, sizeof(*l));
    l->pool = p;
    if (!shared_copy(src->shared, p, &doc, &len, &generation)
        || jose_keyset_parse(p, doc, len, src->allowed, &l->set, &why)
           != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "backend '%s': the "
                      "published key set cannot be read: %s", src->backend,
                      why ? why : "it kept changing");
        apr_pool_destroy(p);
        return;
    }
    l->generation = generation;
    l->refs = 1;                /* the child's own reference */
    apr_snprintf((char *)l->gen, sizeof(l->gen), "jwks%011u", generation);
    if (src->current) {
        src->current->replaced = 1;
        loaded_unref(src->current);
    }
    src->current = l;
}

const jose_keyset *jwks_acquire(request_rec *r, jwks_source *src,
                                const unsigned char **gen, void **hold)
{
    apr_uint32_t published = apr_atomic_read32(&src->shared->generation);
    jwks_loaded *l;

    *hold = NULL;
    if (!published || !src->mutex) {
        /* the fetcher logs why at each attempt: one line per request here
         * would flood the log for as long as the provider is down */
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "backend '%s': no key "
                      "set from %s yet (the first fetch has not succeeded): "
                      "503", src->backend,
                      src->url ? src->url : src->discovery);
        return NULL;
    }
    apr_thread_mutex_lock(src->mutex);
    /* one attempt per generation: a document this child cannot read is
     * not parsed again for every request */
    if ((!src->current || src->current->generation != published)
        && src->tried != published) {
        src->tried = published;
        reload(r, src);
    }
    if ((l = src->current)) {
        l->refs++;
    }
    apr_thread_mutex_unlock(src->mutex);
    if (!l) {
        return NULL;
    }
    *gen = l->gen;
    *hold = l;
    return l->set;
}

void jwks_release(jwks_source *src, void *hold)
{
    if (hold) {
        apr_thread_mutex_lock(src->mutex);
        loaded_unref(hold);
        apr_thread_mutex_unlock(src->mutex);
    }
}

void jwks_unknown_kid(jwks_source *src)
{
    jwks_shared *sh = src->shared;

    /* the fetcher keeps the pace (jwks-min-refresh); this is a hint */
    if (apr_time_now() - sh->last_attempt
        >= apr_time_from_sec(src->min_refresh)) {
        apr_atomic_set32(&sh->refresh_wanted, 1);
    }
}
