/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * claims.c — what the Require providers and the application see of an
 * identity: the token's claims (the JSON payload the strategy returned,
 * parsed once per request) and, for names the token does not carry, the
 * columns of the user record (AuthBackendUserQuery).
 */

#include "identity/identity.h"
#include "common/common.h"

#include <jansson.h>

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

int claims_find(request_rec *r, const char *path, json_t **value)
{
    request_rec *owner = NULL;
    auth_backend_request *st = identity_get(r, &owner);
    int rs;

    *value = NULL;
    if (!st) {
        return RECORD_FOUND;
    }
    if ((*value = claim_path(r->pool, claims_token(owner, st), path))) {
        return RECORD_FOUND;
    }
    if (!user_query_for(r, st->backend)) {
        return RECORD_FOUND;
    }
    rs = user_record(r, owner, st);
    if (rs == RECORD_FOUND) {
        *value = claim_path(r->pool, st->record, path);
    }
    return rs == RECORD_UNKNOWN ? RECORD_FOUND : rs;
}

