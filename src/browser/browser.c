/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * browser.c — what a website needs beyond an API: telling a page load from
 * an API call (the first is sent to the login page, the second gets its
 * 401), checking where a browser may be sent after login (no open
 * redirect), and the CSRF defence for tokens a browser sends by itself
 * (fastapi-users leaves that to the application).
 */

#include "browser/browser.h"
#include "common/common.h"

#include "http_core.h"
#include "http_protocol.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include <arpa/inet.h>

#define MAX_LOCAL_PATH  4096
#define MAX_DECODINGS   4

/* ---- page loads and API calls -------------------------------------------- */

/* An Accept q-value in thousandths (RFC 9110 §12.4.2); -1 if malformed. */
static int qvalue(const char *s)
{
    int q;

    if (*s != '0' && *s != '1') {
        return -1;
    }
    q = (*s++ - '0') * 1000;
    if (*s == '.') {
        int digits = 0;
        for (s++; apr_isdigit(*s) && digits < 3; s++, digits++) {
            q += (*s - '0') * (digits == 0 ? 100 : digits == 1 ? 10 : 1);
        }
    }
    return *s || q > 1000 ? -1 : q;
}

/* Does ACCEPT rank an HTML page above JSON?  A browser loading a page
 * asks for text/html explicitly; fetch(), curl and API clients send
 * application/json or a bare wildcard. */
static int accept_prefers_html(apr_pool_t *p, const char *accept)
{
    int html = 0, json = 0;

    while (accept && *accept) {
        char *range = ap_getword(p, &accept, ',');
        const char *params = range;
        char *type = ap_getword(p, &params, ';');
        int q = 1000;

        while (*params) {
            char *param = ap_getword(p, &params, ';');
            char *name;

            while (apr_isspace(*param)) {
                param++;
            }
            name = ap_getword(p, (const char **)&param, '=');
            apr_collapse_spaces(name, name);
            if (!strcasecmp(name, "q")) {
                apr_collapse_spaces(param, param);
                q = qvalue(param);
            }
        }
        apr_collapse_spaces(type, type);
        if (q < 0) {
            continue;
        }
        if (!strcasecmp(type, "text/html")
            || !strcasecmp(type, "application/xhtml+xml")) {
            html = html > q ? html : q;
        }
        else if (!strcasecmp(type, "application/json")) {
            json = json > q ? json : q;
        }
    }
    return html > 0 && html > json;
}

int browser_navigation(request_rec *r)
{
    const char *mode = apr_table_get(r->headers_in, "Sec-Fetch-Mode");

    if (apr_table_get(r->headers_in, "X-Requested-With")) {
        return 0;
    }
    if (mode) {
        /* the browser says what this request is: trust it over Accept */
        while (apr_isspace(*mode)) {
            mode++;
        }
        return !strncasecmp(mode, "navigate", 8)
               && (!mode[8] || apr_isspace(mode[8]));
    }
    return accept_prefers_html(r->pool,
                               apr_table_get(r->headers_in, "Accept"));
}

/* ---- where a browser may be sent ----------------------------------------- */

/* A path of this site: "/" not followed by "/" or "\" (which browsers read
 * as "//host"), and no control character or backslash anywhere (browsers
 * drop tabs and newlines from URLs, so "/\t/host" is "//host", and some
 * turn "\" into "/").  RAW: the value as sent, which must be printable
 * ASCII without spaces; a decoded form may hold spaces and UTF-8. */
static int is_local_path(const char *s, int raw)
{
    if (s[0] != '/' || s[1] == '/' || s[1] == '\\') {
        return 0;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < ' ' || c == 0x7f || c == '\\'
            || (raw && (c == ' ' || c > 0x7f))) {
            return 0;
        }
    }
    return 1;
}

/* Does path S still begin with a single "/" once a browser has removed
 * its dot segments (RFC 3986 §5.2.4; the URL Standard does the same)?
 * "/.//evil" and "/a/..//evil" become "//evil", which a later step (an
 * application reading location.pathname, a proxy) takes for a host.  The
 * query and fragment are left alone, as browsers do. */
static int dots_keep_local(apr_pool_t *p, const char *s)
{
    apr_size_t len = strcspn(s, "?#");
    char *in = apr_pstrmemdup(p, s, len), *seg;
    apr_array_header_t *kept = apr_array_make(p, 8, sizeof(char *));
    int trailing = 0;

    /* in[0] is '/': every segment follows a '/' */
    for (seg = in + 1; seg;) {
        char *slash = strchr(seg, '/');

        if (slash) {
            *slash = '\0';
        }
        trailing = 1;
        if (!strcmp(seg, "..")) {
            apr_array_pop(kept);        /* NULL at the root: stays there */
        }
        else if (strcmp(seg, ".")) {
            *(char **)apr_array_push(kept) = seg;
            trailing = 0;
        }
        seg = slash ? slash + 1 : NULL;
    }
    /* "//...": an empty first segment with anything after it */
    return !kept->nelts || **(char **)kept->elts
           || (kept->nelts == 1 && !trailing);
}

/* S with the printable characters RFC 3986 allows nowhere in a URI
 * percent-encoded: the path goes into a Location header, which must not
 * carry markup or quotes as the client wrote them ("/<script>"). */
static const char *uri_escape_unsafe(apr_pool_t *p, const char *s)
{
    static const char unsafe[] = "\"<>^`{|}";
    static const char hex[] = "0123456789ABCDEF";
    char *out, *o;

    if (!strpbrk(s, unsafe)) {
        return s;
    }
    out = o = apr_palloc(p, 3 * strlen(s) + 1);
    for (; *s; s++) {
        if (strchr(unsafe, *s)) {
            *o++ = '%';
            *o++ = hex[(unsigned char)*s >> 4];
            *o++ = hex[(unsigned char)*s & 0x0f];
        }
        else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

/* The value itself must be a local path, and so must what it becomes once
 * percent-decoded, once or several times: an application or a proxy
 * further on may decode "/%2F%2Fevil" to "//evil", "/%5Cevil" to "/\evil"
 * or "/%0d%0a" to a line break.  Returns the path fit for a Location
 * header, or NULL. */
const char *browser_local_path(apr_pool_t *p, const char *next)
{
    char *decoded;
    int i;

    if (!next || strlen(next) > MAX_LOCAL_PATH || !is_local_path(next, 1)
        || !dots_keep_local(p, next)) {
        return NULL;
    }
    decoded = apr_pstrdup(p, next);
    for (i = 0; i < MAX_DECODINGS && ap_strchr(decoded, '%'); i++) {
        /* refuses malformed escapes and %00; a browser reads "%2e" as a
         * dot in a dot segment, so the decoded forms are resolved too */
        if (ap_unescape_url_keep2f(decoded, 1) != OK
            || !is_local_path(decoded, 0) || !dots_keep_local(p, decoded)) {
            return NULL;
        }
    }
    return ap_strchr(decoded, '%') ? NULL : uri_escape_unsafe(p, next);
}

/* application/x-www-form-urlencoded, with the upper-case hex digits RFC
 * 3986 §2.1 prefers (ap_escape_urlencoded writes lower case). */
const char *browser_form_encode(apr_pool_t *p, const char *s)
{
    char *out = ap_escape_urlencoded(p, s), *c;

    for (c = out; (c = ap_strchr(c, '%')) && c[1] && c[2]; c += 3) {
        c[1] = apr_toupper(c[1]);
        c[2] = apr_toupper(c[2]);
    }
    return out;
}

const char *browser_login_location(request_rec *r, const char *login_url)
{
    request_rec *first = request_initial(r);
    const char *here = first->unparsed_uri;
    apr_uri_t u;

    /* The URL as the client wrote it (r->parsed_uri.path is decoded in
     * place while the request is processed); a request in absolute form,
     * "GET http://host/path", gives its path and query. */
    if (here && *here != '/') {
        here = apr_uri_parse(r->pool, here, &u) == APR_SUCCESS
               ? apr_uri_unparse(r->pool, &u, APR_URI_UNP_OMITSITEPART)
               : NULL;
    }
    /* a URL that would be refused as next= after login is not offered */
    if (!browser_local_path(r->pool, here)) {
        return login_url;
    }
    return apr_pstrcat(r->pool, login_url,
                       ap_strchr_c(login_url, '?') ? "&" : "?", "next=",
                       browser_form_encode(r->pool, here), NULL);
}

int browser_see_other(request_rec *r, const char *location)
{
    apr_table_setn(r->headers_out, "Location", location);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    r->status = HTTP_SEE_OTHER;
    ap_set_content_length(r, 0);
    return OK;
}

/* ---- CSRF ------------------------------------------------------------------- */

/* HOST (in lower case) as a browser writes it in an origin: a name of
 * letters, digits, '-', '.' and '_', or an IPv6 address.  apr_uri_parse()
 * returns whatever surrounds mismatched brackets ("[::1]x:80" gives
 * "::1]x:8"), which would not even normalize to itself. */
static int origin_host_is_valid(const char *host)
{
    struct in6_addr addr;

    if (ap_strchr_c(host, ':')) {
        return inet_pton(AF_INET6, host, &addr) == 1;
    }
    return strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789-._")
           == strlen(host);
}

const char *origin_normalize(apr_pool_t *p, const char *url, int bare)
{
    apr_uri_t u;
    char *scheme, *host;
    apr_port_t port;

    /* Where apr_uri_parse() and a browser (the URL Standard) read a URL
     * differently, it is no origin: a browser takes a backslash for "/"
     * (so "http://evil\\@good/" is evil's), drops tabs and newlines, and
     * never sends userinfo in an Origin or a Referer. */
    if (!url || url[strcspn(url, "\\\t\r\n ")]
        || apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme
        || !u.hostname || !*u.hostname || !u.hostinfo || u.user
        || u.password || ap_strchr_c(u.hostinfo, '@')) {
        return NULL;
    }
    if (bare && ((u.path && *u.path) || u.query || u.fragment)) {
        return NULL;
    }
    scheme = apr_pstrdup(p, u.scheme);
    ap_str_tolower(scheme);
    if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
        return NULL;
    }
    host = apr_pstrdup(p, u.hostname);
    ap_str_tolower(host);
    if (!origin_host_is_valid(host)) {
        return NULL;
    }
    port = apr_uri_port_of_scheme(scheme);
    if (u.port_str && *u.port_str) {
        /* apr_uri_parse() wraps 99999 around to 34463 */
        char *end;
        apr_int64_t n = apr_strtoi64(u.port_str, &end, 10);
        if (*end || !apr_isdigit(*u.port_str) || n < 1 || n > 65535) {
            return NULL;
        }
        port = (apr_port_t)n;
    }
    return apr_psprintf(p, "%s://%s%s%s:%u", scheme,
                        ap_strchr_c(host, ':') ? "[" : "", host,
                        ap_strchr_c(host, ':') ? "]" : "", port);
}

static int method_is_safe(request_rec *r)
{
    /* RFC 9110 §9.2.1; HEAD is M_GET.  Every other method, WebDAV's
     * included, may change something. */
    switch (request_initial(r)->method_number) {
    case M_GET:
    case M_OPTIONS:
    case M_TRACE:
        return 1;
    default:
        return 0;
    }
}

/* This server as the client reached it (UseCanonicalName decides whether
 * that is the Host header or ServerName), or a trusted origin. */
static int origin_allowed(request_rec *r, const auth_backend_dir_conf *conf,
                          const char *origin)
{
    const char *own = origin_normalize(r->pool,
                                       ap_construct_url(r->pool, "", r), 0);
    int i;

    if (!origin) {
        return 0;
    }
    if (own && !strcmp(origin, own)) {
        return 1;
    }
    for (i = 0; conf->trusted_origins && i < conf->trusted_origins->nelts;
         i++) {
        if (!strcmp(origin, APR_ARRAY_IDX(conf->trusted_origins, i,
                                          const char *))) {
            return 1;
        }
    }
    return 0;
}

int csrf_check(request_rec *r, const auth_backend_dir_conf *conf,
               const char *what)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *referer = apr_table_get(r->headers_in, "Referer");
    const char *why, *reason, *extra[3];

    if (method_is_safe(r)) {
        return OK;
    }
    if (origin) {
        /* "null" (sandboxed frames, data: URLs) is no origin at all */
        if (origin_allowed(r, conf, origin_normalize(r->pool, origin, 1))) {
            return OK;
        }
        reason = "foreign_origin";
        why = apr_psprintf(r->pool, "Origin %s is neither this server's nor "
                           "an AuthBackendTrustedOrigin", origin);
    }
    else if (site) {
        if (!strcasecmp(site, "same-origin")) {
            return OK;
        }
        reason = "cross_site";
        why = apr_psprintf(r->pool, "no Origin, and Sec-Fetch-Site is %s",
                           site);
    }
    else if (referer) {
        const char *from = origin_normalize(r->pool, referer, 0);
        if (origin_allowed(r, conf, from)) {
            return OK;
        }
        /* only the origin: a referring URL may carry secrets */
        reason = "foreign_referer";
        why = apr_psprintf(r->pool, "no Origin, and the Referer is from %s",
                           from ? from : "no http(s) origin");
    }
    else {
        reason = "no_origin";
        why = "no Origin, Sec-Fetch-Site or Referer tells where it comes "
              "from";
    }
    extra[0] = "action";
    extra[1] = what;
    extra[2] = NULL;
    audit_log(r, AUDIT_CSRF_REFUSED, reason, r->user, NULL,
              apr_psprintf(r->pool, "%s %s refused as a possible cross-site "
                           "request forgery: %s", r->method, r->uri, why),
              extra);
    return HTTP_FORBIDDEN;
}
