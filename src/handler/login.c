/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * login.c — the auth-backend-login handler: fastapi-users' POST /login.
 * It reads the OAuth2 password form (username, password, grant_type) with
 * httpd's own form parser, checks the password with Apache's authn
 * providers (the provider loop of mod_auth_basic, so htpasswd files,
 * <AuthnProviderAlias> and mod_authn_dbd all work) and has the location's
 * first backend issue a token.
 */

#include "handler/handler.h"
#include "authn/authn.h"
#include "browser/browser.h"
#include "common/common.h"
#include "throttle/throttle.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "util_filter.h"

#include <jansson.h>

typedef struct {
    apr_off_t remaining;
} body_limit;

/* Stops reading a body (chunked ones included) once it exceeds
 * AuthBackendLoginMaxBody, instead of reading it to the end as
 * ap_parse_form_data() would. */
apr_status_t login_body_limit_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                     ap_input_mode_t mode,
                                     apr_read_type_e block,
                                     apr_off_t readbytes)
{
    body_limit *limit = f->ctx;
    apr_status_t rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    apr_off_t len = 0;

    if (rv != APR_SUCCESS || mode != AP_MODE_READBYTES) {
        return rv;
    }
    apr_brigade_length(bb, 1, &len);
    limit->remaining -= len;
    if (limit->remaining < 0) {
        apr_brigade_cleanup(bb);
        return APR_ENOSPC;
    }
    return APR_SUCCESS;
}

/* Answers a bad request (logged as REASON, unless NULL: already logged).
 * Unless the body was read, the connection is closed rather than reading
 * what may be a large body to keep it. */
static int refuse(request_rec *r, int status, const char *body,
                  int body_read, const char *reason, const char *why)
{
    if (reason) {
        audit_log(r, AUDIT_LOGIN_REJECTED, reason, NULL, NULL,
                  apr_psprintf(r->pool, "%d: %s", status, why), NULL);
    }
    if (!body_read && (apr_table_get(r->headers_in, "Content-Length")
                       || apr_table_get(r->headers_in, "Transfer-Encoding"))) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return json_respond(r, status, body);
}

static int is_form_content_type(const char *ct)
{
    static const char form[] = "application/x-www-form-urlencoded";

    if (!ct) {
        return 0;
    }
    while (apr_isspace(*ct)) {
        ct++;
    }
    if (strncasecmp(ct, form, sizeof(form) - 1)) {
        return 0;
    }
    ct += sizeof(form) - 1;
    while (apr_isspace(*ct)) {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

typedef struct {
    const char *name;
    const char *value;
    apr_size_t len;
    int duplicate;
} form_field;

enum { FIELD_USERNAME, FIELD_PASSWORD, FIELD_GRANT_TYPE, FIELD_NEXT,
       FIELD_COUNT };

static void field_problem(apr_array_header_t *errors, const char *field,
                          const char *type, const char *msg)
{
    field_error *e = apr_array_push(errors);

    e->field = field;
    e->type = type;
    e->msg = msg;
}

/* The problems of one value of a field: a NUL would cut the value short
 * for the authn provider; control characters and invalid UTF-8 have no
 * place in a user name (it goes into tokens and logs), while a password
 * is the provider's business. */
static void value_problems(apr_array_header_t *errors, const form_field *f)
{
    json_t *utf8;
    apr_size_t i;

    if (strlen(f->value) != f->len) {
        field_problem(errors, f->name, "value_error",
                      "Field contains a NUL character");
        return;
    }
    if (!strcmp(f->name, "password")) {
        return;
    }
    for (i = 0; i < f->len; i++) {
        if (apr_iscntrl(f->value[i])) {
            field_problem(errors, f->name, "value_error",
                          "Field contains control characters");
            return;
        }
    }
    if (!(utf8 = json_stringn(f->value, f->len))) {
        field_problem(errors, f->name, "value_error",
                      "Field is not valid UTF-8");
        return;
    }
    json_decref(utf8);
}

/* Picks the fields this handler knows out of PAIRS; the OAuth2 form's
 * scope, client_id and client_secret are accepted and ignored, as
 * fastapi-users does.  Returns the problems found, as FastAPI lists them
 * (an empty value counts as missing, as in FastAPI). */
static apr_array_header_t *form_fields(request_rec *r,
                                       apr_array_header_t *pairs,
                                       form_field *fields)
{
    apr_array_header_t *errors = apr_array_make(r->pool, 2,
                                                sizeof(field_error));
    int i, f;

    for (i = 0; i < pairs->nelts; i++) {
        ap_form_pair_t *pair = &APR_ARRAY_IDX(pairs, i, ap_form_pair_t);
        apr_off_t len;
        apr_size_t size;
        char *buf;

        for (f = 0; f < FIELD_COUNT && strcmp(pair->name, fields[f].name); f++)
            ;
        if (f == FIELD_COUNT) {
            continue;
        }
        if (fields[f].value) {
            fields[f].duplicate = 1;
            continue;
        }
        apr_brigade_length(pair->value, 1, &len);
        size = (apr_size_t)len;
        buf = apr_palloc(r->pool, size + 1);
        apr_brigade_flatten(pair->value, buf, &size);
        buf[size] = '\0';
        fields[f].value = buf;
        fields[f].len = size;
    }
    for (f = 0; f < FIELD_COUNT; f++) {
        if (f == FIELD_NEXT) {
            /* never a 422: an unusable next= only loses the redirect */
            continue;
        }
        if (fields[f].duplicate) {
            field_problem(errors, fields[f].name, "duplicate",
                          "Field given more than once");
        }
        else if (!fields[f].value || !fields[f].len) {
            fields[f].value = NULL;
            if (f != FIELD_GRANT_TYPE) {
                field_problem(errors, fields[f].name, "missing",
                              "Field required");
            }
        }
        else if (f == FIELD_GRANT_TYPE) {
            /* by length too: "password%00..." is not "password" */
            if (fields[f].len != sizeof("password") - 1
                || strcmp(fields[f].value, "password")) {
                field_problem(errors, "grant_type", "string_pattern_mismatch",
                              "String should match pattern '^password$'");
            }
        }
        else {
            value_problems(errors, &fields[f]);
        }
    }
    return errors;
}

/* Where a browser goes after a successful cookie login: the form's next=
 * if it is a path of this site (anything else could send the user to
 * another site that looks like this one), else AuthBackendLoginRedirect;
 * NULL: answer 204. */
static const char *login_destination(request_rec *r,
                                     const auth_backend_dir_conf *conf,
                                     const form_field *next)
{
    const char *to = NULL;

    if (next->duplicate) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "login: next= given "
                      "more than once: ignored");
    }
    else if (next->value && next->len) {
        to = strlen(next->value) == next->len
             ? browser_local_path(r->pool, next->value) : NULL;
        if (!to) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "login: next= (%"
                          APR_SIZE_T_FMT " bytes) is not a path of this "
                          "site: ignored", next->len);
        }
    }
    return to ? to : conf->login_redirect;
}

/* After a failed login, a person who used the login page gets it back,
 * told why (ERROR), and still on the way to where they were going. */
static const char *login_again(request_rec *r, const char *login_url,
                               const form_field *next, const char *error)
{
    const char *to = !next->duplicate && next->value
                     && strlen(next->value) == next->len
                     ? browser_local_path(r->pool, next->value) : NULL;

    return apr_pstrcat(r->pool, login_url,
                       ap_strchr_c(login_url, '?') ? "&" : "?",
                       "error=", error,
                       to ? "&next=" : "",
                       to ? browser_form_encode(r->pool, to) : "", NULL);
}

/* Answers a login that failed with STATUS and fastapi-users' ERROR code:
 * JSON, or the login page again for a person at a browser. */
static int login_refused(request_rec *r, const auth_backend_dir_conf *conf,
                         const form_field *next, int status,
                         const char *error)
{
    if (conf->login_url && browser_navigation(r)) {
        return browser_see_other(r, login_again(r, conf->login_url, next,
                                                error));
    }
    return json_respond(r, status, json_detail(r->pool, error));
}

/* The provider loop of mod_auth_basic: the first provider that knows the
 * user decides. */
static authn_status check_password(request_rec *r,
                                   const auth_backend_dir_conf *conf,
                                   const char *user, const char *password)
{
    authn_status res = AUTH_USER_NOT_FOUND;
    int i;

    if (!conf->login_providers) {
        const authn_provider *file =
            ap_lookup_provider(AUTHN_PROVIDER_GROUP, AUTHN_DEFAULT_PROVIDER,
                               AUTHN_PROVIDER_VERSION);
        if (!file || !file->check_password) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "no AuthBackendLoginProvider is set and the default "
                          "'file' provider (mod_authn_file) is not loaded");
            return AUTH_GENERAL_ERROR;
        }
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE,
                       AUTHN_DEFAULT_PROVIDER);
        res = file->check_password(r, user, password);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        return res;
    }
    for (i = 0; i < conf->login_providers->nelts; i++) {
        const login_provider *lp =
            &APR_ARRAY_IDX(conf->login_providers, i, login_provider);

        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, lp->name);
        res = lp->provider->check_password(r, user, password);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        if (res != AUTH_USER_NOT_FOUND) {
            break;
        }
    }
    return res;
}

/* The steps of a login answer GO_ON, or the answer to send: a refusal
 * that wrote its JSON body is OK, so OK cannot mean "go on". */
#define GO_ON DECLINED

/* A POST only, as fastapi-users' login route. */
static int login_method_not_allowed(request_rec *r)
{
    apr_table_setn(r->headers_out, "Allow", "POST");
    return refuse(r, HTTP_METHOD_NOT_ALLOWED,
                  json_detail(r->pool, "Method Not Allowed"), 0,
                  "method", apr_psprintf(r->pool, "method %s", r->method));
}

/* The backend that issues the token: the location's first. */
static const auth_backend *login_backend(request_rec *r,
                                         const auth_backend_dir_conf *conf)
{
    const auth_backend *be = NULL;

    if (!conf->backend_names
        || !(be = backend_find(r, APR_ARRAY_IDX(conf->backend_names, 0,
                                                const char *)))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s at %s needs an "
                      "AuthBackendProvider naming a defined backend",
                      AUTH_BACKEND_LOGIN_HANDLER, r->uri);
    }
    return be;
}

/* What must hold before the body is read: a request from this site when
 * the token would travel by itself, a form not over
 * AuthBackendLoginMaxBody.  GO_ON, or the answer. */
static int login_precheck(request_rec *r, const auth_backend_dir_conf *conf,
                          const auth_backend *be)
{
    const char *length;
    int rc;

    /* login CSRF: another site must not log the browser in (as the
     * attacker, say) with a token the browser then sends by itself */
    if (be->transport->ambient
        && (rc = csrf_check(r, conf, "login")) != OK) {
        return refuse(r, rc, json_detail(r->pool, "Forbidden"), 0, NULL,
                      "not sent from this site");
    }
    if (!is_form_content_type(apr_table_get(r->headers_in, "Content-Type"))) {
        return refuse(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                      json_detail(r->pool, "Unsupported Media Type"), 0,
                      "content_type",
                      "the body is not application/x-www-form-urlencoded");
    }
    length = apr_table_get(r->headers_in, "Content-Length");
    if (length && apr_atoi64(length) > conf->login_max_body) {
        return refuse(r, HTTP_REQUEST_ENTITY_TOO_LARGE,
                      json_detail(r->pool, "Request Entity Too Large"), 0,
                      "body_too_large",
                      "the body is larger than AuthBackendLoginMaxBody");
    }
    return GO_ON;
}

/* Reads the form, at most AuthBackendLoginMaxBody of it, into FIELDS:
 * GO_ON, or the answer. */
static int login_read_form(request_rec *r, const auth_backend_dir_conf *conf,
                           form_field *fields)
{
    apr_array_header_t *pairs = NULL, *problems;
    body_limit *limit = apr_palloc(r->pool, sizeof(*limit));
    int rc;

    limit->remaining = conf->login_max_body;
    ap_add_input_filter(AUTH_BACKEND_LIMIT_FILTER, limit, r, r->connection);
    rc = ap_parse_form_data(r, NULL, &pairs, -1,
                            (apr_size_t)conf->login_max_body);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return refuse(r, rc, json_detail(r->pool, "Request Entity Too Large"),
                      0, "body_too_large",
                      "the body is larger than AuthBackendLoginMaxBody");
    }
    if (rc != OK) {
        return refuse(r, HTTP_BAD_REQUEST, json_detail(r->pool, "Bad Request"),
                      0, "bad_body", "the body cannot be read");
    }
    problems = form_fields(r, pairs, fields);
    if (problems->nelts) {
        return refuse(r, HTTP_UNPROCESSABLE_ENTITY,
                      json_field_errors(r->pool, problems), 1,
                      "invalid_form", "a form field is missing or invalid");
    }
    return GO_ON;
}

/* The password check, throttled, in about the same time for an unknown
 * user as for a known one.  GO_ON, or the answer. */
static int login_check_user(request_rec *r, const auth_backend_dir_conf *conf,
                            const auth_backend *be, form_field *fields)
{
    const char *user = fields[FIELD_USERNAME].value;
    throttle_ticket *ticket;
    apr_time_t started;
    apr_int64_t wait;
    authn_status res;

    r->user = (char *)user;     /* for the providers and the access log */
    if ((wait = throttle_acquire(r, be, user, &ticket)) > 0) {
        apr_table_setn(r->headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT, wait));
        return login_refused(r, conf, &fields[FIELD_NEXT],
                             HTTP_TOO_MANY_REQUESTS, "LOGIN_THROTTLED");
    }
    started = apr_time_now();
    res = check_password(r, conf, user, fields[FIELD_PASSWORD].value);
    login_equalize_timing(res, apr_time_now() - started);
    throttle_settle(r, ticket, res);

    if (res == AUTH_USER_NOT_FOUND || res == AUTH_DENIED) {
        audit_log(r, AUDIT_LOGIN_FAILED,
                  res == AUTH_DENIED ? "wrong_password" : "unknown_user",
                  user, be, NULL, NULL);
        return login_refused(r, conf, &fields[FIELD_NEXT], HTTP_BAD_REQUEST,
                             "LOGIN_BAD_CREDENTIALS");
    }
    if (res != AUTH_GRANTED) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "login for user \"%s\": the authn provider failed",
                      user);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return GO_ON;
}

int login_handler(request_rec *r)
{
    form_field fields[FIELD_COUNT] = {
        { "username", NULL, 0, 0 }, { "password", NULL, 0, 0 },
        { "grant_type", NULL, 0, 0 }, { "next", NULL, 0, 0 }
    };
    auth_backend_dir_conf *conf;
    const auth_backend *be;
    const char *user, *token = NULL, *to;
    auth_backend_status st;
    int rc;

    if (!r->handler || strcmp(r->handler, AUTH_BACKEND_LOGIN_HANDLER)) {
        return DECLINED;
    }
    request_state(r)->json_errors = 1;
    conf = ap_get_module_config(r->per_dir_config, &auth_backend_module);
    if (r->method_number != M_POST) {
        return login_method_not_allowed(r);
    }
    if (!(be = login_backend(r, conf))) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((rc = login_precheck(r, conf, be)) != GO_ON
        || (rc = login_read_form(r, conf, fields)) != GO_ON
        || (rc = login_check_user(r, conf, be, fields)) != GO_ON) {
        return rc;
    }
    user = fields[FIELD_USERNAME].value;
    st = be->strategy->write(r, be, user, &token);
    if (st != AUTH_BACKEND_OK) {
        return status_for(st) == HTTP_UNAUTHORIZED
               ? HTTP_INTERNAL_SERVER_ERROR : status_for(st);
    }
    audit_log(r, AUDIT_LOGIN_SUCCEEDED, NULL, user, be, NULL, NULL);
    rc = be->transport->login_response(r, be, token);
    if (rc == OK && be->transport->ambient && r->status == HTTP_NO_CONTENT
        && (to = login_destination(r, conf, &fields[FIELD_NEXT]))) {
        return browser_see_other(r, to);
    }
    return rc;
}
