/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * json.c — every body this module writes is JSON (jansson builds it, so
 * nothing is ever spliced in unescaped), including the error pages httpd
 * generates for requests this module answered with 401, 403 or 5xx.
 */

#include "common/common.h"

#include "http_core.h"
#include "mod_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"

#include <jansson.h>
#include <stdlib.h>

/* Serialises and releases J; the text is copied into P. */
static const char *json_text(apr_pool_t *p, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    const char *copy;

    json_decref(j);
    if (!s) {       /* only on allocation failure */
        return "{\"detail\":\"Internal Server Error\"}";
    }
    copy = apr_pstrdup(p, s);
    free(s);
    return copy;
}

const char *json_detail(apr_pool_t *p, const char *detail)
{
    return json_text(p, json_pack("{s:s}", "detail", detail));
}

const char *json_token_response(apr_pool_t *p, const char *token)
{
    return json_text(p, json_pack("{s:s,s:s}", "access_token", token,
                                  "token_type", "bearer"));
}

const char *json_field_errors(apr_pool_t *p, const apr_array_header_t *errors)
{
    json_t *detail = json_array();
    int i;

    for (i = 0; i < errors->nelts; i++) {
        const field_error *e = &APR_ARRAY_IDX(errors, i, field_error);
        json_t *item = json_pack("{s:s,s:[s,s],s:s}", "type", e->type,
                                 "loc", "body", e->field, "msg", e->msg);
        if (!strcmp(e->type, "missing")) {
            json_object_set_new(item, "input", json_null());
        }
        json_array_append_new(detail, item);
    }
    return json_text(p, json_pack("{s:o}", "detail", detail));
}

int json_respond(request_rec *r, int status, const char *body)
{
    r->status = status;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, (apr_off_t)strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
    }
    return OK;
}

/* The detail fastapi-users gives for the statuses this module produces. */
static const char *status_detail(int status)
{
    switch (status) {
    case HTTP_UNAUTHORIZED:           return "Unauthorized";
    case HTTP_FORBIDDEN:              return "Forbidden";
    case HTTP_INTERNAL_SERVER_ERROR:  return "Internal Server Error";
    case HTTP_SERVICE_UNAVAILABLE:    return "Service Unavailable";
    default:                          return NULL;
    }
}

void json_insert_error_filter(request_rec *r)
{
    auth_backend_request *st = request_state_get(r);
    const char *detail;

    if (!st || !st->json_errors || !(detail = status_detail(r->status))) {
        return;
    }
    /* An ErrorDocument of the administrator's wins. */
    if (ap_response_code_string(r, ap_index_of_response(r->status))) {
        return;
    }
    ap_custom_response(r, r->status, json_detail(r->pool, detail));
    ap_add_output_filter(AUTH_BACKEND_JSON_FILTER, NULL, r, r->connection);
}

/* httpd sets text/html on its error pages after insert_error_filter has
 * run; this filter sees the body on its way out and corrects the type
 * before the headers are written. */
apr_status_t json_error_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;

#if AP_MODULE_MAGIC_AT_LEAST(20120211, 132)
    ap_set_content_type_ex(r, "application/json", 1);
#else
    ap_set_content_type(r, "application/json");
#endif
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}
