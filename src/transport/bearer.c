/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * bearer.c — the token travels in "Authorization: Bearer TOKEN"
 * (RFC 6750 §2.1), as with fastapi-users' BearerTransport.  Login answers
 * with the token in a JSON body (RFC 6749 §5.1), logout with 204.
 *
 * The header goes on to the application unless strip=on: applications
 * behind a proxy often read it themselves (fastapi-users itself does),
 * and httpd never hands it to a CGI anyway (CGIPassAuth Off).
 */

#include "transport/transport.h"
#include "common/common.h"

#include "http_protocol.h"
#include "apr_lib.h"
#include "apr_strings.h"

typedef struct {
    int strip;                  /* hide the header from the application */
} bearer_conf;

/* Every bearer backend finds the same token (same_token), so a hidden one
 * is kept under one key for all: not a backend name, which has no ' '. */
static const auth_backend hidden_key = { .name = "Authorization: Bearer" };

static const char *bearer_configure(cmd_parms *cmd, auth_backend *be,
                                    apr_array_header_t *opts, void **ctx)
{
    bearer_conf *c = apr_pcalloc(cmd->pool, sizeof(*c));

    (void)be;
    *ctx = c;
    return option_take_flag(cmd->pool, opts, "strip", &c->strip);
}

/* "Bearer" and what follows, in a header value. */
static const char *bearer_value(const char *h)
{
    while (apr_isspace(*h)) {
        h++;
    }
    /* another scheme (Basic, Digest ...) is not ours */
    if (strncasecmp(h, "Bearer", 6) || (h[6] && !apr_isspace(h[6]))) {
        return NULL;
    }
    return h + 6;
}

static auth_backend_status bearer_extract(request_rec *r,
                                          const auth_backend *be,
                                          const char **token)
{
    const char *h = apr_table_get(r->headers_in, "Authorization");
    const char *start, *end;

    *token = NULL;
    if (!h) {
        /* a subrequest or redirect after strip=on took it out */
        if (!(h = request_hidden_token(r, &hidden_key))) {
            return AUTH_BACKEND_NOT_MINE;
        }
    }
    if (!(start = bearer_value(h))) {
        return AUTH_BACKEND_NOT_MINE;
    }
    for (; apr_isspace(*start); start++)
        ;
    for (end = start + strlen(start); end > start && apr_isspace(end[-1]);
         end--)
        ;
    if (end == start) {
        audit_token_refused(r, be, REFUSED_MALFORMED, "empty bearer token");
        return AUTH_BACKEND_DENIED;
    }
    if (!token_is_b64token(start, end - start)) {
        audit_token_refused(r, be, REFUSED_MALFORMED,
                            apr_psprintf(r->pool, "malformed bearer token (%"
                                         APR_SIZE_T_FMT " bytes)",
                                         (apr_size_t)(end - start)));
        return AUTH_BACKEND_DENIED;
    }
    *token = apr_pstrmemdup(r->pool, start, end - start);
    return AUTH_BACKEND_OK;
}

static int bearer_login_response(request_rec *r, const auth_backend *be,
                                 const char *token)
{
    (void)be;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    return json_respond(r, HTTP_OK, json_token_response(r->pool, token));
}

static int bearer_logout_response(request_rec *r, const auth_backend *be)
{
    (void)be;
    r->status = HTTP_NO_CONTENT;
    return OK;
}

/* quoted-string for a header parameter (RFC 9110 §5.6.4) */
static const char *quoted(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, 2 * strlen(s) + 3), *o = out;

    *o++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            *o++ = '\\';
        }
        if (!apr_iscntrl(*s)) {
            *o++ = *s;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static void bearer_challenge(request_rec *r, const auth_backend *be,
                             const char *realm, int token_refused)
{
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   apr_pstrcat(r->pool, "Bearer realm=",
                               quoted(r->pool, realm ? realm : be->name),
                               token_refused ? ", error=\"invalid_token\"" : "",
                               NULL));
}

/* strip=on: the header is taken out, whichever backend won; kept for the
 * subrequests and redirects that authenticate again. */
static void bearer_hide(request_rec *r, const auth_backend *be)
{
    const bearer_conf *c = be->transport_ctx;
    const char *h = apr_table_get(r->headers_in, "Authorization");

    if (c && c->strip && h && bearer_value(h) && transport_strip_now(r)) {
        request_hide_token(r, &hidden_key, h);
        apr_table_unset(r->headers_in, "Authorization");
    }
}

const auth_backend_transport_provider transport_bearer = {
    bearer_configure,
    bearer_extract,
    bearer_login_response,
    bearer_logout_response,
    bearer_challenge,
    0,                          /* a browser never adds the header itself */
    bearer_hide,                /* strip=on */
    1                           /* one Authorization header for all */
};
