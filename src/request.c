/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * request.c — per-request state, kept in r->request_config (never as
 * pointers in r->notes) and allocated from r->pool, so it lives exactly as
 * long as the request.
 */

#include "auth_backend.h"

auth_backend_request *request_state_get(request_rec *r)
{
    return ap_get_module_config(r->request_config, &auth_backend_module);
}

auth_backend_request *request_state(request_rec *r)
{
    auth_backend_request *st = request_state_get(r);

    if (!st) {
        st = apr_pcalloc(r->pool, sizeof(*st));
        ap_set_module_config(r->request_config, &auth_backend_module, st);
    }
    return st;
}
