/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jwks_fetch.c — fetching a key set (jwks=https://) with libcurl, in the
 * thread of a mod_watchdog singleton: one child of the server, as the user
 * httpd runs as, never a request.  Every jwks-refresh= seconds (sooner
 * when the server's Cache-Control max-age says so), and at most once per
 * jwks-min-refresh= for a token with an unknown kid or after a failure.
 * Only a document that parses into at least one usable key is published;
 * otherwise the last good set stays, and the reason is logged.
 */

#include "strategy/jwt/jwks.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "mod_watchdog.h"

#include <curl/curl.h>
#include <jansson.h>

typedef struct {
    char *data;
    apr_size_t len;
    apr_size_t size;
    apr_pool_t *pool;
    int too_large;
    apr_int64_t max_age;            /* Cache-Control max-age; -1: none */
} fetch_buf;

/* ---- one fetch --------------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t n, void *data)
{
    fetch_buf *b = data;
    apr_size_t add = size * n;

    if (b->len + add > JOSE_MAX_JWKS_BYTES) {
        b->too_large = 1;
        return 0;               /* aborts the transfer */
    }
    if (b->len + add + 1 > b->size) {
        apr_size_t size2 = b->size ? b->size : 16384;
        char *grown;

        while (size2 < b->len + add + 1) {
            size2 *= 2;
        }
        grown = apr_palloc(b->pool, size2);
        if (b->len) {
            memcpy(grown, b->data, b->len);
        }
        b->data = grown;
        b->size = size2;
    }
    memcpy(b->data + b->len, ptr, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* Cache-Control: ..., max-age=N, ... (RFC 9111 §5.2.2.1). */
static size_t on_header(char *ptr, size_t size, size_t n, void *data)
{
    fetch_buf *b = data;
    apr_size_t len = size * n, i;
    char *h = apr_pstrmemdup(b->pool, ptr, len);
    const char *m;

    for (i = 0; i < len; i++) {
        h[i] = (char)apr_tolower(h[i]);
    }
    if (!strncmp(h, "cache-control:", 14) && (m = strstr(h, "max-age="))
        && apr_isdigit(m[8])) {
        b->max_age = apr_atoi64(m + 8);
    }
    return len;
}

/* The document at URL into B; NULL, or why not. */
static const char *fetch(const jwks_source *src, const char *url,
                         fetch_buf *b)
{
    CURL *h = curl_easy_init();
    char err[CURL_ERROR_SIZE] = "";
    const char *why = NULL;
    long status = 0;
    CURLcode rc;

    if (!h) {
        return "libcurl cannot make a handle";
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);      /* threads */
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)src->timeout * 1000);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mod_auth_backend");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, b);
    if (src->ca_pem) {
        struct curl_blob ca;

        ca.data = src->ca_pem;
        ca.len = src->ca_len;
        ca.flags = CURL_BLOB_NOCOPY;
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    }
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (b->too_large) {
        why = "the document is larger than 1 MB";
    }
    else if (rc != CURLE_OK) {
        why = apr_pstrdup(b->pool, *err ? err : curl_easy_strerror(rc));
    }
    else if (status != 200) {
        why = apr_psprintf(b->pool, "the server answered %ld", status);
    }
    curl_easy_cleanup(h);
    return why;
}

/* ---- publishing -------------------------------------------------------------- */

static void publish(jwks_shared *sh, const char *doc, apr_size_t len)
{
    apr_atomic_inc32(&sh->seq);             /* odd: being written */
    memcpy(sh->doc, doc, len);
    sh->len = len;
    apr_atomic_inc32(&sh->seq);             /* even again */
    apr_atomic_inc32(&sh->generation);
}

/* ---- discovery= ---------------------------------------------------------------- */

/* The jwks_uri of the provider's metadata, whose issuer must be the one
 * the discovery URL names (OpenID Connect Discovery 1.0 §4.3): else a
 * provider could hand out the keys of another.  NULL and *WHY if not. */
static const char *discover(const jwks_source *src, apr_pool_t *p,
                            const char **why)
{
    fetch_buf b = { NULL, 0, 0, p, 0, -1 };
    const char *uri = NULL;
    json_t *meta, *iss, *jwks;

    if ((*why = fetch(src, src->discovery, &b))) {
        *why = apr_pstrcat(p, "its metadata: ", *why, NULL);
        return NULL;
    }
    meta = b.data ? json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL)
                  : NULL;
    iss = json_object_get(meta, "issuer");
    jwks = json_object_get(meta, "jwks_uri");
    if (!json_is_object(meta)) {
        *why = "its metadata is not a JSON object";
    }
    else if (!json_is_string(iss) || strcmp(json_string_value(iss),
                                            src->issuer)) {
        *why = "its metadata names another issuer";
    }
    else if (!json_is_string(jwks)
             || strncasecmp(json_string_value(jwks), "https://", 8)) {
        *why = "its metadata has no https:// jwks_uri";
    }
    else {
        uri = apr_pstrdup(p, json_string_value(jwks));
    }
    json_decref(meta);
    return uri;
}

static void log_new_set(server_rec *s, const jwks_source *src,
                        const char *url, apr_pool_t *p,
                        const jose_keyset *set)
{
    const char *kids = "";
    int i;

    for (i = 0; i < set->keys->nelts; i++) {
        const jose_key *k = APR_ARRAY_IDX(set->keys, i, const jose_key *);

        kids = apr_pstrcat(p, kids, i ? ", " : "", k->kid ? k->kid : "(none)",
                           NULL);
    }
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "backend '%s': key set from "
                 "%s: %d keys (kid %s)", src->backend, url,
                 set->keys->nelts, kids);
    for (i = 0; i < set->skipped->nelts; i++) {
        const jose_skipped *k = &APR_ARRAY_IDX(set->skipped, i, jose_skipped);

        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "backend '%s': key %d%s"
                     "%s from %s is not used: %s", src->backend, k->index,
                     k->kid ? " kid " : "", k->kid ? k->kid : "", url,
                     k->reason);
    }
}

/* Fetches, checks and publishes once; the delay until the next fetch. */
static apr_int64_t refresh(server_rec *s, jwks_source *src, apr_pool_t *p)
{
    jwks_shared *sh = src->shared;
    fetch_buf b = { NULL, 0, 0, p, 0, -1 };
    jose_keyset *set = NULL;
    const char *why = NULL, *doc, *url = src->url;
    apr_int64_t next = src->refresh;

    if (!url) {
        url = discover(src, p, &why);
    }
    if (url) {
        why = fetch(src, url, &b);
    }
    doc = b.data ? b.data : "";

    if (!why && jose_keyset_parse(p, doc, b.len,
                                  src->allowed, &set, &why) != APR_SUCCESS) {
        why = apr_pstrcat(p, "no usable key set: ", why, NULL);
    }
    if (why) {
        apr_atomic_set32(&sh->failing, 1);
        ap_log_error(APLOG_MARK, apr_atomic_read32(&sh->generation)
                     ? APLOG_WARNING : APLOG_ERR, 0, s, "backend '%s': "
                     "fetching the key set from %s failed: %s; %s",
                     src->backend, url ? url : src->discovery, why,
                     apr_atomic_read32(&sh->generation)
                     ? "the last good key set stays in use"
                     : "its tokens answer 503 until a fetch succeeds");
        return src->min_refresh;
    }
    apr_atomic_set32(&sh->failing, 0);
    if (!apr_atomic_read32(&sh->generation) || b.len != sh->len
        || memcmp(doc, sh->doc, b.len)) {
        publish(sh, doc, b.len);
        log_new_set(s, src, url, p, set);
    }
    if (b.max_age >= 0 && b.max_age < next) {
        next = b.max_age > src->min_refresh ? b.max_age : src->min_refresh;
    }
    return next;
}

apr_status_t jwks_fetch_callback(int state, void *data, apr_pool_t *pool)
{
    jwks_source *src = data;
    jwks_shared *sh = src->shared;
    apr_time_t now = apr_time_now();
    apr_pool_t *p;
    apr_int64_t next;

    if (state == AP_WATCHDOG_STATE_STOPPING) {
        return APR_SUCCESS;
    }
    /* at start, when due, or early for an unknown kid, at most once per
     * jwks-min-refresh */
    if (state == AP_WATCHDOG_STATE_RUNNING && sh->last_attempt
        && now < sh->next_due
        && !(apr_atomic_read32(&sh->refresh_wanted)
             && now - sh->last_attempt
                >= apr_time_from_sec(src->min_refresh))) {
        return APR_SUCCESS;
    }
    apr_atomic_set32(&sh->refresh_wanted, 0);
    sh->last_attempt = now;
    apr_pool_create(&p, pool);
    next = refresh(src->server, src, p);
    apr_pool_destroy(p);
    sh->next_due = now + apr_time_from_sec(next);
    return APR_SUCCESS;    /* an error would stop the callback for good */
}
