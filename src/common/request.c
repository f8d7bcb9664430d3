/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * request.c — per-request state, kept in r->request_config (never as
 * pointers in r->notes) and allocated from r->pool, so it lives exactly as
 * long as the request; and per-connection memos, in c->conn_config.
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

request_rec *request_initial(request_rec *r)
{
    for (;;) {
        if (r->main) {
            r = r->main;
        }
        else if (r->prev) {
            r = r->prev;
        }
        else {
            return r;
        }
    }
}

void request_hide_token(request_rec *r, const auth_backend *be,
                        const char *token)
{
    auth_backend_request *st = request_state(r);

    if (!st->hidden) {
        st->hidden = apr_table_make(r->pool, 1);
    }
    apr_table_setn(st->hidden, be->name, token);
}

/* A subrequest or an internal redirect copies the headers of the request
 * it comes from, after the token was removed from them; when it has to
 * authenticate again (another location, say), the token is found here. */
const char *request_hidden_token(request_rec *r, const auth_backend *be)
{
    for (r = r->main ? r->main : r->prev; r;
         r = r->main ? r->main : r->prev) {
        auth_backend_request *st = request_state_get(r);
        const char *token;

        if (st && st->hidden
            && (token = apr_table_get(st->hidden, be->name))) {
            return token;
        }
    }
    return NULL;
}

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

connection_memos *connection_memos_get(conn_rec *c)
{
    connection_memos *m;

    if (c->master) {
        return NULL;
    }
    if (!(m = ap_get_module_config(c->conn_config, &auth_backend_module))) {
        m = apr_pcalloc(c->pool, sizeof(*m));
        ap_set_module_config(c->conn_config, &auth_backend_module, m);
    }
    return m;
}
