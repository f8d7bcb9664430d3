/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_login.c — the login request (src/login.c login_handler): request
 * headers (Content-Type, Content-Length, Origin, Sec-Fetch-*, Accept ...)
 * and the form body, through the form fields, the password check with an
 * authn provider, issuing a JWT and the bearer or cookie answer, with the
 * CSRF check and the next= redirect of the browser flow.
 * Input: one flag byte, then "Name: value" header lines, an empty line and
 * the body.  Flags: bit 0 a cookie backend (else bearer); bit 1
 * AuthBackendLoginURL /login and AuthBackendLoginRedirect /home; bit 2
 * AuthBackendLoginProvider fuzz (else the default, file); bit 3
 * AuthBackendLoginMaxBody 64.  The provider knows alice ("correct horse")
 * and "error" (a failing provider).
 * Properties: a 422 comes exactly for the forms an independent reading of
 * the fields finds a problem in (duplicate, missing, NUL, control
 * characters or invalid UTF-8 in the user name, another grant_type), and
 * lists them without echoing a value; a token is issued only after the
 * provider granted the password, and the strategy reads it back as that
 * user; every JSON body parses; a redirect goes to a path of this site;
 * the password is never logged.
 */

#include "fuzz.h"

#include "ap_provider.h"
#include "apr_lib.h"
#include "mod_auth.h"

#include <jansson.h>

#define PASSWORD "correct horse"

static const auth_backend *api, *web;
static int granted, asked;

static authn_status check_password(request_rec *r, const char *user,
                                   const char *password)
{
    (void)r;
    asked = 1;
    if (!strcmp(user, "alice")) {
        granted = !strcmp(password, PASSWORD);
        return granted ? AUTH_GRANTED : AUTH_DENIED;
    }
    return strcmp(user, "error") ? AUTH_USER_NOT_FOUND : AUTH_GENERAL_ERROR;
}

static const authn_provider fuzz_authn = { check_password, NULL };

static void setup(void)
{
    if (api) {
        return;
    }
    api = fuzz_backend("api", "bearer", "jwt secret=file:secret.txt");
    web = fuzz_backend("web", "cookie", "jwt secret=file:secret.txt");
    ap_register_provider(fuzz_process_pool(), AUTHN_PROVIDER_GROUP, "file",
                         AUTHN_PROVIDER_VERSION, &fuzz_authn);
}

/* The headers of INPUT into R; returns the body. */
static const char *read_headers(request_rec *r, const char *input,
                                const char *end)
{
    while (input < end && *input != '\n') {
        const char *eol = memchr(input, '\n', end - input);
        const char *colon;
        char *line;

        if (!eol) {
            eol = end;
        }
        line = apr_pstrmemdup(r->pool, input, eol - input);
        if ((colon = strchr(line, ':'))) {
            apr_table_addn(r->headers_in,
                           apr_pstrmemdup(r->pool, line, colon - line),
                           colon + 1 + strspn(colon + 1, " \t"));
        }
        input = eol < end ? eol + 1 : end;
    }
    return input < end ? input + 1 : end;
}

/* The token the transport answered with, or NULL. */
static const char *issued_token(request_rec *r, const auth_backend *be,
                                const char *body)
{
    const char *cookie = apr_table_get(r->headers_out, "Set-Cookie");
    json_t *j;
    const char *token = NULL;

    if (be == web) {
        if (cookie && !strncmp(cookie, "fastapiusersauth=", 17)) {
            token = apr_pstrndup(r->pool, cookie + 17, strcspn(cookie + 17, ";"));
        }
        return token;
    }
    if (r->status == HTTP_OK && (j = json_loads(body, 0, NULL))) {
        const char *t = json_string_value(json_object_get(j, "access_token"));
        token = t ? apr_pstrdup(r->pool, t) : NULL;
        json_decref(j);
    }
    return token;
}

/* Strict UTF-8 (RFC 3629: no overlong forms, surrogates or code points
 * above U+10FFFF). */
static int utf8_valid(const unsigned char *s, apr_size_t len)
{
    apr_size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        apr_size_t n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1
                       : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4
                       ? 3 : 99;
        unsigned long cp = n == 0 ? c : n == 1 ? c & 0x1f : n == 2 ? c & 0x0f
                           : c & 0x07;
        apr_size_t k;

        if (n == 99 || i + n >= len + !n) {     /* (ASCII never fails) */
            return 0;
        }
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
            || (n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return 0;
        }
        i += n + 1;
    }
    return 1;
}

/* Whether the form in R's body has a problem that makes a 422, read
 * independently of login.c from the pairs ap_parse_form_data() gives:
 * username and password once each and not empty, grant_type at most once
 * and "password" if not empty, no NUL, and a user name of valid UTF-8
 * without control characters. */
static int form_has_problem(request_rec *r)
{
    static const char *const names[] = { "username", "password",
                                         "grant_type" };
    apr_array_header_t *pairs;
    int i, f;

    if (ap_parse_form_data(r, NULL, &pairs, -1, (apr_size_t)-1) != OK) {
        return -1;
    }
    for (f = 0; f < 3; f++) {
        int count = 0;
        char *v = NULL;
        apr_size_t len = 0;

        for (i = 0; i < pairs->nelts; i++) {
            ap_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);
            if (!strcmp(pair->name, names[f]) && !count++) {
                apr_brigade_pflatten(pair->value, &v, &len, r->pool);
            }
        }
        if (count > 1 || (f < 2 && !len) || (len && memchr(v, 0, len))) {
            return 1;
        }
        if (f == 2 && len && (len != 8 || memcmp(v, "password", 8))) {
            return 1;
        }
        for (i = 0; f == 0 && i < (int)len; i++) {
            if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
                return 1;
            }
        }
        if (f == 0 && !utf8_valid((const unsigned char *)v, len)) {
            return 1;
        }
    }
    return 0;
}

/* A 422 body: FastAPI's list of field problems, and nothing else. */
static void check_field_errors(const char *body)
{
    json_t *j = json_loads(body, 0, NULL), *detail, *item;
    size_t i;

    FUZZ_ASSERT(j && json_object_size(j) == 1, "422 body: %s", body);
    detail = json_object_get(j, "detail");
    FUZZ_ASSERT(json_is_array(detail) && json_array_size(detail) > 0,
                "422 without details");
    json_array_foreach(detail, i, item) {
        json_t *loc = json_object_get(item, "loc");
        const char *field = json_string_value(json_array_get(loc, 1));
        json_t *input = json_object_get(item, "input");

        FUZZ_ASSERT(json_object_size(item) == 3u + (input != NULL)
                    && json_is_string(json_object_get(item, "type"))
                    && json_is_string(json_object_get(item, "msg"))
                    && json_array_size(loc) == 2 && field
                    && (!strcmp(field, "username") || !strcmp(field, "password")
                        || !strcmp(field, "grant_type"))
                    && (!input || json_is_null(input)),
                    "422 item: %s", body);
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    request_rec *r;
    auth_backend_dir_conf *conf;
    const auth_backend *be;
    const char *input, *end, *body, *response, *token, *location;
    apr_size_t response_len;
    int flags, rc;

    if (size < 1) {
        return 0;
    }
    fuzz_init();
    setup();
    flags = data[0];
    apr_pool_create(&p, fuzz_process_pool());
    r = fuzz_request(p);
    r->handler = AUTH_BACKEND_LOGIN_HANDLER;
    r->method = "POST";
    r->method_number = M_POST;
    r->uri = r->unparsed_uri = "/auth/login";

    be = flags & 1 ? web : api;
    conf = fuzz_dir_conf(r);
    conf->backend_names = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(conf->backend_names, const char *) = be->name;
    if (flags & 2) {
        conf->login_url = "/login";
        conf->login_redirect = "/home";
    }
    if (flags & 4) {
        login_provider *lp;
        conf->login_providers = apr_array_make(p, 1, sizeof(login_provider));
        lp = apr_array_push(conf->login_providers);
        lp->name = "fuzz";
        lp->provider = &fuzz_authn;
    }
    if (flags & 8) {
        conf->login_max_body = 64;
    }

    input = apr_pmemdup(p, data + 1, size - 1);
    end = input + size - 1;
    body = read_headers(r, input, end);
    fuzz_set_body(body, end - body);
    fuzz_response_reset();
    fuzz_log_reset();
    granted = asked = 0;

    rc = login_handler(r);
    if (r->status == HTTP_UNPROCESSABLE_ENTITY || asked) {
        int problem = form_has_problem(r);
        FUZZ_ASSERT(problem == (r->status == HTTP_UNPROCESSABLE_ENTITY),
                    "status %d, but the form %s", r->status,
                    problem ? "has a problem" : "is fine");
    }

    FUZZ_ASSERT(rc == OK || rc == HTTP_INTERNAL_SERVER_ERROR, "rc %d", rc);
    response = fuzz_response_body(&response_len);
    FUZZ_ASSERT(strlen(response) == response_len, "NUL in the response");
    if (rc != OK) {
        FUZZ_ASSERT(!granted, "500 after a granted login");
        goto done;
    }
    if (r->content_type && !strcmp(r->content_type, "application/json")) {
        json_t *j = json_loads(response, 0, NULL);
        FUZZ_ASSERT(j, "the JSON body does not parse: %s", response);
        json_decref(j);
    }
    if (r->status == HTTP_UNPROCESSABLE_ENTITY) {
        check_field_errors(response);
    }

    token = issued_token(r, be, response);
    FUZZ_ASSERT(!token == !granted, "token issued: %s, granted: %d",
                token ? "yes" : "no", granted);
    if (token) {
        const char *user = NULL, *claims = NULL;
        FUZZ_ASSERT(be->strategy->read(r, be, token, &user, &claims)
                    == AUTH_BACKEND_OK && !strcmp(user, "alice"),
                    "the issued token does not read back as alice");
    }

    location = apr_table_get(r->headers_out, "Location");
    FUZZ_ASSERT(!location == (r->status != HTTP_SEE_OTHER), "303/Location");
    if (location && granted) {
        FUZZ_ASSERT(!strcmp(location, "/home") || fuzz_path_is_safe(p, location),
                    "redirect after login to '%s'", location);
    }
    else if (location) {
        const char *next = strstr(location, "&next=");
        FUZZ_ASSERT(!strncmp(location, "/login?error=LOGIN_BAD_CREDENTIALS", 34),
                    "redirect after a failed login to '%s'", location);
        if (next) {
            char *decoded = apr_pstrdup(p, next + 6);
            FUZZ_ASSERT(fuzz_percent_decode(decoded, 1) >= 0
                        && fuzz_path_is_safe(p, decoded),
                        "unsafe next= after a failed login: '%s'", location);
        }
    }

done:
    /* (the headers could put it into a log line of their own) */
    if (granted && !strstr(apr_pstrmemdup(p, input, body - input), PASSWORD)) {
        FUZZ_ASSERT(!strstr(fuzz_log_text(), PASSWORD), "the password was "
                    "logged");
    }
    apr_pool_destroy(p);
    return 0;
}
