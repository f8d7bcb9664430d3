/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_browser.c — what src/browser.c reads from a browser: the next=
 * redirect target (browser_local_path), origins (origin_normalize, and the
 * CSRF check built on it), Accept and Sec-Fetch-Mode, and the request URL
 * that becomes next= on the way to the login page.  Every check gets the
 * whole input as its string.
 * Properties: an accepted next= is the input itself and a path of this
 * site that never starts with "//" or "/\" and holds no control character
 * or backslash, before or after any number of percent-decodings (checked
 * by an oracle in support.c that does not share code with browser.c); the
 * next= of a login location decodes to such a path; an origin is
 * scheme://host:port in lower case, normalizing it again changes nothing;
 * the CSRF check lets an unsafe request through only from this server's
 * origin or a trusted one; form encoding decodes back to its input.
 */

#include "fuzz.h"

#include "apr_lib.h"

#define TRUSTED "https://app.example:443"
#define OWN     "http://localhost:80"

static void check_local_path(apr_pool_t *p, const char *s)
{
    const char *ok = browser_local_path(p, s);

    if (ok) {
        static const char unsafe[] = "\"<>^`{|}";

        /* the input, with what RFC 3986 allows nowhere percent-encoded
         * (the result goes into a Location header) */
        if (!strpbrk(s, unsafe)) {
            FUZZ_ASSERT(!strcmp(ok, s), "not the input");
        }
        FUZZ_ASSERT(!strpbrk(ok, unsafe), "markup left in '%s'", ok);
        FUZZ_ASSERT(strlen(ok) >= strlen(s), "shortened: '%s'", ok);
        FUZZ_ASSERT(fuzz_path_is_safe(p, s), "unsafe next= accepted: '%s'", s);
        FUZZ_ASSERT(fuzz_path_is_safe(p, ok), "unsafe next= made: '%s'", ok);
    }
}

static void check_origin(apr_pool_t *p, const char *s)
{
    const char *o = origin_normalize(p, s, 0);
    const char *bare = origin_normalize(p, s, 1);
    const char *c, *colon;
    long port;

    if (bare) {
        const char *site = strstr(s, "://");
        FUZZ_ASSERT(o && !strcmp(o, bare), "bare and full origins differ");
        FUZZ_ASSERT(site && !strpbrk(site + 3, "/?#@"),
                    "'%s' is more than an origin", s);
    }
    if (!o) {
        return;
    }
    FUZZ_ASSERT(!strncmp(o, "http://", 7) || !strncmp(o, "https://", 8),
                "origin '%s' has another scheme", o);
    for (c = o; *c; c++) {
        FUZZ_ASSERT(!apr_isupper(*c), "origin '%s' is not in lower case", o);
    }
    colon = strrchr(o, ':');
    port = strtol(colon + 1, NULL, 10);
    FUZZ_ASSERT(colon > o + 7 && apr_isdigit(colon[1])
                && strspn(colon + 1, "0123456789") == strlen(colon + 1)
                && port >= 1 && port <= 65535, "origin '%s': port", o);
    c = origin_normalize(p, o, 1);
    FUZZ_ASSERT(c && !strcmp(c, o), "origin '%s' normalizes to '%s'", o,
                c ? c : "(null)");
}

static void check_csrf(apr_pool_t *p, const char *s)
{
    request_rec *r = fuzz_request(p);
    auth_backend_dir_conf *conf = fuzz_dir_conf(r);
    const char *o = origin_normalize(p, s, 1);
    int rc;

    conf->trusted_origins = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(conf->trusted_origins, const char *) = TRUSTED;
    r->method = "POST";
    r->method_number = M_POST;
    apr_table_setn(r->headers_in, "Origin", s);
    rc = csrf_check(r, conf, "fuzz");
    FUZZ_ASSERT((rc == OK) == (o && (!strcmp(o, OWN) || !strcmp(o, TRUSTED))),
                "Origin '%s': %d", s, rc);

    r = fuzz_request(p);
    r->method = "POST";
    r->method_number = M_POST;
    apr_table_setn(r->headers_in, "Referer", s);
    o = origin_normalize(p, s, 0);
    rc = csrf_check(r, conf, "fuzz");
    FUZZ_ASSERT((rc == OK) == (o && (!strcmp(o, OWN) || !strcmp(o, TRUSTED))),
                "Referer '%s': %d", s, rc);
}

static void check_login_location(apr_pool_t *p, const char *s)
{
    request_rec *r = fuzz_request(p);
    const char *to, *next;
    char *decoded;

    r->unparsed_uri = apr_pstrdup(p, s);
    to = browser_login_location(r, "/login");
    if (!strcmp(to, "/login")) {
        return;
    }
    FUZZ_ASSERT(!strncmp(to, "/login?next=", 12), "login location '%s'", to);
    next = to + 12;
    FUZZ_ASSERT(!strpbrk(next, "&#?\"<> "), "next= is not form-encoded");
    decoded = apr_pstrdup(p, next);
    FUZZ_ASSERT(fuzz_percent_decode(decoded, 1) >= 0
                && fuzz_path_is_safe(p, decoded),
                "unsafe next= offered: '%s'", decoded);
}

static void check_navigation(apr_pool_t *p, const char *s)
{
    request_rec *r = fuzz_request(p);
    const char *m;

    apr_table_setn(r->headers_in, "Accept", s);
    if (browser_navigation(r)) {
        /* (spaces inside a media range are dropped, as browser.c does) */
        char *squeezed = apr_pstrdup(p, s);
        apr_collapse_spaces(squeezed, s);
        FUZZ_ASSERT(strcasestr(squeezed, "html"),
                    "a page load without HTML in Accept: '%s'", s);
    }
    r = fuzz_request(p);
    apr_table_setn(r->headers_in, "Sec-Fetch-Mode", s);
    m = s + strspn(s, " \t\r\n\v\f");
    FUZZ_ASSERT(browser_navigation(r)
                == (!strncasecmp(m, "navigate", 8)
                    && (!m[8] || apr_isspace(m[8]))),
                "Sec-Fetch-Mode '%s'", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *s;
    char *decoded;

    fuzz_init();
    apr_pool_create(&p, fuzz_process_pool());
    s = fuzz_cstr(p, data, size);

    check_local_path(p, s);
    check_origin(p, s);
    check_csrf(p, s);
    check_login_location(p, s);
    check_navigation(p, s);

    decoded = apr_pstrdup(p, browser_form_encode(p, s));
    FUZZ_ASSERT(fuzz_percent_decode(decoded, 1) >= 0 && !strcmp(decoded, s),
                "form encoding does not decode back");

    apr_pool_destroy(p);
    return 0;
}
