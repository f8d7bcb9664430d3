/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_origin.c — the CSRF check of unsafe requests as a whole
 * (src/browser/browser.c csrf_check, and AuthBackendTrustedOrigin in
 * src/config/config.c): the input is up to five lines, a method, an
 * AuthBackendTrustedOrigin argument, then the Origin, Sec-Fetch-Site and
 * Referer headers (a missing line: no such header).  fuzz_browser feeds
 * each header alone; this one mixes them.
 * Properties: the directive accepts exactly what normalizes as a bare
 * origin and quotes a refused argument; a safe method always passes; else
 * Origin decides when present, then Sec-Fetch-Site (only "same-origin"
 * passes), then the Referer's origin, and nothing at all is refused; the
 * allowed origins are this server's and the trusted one; a refusal is
 * logged, and never with a Referer's path or query.
 */

#include "fuzz.h"

#define OWN "http://localhost:80"

static const struct {
    const char *name;
    int number;
    int safe;
} methods[] = {
    { "GET", M_GET, 1 }, { "OPTIONS", M_OPTIONS, 1 }, { "TRACE", M_TRACE, 1 },
    { "POST", M_POST, 0 }, { "PUT", M_PUT, 0 }, { "DELETE", M_DELETE, 0 },
    { "PROPPATCH", M_PROPPATCH, 0 }, { "PATCH", M_PATCH, 0 },
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* the next line of *S, or NULL when there are no more */
static const char *line(char **s)
{
    char *l = *s, *nl;

    if (!l) {
        return NULL;
    }
    nl = strchr(l, '\n');
    if (nl) {
        *nl = '\0';
    }
    *s = nl ? nl + 1 : NULL;
    return l;
}

static int allowed(const char *o, const auth_backend_dir_conf *conf)
{
    return o && (!strcmp(o, OWN) || (conf->trusted_origins
                 && !strcmp(o, APR_ARRAY_IDX(conf->trusted_origins, 0,
                                             const char *))));
}

static void check_directive(apr_pool_t *p, auth_backend_dir_conf *conf,
                            const char *arg)
{
    const char *err = cmd_trusted_origin(fuzz_cmd(p,
                                         "AuthBackendTrustedOrigin"),
                                         conf, arg);
    const char *bare = origin_normalize(p, arg, 1);

    FUZZ_ASSERT(!err == !!bare, "AuthBackendTrustedOrigin '%s': %s", arg,
                err ? err : "accepted");
    if (err) {
        FUZZ_ASSERT(strstr(err, arg), "the refusal does not quote '%s'", arg);
        FUZZ_ASSERT(!conf->trusted_origins, "refused, yet trusted");
    }
    else {
        FUZZ_ASSERT(conf->trusted_origins->nelts == 1
                    && !strcmp(APR_ARRAY_IDX(conf->trusted_origins, 0,
                                             const char *), bare),
                    "'%s' trusted as another origin", arg);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *s;
    const char *m, *trusted, *origin, *site, *referer, *after;
    request_rec *r;
    auth_backend_dir_conf *conf;
    unsigned int i;
    int rc, want;

    fuzz_init();
    apr_pool_create(&p, fuzz_process_pool());
    s = fuzz_cstr(p, data, size);
    m = line(&s);
    trusted = line(&s);
    origin = line(&s);
    site = line(&s);
    referer = line(&s);

    r = fuzz_request(p);
    conf = fuzz_dir_conf(r);
    for (i = 0; i < NMETHODS && strcmp(m, methods[i].name); i++) {
    }
    i = i < NMETHODS ? i : (unsigned int)strlen(m) % NMETHODS;
    r->method = methods[i].name;
    r->method_number = methods[i].number;
    if (trusted) {
        check_directive(p, conf, trusted);
    }
    if (origin) {
        apr_table_setn(r->headers_in, "Origin", origin);
    }
    if (site) {
        apr_table_setn(r->headers_in, "Sec-Fetch-Site", site);
    }
    if (referer) {
        apr_table_setn(r->headers_in, "Referer", referer);
    }
    fuzz_log_reset();
    rc = csrf_check(r, conf, "fuzz");

    want = methods[i].safe
           || (origin ? allowed(origin_normalize(p, origin, 1), conf)
               : site ? !strcasecmp(site, "same-origin")
               : referer && allowed(origin_normalize(p, referer, 0), conf));
    FUZZ_ASSERT(rc == (want ? OK : HTTP_FORBIDDEN), "%s Origin %s, "
                "Sec-Fetch-Site %s, Referer %s: %d", r->method,
                origin ? origin : "-", site ? site : "-",
                referer ? referer : "-", rc);
    if (rc != OK) {
        FUZZ_ASSERT(strstr(fuzz_log_text(), "cross-site request forgery"),
                    "a refusal without a log line");
    }
    if (rc != OK && !origin && !site && referer
        && (after = strstr(referer, "://")) && strpbrk(after + 3, "/?#")) {
        FUZZ_ASSERT(!strstr(fuzz_log_text(), referer),
                    "the log shows the Referer '%s'", referer);
    }
    apr_pool_destroy(p);
    return 0;
}
