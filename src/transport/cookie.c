/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * cookie.c — the token travels in a cookie, as with fastapi-users'
 * CookieTransport: same options, same defaults, and byte for byte the same
 * Set-Cookie headers, so that either side can log a browser in or out.
 *
 * Reading uses httpd's util_cookies (ap_cookie_read), which also removes the
 * cookie from the request before the application sees it.  Writing does
 * not use ap_cookie_write/ap_cookie_remove: they log the whole cookie,
 * token included, at debug level, and they place Max-Age before the other
 * attributes without a space ("n=v;Max-Age=0;..."), so they cannot produce
 * the header fastapi-users (Python's SimpleCookie) writes, attributes in
 * alphabetical order:
 *
 *   fastapiusersauth=TOKEN; Domain=D; HttpOnly; Max-Age=N; Path=/; SameSite=lax; Secure
 *   fastapiusersauth=""; HttpOnly; Max-Age=0; Path=/; SameSite=lax; Secure
 */

#include "transport/transport.h"
#include "common/common.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "util_cookies.h"

#define DEFAULT_NAME     "fastapiusersauth"
#define MAX_MAX_AGE      TOKEN_MAX_LIFETIME

typedef struct {
    const char *name;
    const char *set_attrs;      /* "; Domain=...; HttpOnly; ..." for login */
    const char *clear_attrs;    /* the same with Max-Age=0, for logout */
    int strip;                  /* hide the cookie from the application */
} cookie_conf;

/* ---- configuration --------------------------------------------------------- */

/* RFC 6265 §4.1.1: a cookie name is an RFC 2616 token. */
static int is_token(const char *s)
{
    for (; *s; s++) {
        if (*s <= ' ' || *s >= 0x7f || ap_strchr_c("()<>@,;:\\\"/[]?={}", *s)) {
            return 0;
        }
    }
    return 1;
}

/* RFC 6265 §4.1.1 path-value: printable ASCII but ';'. */
static int is_path(const char *s)
{
    if (*s != '/') {
        return 0;
    }
    for (; *s; s++) {
        if (*s <= ' ' || *s >= 0x7f || *s == ';') {
            return 0;
        }
    }
    return 1;
}

/* A host name (RFC 1123 labels), optionally with the leading dot that
 * older specifications wanted. */
static int is_domain(const char *s)
{
    int label = 0;

    if (*s == '.') {
        s++;
    }
    if (!*s || strlen(s) > 253) {
        return 0;
    }
    for (; *s; s++) {
        if (*s == '.') {
            if (!label || s[-1] == '-' || !s[1]) {
                return 0;
            }
            label = 0;
        }
        else if (apr_isalnum(*s) || (*s == '-' && label)) {
            if (++label > 63) {
                return 0;
            }
        }
        else {
            return 0;
        }
    }
    return s[-1] != '-';
}

/* The attributes in the order Python's SimpleCookie writes them. */
static const char *attributes(apr_pool_t *p, const char *domain,
                              int httponly, const char *max_age,
                              const char *path, const char *samesite,
                              int secure)
{
    return apr_pstrcat(p,
                       domain ? "; Domain=" : "", domain ? domain : "",
                       httponly ? "; HttpOnly" : "",
                       max_age ? "; Max-Age=" : "", max_age ? max_age : "",
                       "; Path=", path,
                       "; SameSite=", samesite,
                       secure ? "; Secure" : "",
                       NULL);
}

/* What browsers would refuse, refused here rather than in silence. */
static const char *browsers_accept(apr_pool_t *p, const char *name,
                                   const char *samesite, int secure,
                                   const char *domain, const char *path)
{
    if (!strcmp(samesite, "none") && !secure) {
        return "samesite=none requires secure=on: browsers drop a "
               "SameSite=None cookie that is not Secure";
    }
    if (!strncasecmp(name, "__Secure-", 9) && !secure) {
        return apr_psprintf(p, "a cookie named '%s' requires secure=on (the "
                            "__Secure- prefix)", name);
    }
    if (!strncasecmp(name, "__Host-", 7)
        && (!secure || domain || strcmp(path, "/"))) {
        return apr_psprintf(p, "a cookie named '%s' requires secure=on, "
                            "path=/ and no domain (the __Host- prefix)",
                            name);
    }
    return NULL;
}

static const char *cookie_configure(cmd_parms *cmd, auth_backend *be,
                                    apr_array_header_t *opts, void **ctx)
{
    cookie_conf *c = apr_pcalloc(cmd->pool, sizeof(*c));
    const char *max_age = NULL, *path = "/", *domain = NULL;
    const char *samesite = "lax", *v, *err;
    int secure = 1, httponly = 1;
    apr_int64_t n;

    (void)be;
    c->name = DEFAULT_NAME;
    c->strip = 1;

    if ((v = auth_backend_option_take(opts, "name"))) {
        if (ap_cookie_check_string(v) != APR_SUCCESS || !is_token(v)) {
            return apr_psprintf(cmd->pool, "name '%s' is not a valid cookie "
                                "name (letters, digits and !#$%%'*+-.^_`|~)",
                                v);
        }
        c->name = v;
    }
    if ((v = auth_backend_option_take(opts, "max-age")) && *v) {
        if ((err = option_int(cmd->pool, "max-age", v, 1, MAX_MAX_AGE, &n))) {
            return err;
        }
        max_age = apr_psprintf(cmd->pool, "%" APR_INT64_T_FMT, n);
    }
    if ((v = auth_backend_option_take(opts, "path"))) {
        if (!is_path(v)) {
            return apr_psprintf(cmd->pool, "path '%s' must start with '/' "
                                "and hold no spaces, control characters or "
                                "';'", v);
        }
        path = v;
    }
    if ((v = auth_backend_option_take(opts, "domain")) && *v) {
        if (!is_domain(v)) {
            return apr_psprintf(cmd->pool, "domain '%s' is not a host name",
                                v);
        }
        domain = v;
    }
    if ((v = auth_backend_option_take(opts, "samesite"))) {
        if (strcasecmp(v, "lax") && strcasecmp(v, "strict")
            && strcasecmp(v, "none")) {
            return apr_psprintf(cmd->pool, "samesite must be lax, strict or "
                                "none, not '%s'", v);
        }
        /* written in lower case, as fastapi-users does */
        samesite = apr_pstrdup(cmd->pool, v);
        ap_str_tolower((char *)samesite);
    }
    if ((err = option_take_flag(cmd->pool, opts, "secure", &secure))
        || (err = option_take_flag(cmd->pool, opts, "httponly", &httponly))
        || (err = option_take_flag(cmd->pool, opts, "strip", &c->strip))) {
        return err;
    }

    if ((err = browsers_accept(cmd->pool, c->name, samesite, secure, domain,
                               path))) {
        return err;
    }
    c->set_attrs = attributes(cmd->pool, domain, httponly, max_age, path,
                              samesite, secure);
    c->clear_attrs = attributes(cmd->pool, domain, httponly, "0", path,
                                samesite, secure);
    *ctx = c;
    return NULL;
}

/* ---- requests ---------------------------------------------------------------- */

/* The value as Starlette reads it: surrounding space and one pair of
 * double quotes removed. */
static const char *cookie_value(apr_pool_t *p, const char *v,
                                apr_size_t *len)
{
    const char *end;

    while (apr_isspace(*v)) {
        v++;
    }
    for (end = v + strlen(v); end > v && apr_isspace(end[-1]); end--)
        ;
    if (end - v >= 2 && *v == '"' && end[-1] == '"') {
        v++;
        end--;
    }
    *len = end - v;
    return apr_pstrmemdup(p, v, *len);
}

static int name_in_header(void *rec, const char *key, const char *value)
{
    const char **name = rec;

    (void)key;
    /* apr_table_do goes on to the next key after a 0 */
    if (!*name || strstr(value, *name)) {
        *name = NULL;           /* found: stop */
        return 0;
    }
    return 1;
}

/* A quick look before util_cookies' full parse: can a Cookie header of
 * this request hold NAME at all? */
static int cookie_may_be_sent(request_rec *r, const char *name)
{
    const char *look = name;

    apr_table_do(name_in_header, &look, r->headers_in, "Cookie", "Cookie2",
                 NULL);
    return look == NULL;
}

typedef struct {
    const char *cookie;         /* the only one, when it is a Cookie */
    int n;                      /* Cookie and Cookie2 headers, up to 2 */
} cookie_headers;

static int count_header(void *rec, const char *key, const char *value)
{
    cookie_headers *h = rec;

    h->cookie = !h->n++ && !strcasecmp(key, "Cookie") ? value : NULL;
    return h->n < 2;
}

/* The connection's cookie memo (none for an HTTP/2 stream). */
static cookie_memo *connection_memo(conn_rec *c, int create)
{
    connection_memos *m = connection_memos_get(c);

    if (m && !m->cookie && create) {
        m->cookie = cookie_memo_create(c->pool);
    }
    return m ? m->cookie : NULL;
}

/* What ap_cookie_read(r, name, &raw, 1) does with the single Cookie
 * header a memo was made of: the pair is taken out, the rest stays. */
static void keep_only(request_rec *r, const char *kept)
{
    if (kept) {
        apr_table_setn(r->headers_in, "Cookie", apr_pstrdup(r->pool, kept));
    }
    else {
        apr_table_unset(r->headers_in, "Cookie");
    }
}

static auth_backend_status cookie_extract(request_rec *r,
                                          const auth_backend *be,
                                          const char **token)
{
    const cookie_conf *c = be->transport_ctx;
    cookie_memo *memo = connection_memo(r->connection, 0);
    cookie_headers h = { NULL, 0 };
    const char *raw = NULL, *kept, *v;
    apr_size_t len;
    int strip = c->strip && transport_strip_now(r);

    *token = NULL;
    apr_table_do(count_header, &h, r->headers_in, "Cookie", "Cookie2", NULL);
    if (memo && h.cookie && cookie_memo_get(memo, c, h.cookie, &raw, &kept)) {
        raw = apr_pstrdup(r->pool, raw);
        if (strip) {
            keep_only(r, kept);
            request_hide_token(r, be, raw);
        }
    }
    /* util_cookies reports a name sent with different values (cookie
     * tossing from a sibling domain or a narrower path): which one the
     * user meant cannot be told, so none is taken.  With strip=on the
     * cookie is taken out in the same pass (cookie_hide then has nothing
     * left to do): ap_cookie_read costs more than the rest of a cached
     * JWT check, hence also the memo (cookie_memo.c). */
    else if (h.cookie ? strstr(h.cookie, c->name) != NULL
             : h.n && cookie_may_be_sent(r, c->name)) {
        if (ap_cookie_read(r, c->name, &raw, strip) != APR_SUCCESS) {
            audit_token_refused(r, be, REFUSED_DUPLICATE,
                                apr_psprintf(r->pool, "cookie %s sent more "
                                             "than once with different "
                                             "values", c->name));
            return AUTH_BACKEND_DENIED;
        }
        if (raw && strip) {
            request_hide_token(r, be, raw);
        }
        /* (a request kept for a switch has not had it taken out) */
        if (raw && h.cookie && strip == c->strip
            && (memo = connection_memo(r->connection, 1))) {
            cookie_memo_put(memo, c, h.cookie, raw, c->strip
                            ? apr_table_get(r->headers_in, "Cookie") : NULL);
        }
    }
    if (!raw && !(raw = request_hidden_token(r, be))) {
        return AUTH_BACKEND_NOT_MINE;
    }
    v = cookie_value(r->pool, raw, &len);
    if (!len) {
        /* fastapi-users: an empty cookie is no cookie */
        return AUTH_BACKEND_NOT_MINE;
    }
    if (!token_is_b64token(v, len)) {
        audit_token_refused(r, be, REFUSED_MALFORMED,
                            apr_psprintf(r->pool, "malformed token in cookie "
                                         "%s (%" APR_SIZE_T_FMT " bytes)",
                                         c->name, len));
        return AUTH_BACKEND_DENIED;
    }
    *token = v;
    return AUTH_BACKEND_OK;
}

/* Removes every NAME=... pair from the Cookie headers.  Only needed when
 * ap_cookie_read() refuses a name given with different values: it then
 * leaves all of them in place. */
static void strip_every_copy(request_rec *r, const char *name)
{
    const apr_array_header_t *elts = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)elts->elts;
    apr_table_t *kept = apr_table_make(r->pool, 2);
    apr_size_t len = strlen(name);
    int i;

    for (i = 0; i < elts->nelts; i++) {
        char *copy, *pair, *last;
        const char *out = NULL;

        if (!e[i].key || (strcasecmp(e[i].key, "Cookie")
                          && strcasecmp(e[i].key, "Cookie2"))) {
            continue;
        }
        /* the separators util_cookies splits on */
        copy = apr_pstrdup(r->pool, e[i].val);
        for (pair = apr_strtok(copy, ";,", &last); pair;
             pair = apr_strtok(NULL, ";,", &last)) {
            while (apr_isspace(*pair)) {
                pair++;
            }
            if (!*pair || (!strncmp(pair, name, len) && pair[len] == '=')) {
                continue;
            }
            out = out ? apr_pstrcat(r->pool, out, "; ", pair, NULL) : pair;
        }
        if (out) {
            apr_table_addn(kept, e[i].key, out);
        }
    }
    apr_table_unset(r->headers_in, "Cookie");
    apr_table_unset(r->headers_in, "Cookie2");
    r->headers_in = apr_table_overlay(r->pool, r->headers_in, kept);
}

static void cookie_hide(request_rec *r, const auth_backend *be)
{
    const cookie_conf *c = be->transport_ctx;
    const char *raw = NULL;

    if (!c->strip || !cookie_may_be_sent(r, c->name)
        || !transport_strip_now(r)) {
        return;
    }
    if (ap_cookie_read(r, c->name, &raw, 1) != APR_SUCCESS) {
        strip_every_copy(r, c->name);
    }
    else if (raw) {
        request_hide_token(r, be, raw);
    }
}

static int cookie_login_response(request_rec *r, const auth_backend *be,
                                 const char *token)
{
    const cookie_conf *c = be->transport_ctx;

    /* b64token characters are all cookie-octets (RFC 6265 §4.1.1), so a
     * token of any strategy is written as is and cannot break the header */
    if (!token_is_b64token(token, strlen(token))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "backend '%s': the "
                      "strategy issued a token that cannot go into a "
                      "cookie", be->name);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_table_addn(r->headers_out, "Set-Cookie",
                   apr_pstrcat(r->pool, c->name, "=", token, c->set_attrs,
                               NULL));
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    r->status = HTTP_NO_CONTENT;
    return OK;
}

/* fastapi-users #846: a clearing cookie whose attributes differ from the
 * ones it was set with is ignored by browsers, so they are the same. */
static int cookie_logout_response(request_rec *r, const auth_backend *be)
{
    const cookie_conf *c = be->transport_ctx;

    apr_table_addn(r->headers_out, "Set-Cookie",
                   apr_pstrcat(r->pool, c->name, "=\"\"", c->clear_attrs,
                               NULL));
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    r->status = HTTP_NO_CONTENT;
    return OK;
}

const auth_backend_transport_provider transport_cookie = {
    cookie_configure,
    cookie_extract,
    cookie_login_response,
    cookie_logout_response,
    NULL,                       /* no challenge: there is no cookie scheme */
    1,                          /* browsers send cookies by themselves */
    cookie_hide,
    0                           /* each cookie backend has its own cookie */
};
