/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * claims.c — what the Require providers and the application see of an
 * identity: the token's claims (the JSON payload the strategy returned,
 * parsed once per request) and, for names the token does not carry, the
 * columns of the user record (AuthBackendUserQuery).
 */

#include "auth_backend.h"

#include "apr_strings.h"

#include <jansson.h>
#include <stdlib.h>

auth_backend_request *identity_get(request_rec *r, request_rec **owner)
{
    request_rec *q;

    /* A subrequest or an internal redirect with the same configuration
     * copies r->user from the request it comes from without
     * authenticating again: the identity is that request's. */
    for (q = r; q && r->user; q = q->main ? q->main : q->prev) {
        auth_backend_request *st = request_state_get(q);

        if (st && st->backend && st->user == r->user) {
            *owner = q;
            return st;
        }
    }
    return NULL;
}

static apr_status_t json_release(void *j)
{
    json_decref(j);
    return APR_SUCCESS;
}

json_t *claims_token(request_rec *owner, auth_backend_request *st)
{
    json_error_t err;

    if (st->claims_json) {
        return st->claims_json;
    }
    if (st->claims) {
        st->claims_json = json_loads(st->claims, JSON_REJECT_DUPLICATES,
                                     &err);
        if (st->claims_json && !json_is_object(st->claims_json)) {
            json_decref(st->claims_json);
            st->claims_json = NULL;
        }
        if (!st->claims_json) {
            /* strategies hand over the payload they verified: only a
             * third-party strategy could get here */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, owner, "backend '%s': "
                          "its claims are not a JSON object: %s",
                          st->backend->name, err.text);
        }
    }
    if (!st->claims_json) {
        st->claims_json = json_object();    /* opaque tokens have none */
    }
    apr_pool_cleanup_register(owner->pool, st->claims_json, json_release,
                              apr_pool_cleanup_null);
    return st->claims_json;
}

/* PATH in OBJ: the member of that exact name (claim names may hold dots,
 * "https://example.com/roles"), else "a.b.c" through nested objects. */
static json_t *path_get(apr_pool_t *p, json_t *obj, const char *path)
{
    json_t *v = json_object_get(obj, path);
    char *copy, *part, *last;

    if (v || !strchr(path, '.')) {
        return v;
    }
    copy = apr_pstrdup(p, path);
    v = obj;
    for (part = apr_strtok(copy, ".", &last); part && v;
         part = apr_strtok(NULL, ".", &last)) {
        v = json_is_object(v) ? json_object_get(v, part) : NULL;
    }
    return v == obj ? NULL : v;
}

int claims_find(request_rec *r, const char *path, json_t **value)
{
    request_rec *owner = NULL;
    auth_backend_request *st = identity_get(r, &owner);
    int rs;

    *value = NULL;
    if (!st) {
        return RECORD_FOUND;
    }
    if ((*value = path_get(r->pool, claims_token(owner, st), path))) {
        return RECORD_FOUND;
    }
    if (!user_query_for(r, st->backend)) {
        return RECORD_FOUND;
    }
    rs = user_record(r, owner, st);
    if (rs == RECORD_FOUND) {
        *value = path_get(r->pool, st->record, path);
    }
    return rs == RECORD_UNKNOWN ? RECORD_FOUND : rs;
}

/* A scalar's JSON text, compared with TEXT. */
static int scalar_matches(const json_t *v, const char *text)
{
    char *dumped;
    int same;

    if (json_is_string(v)) {
        return json_string_length(v) == strlen(text)
               && !strcmp(json_string_value(v), text);
    }
    if (json_is_object(v) || json_is_array(v)) {
        return 0;
    }
    dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    same = dumped && !strcmp(dumped, text);
    free(dumped);
    return same;
}

int claim_matches(json_t *v, const char *text)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *item;

        json_array_foreach(v, i, item) {
            if (scalar_matches(item, text)) {
                return 1;
            }
        }
        return 0;
    }
    return v && scalar_matches(v, text);
}

const char *claim_text(apr_pool_t *p, json_t *v)
{
    char *dumped;
    const char *copy;

    if (json_is_string(v)) {
        return apr_pstrdup(p, json_string_value(v));
    }
    dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT
                           | JSON_PRESERVE_ORDER);
    copy = dumped ? apr_pstrdup(p, dumped) : NULL;
    free(dumped);
    return copy;
}
