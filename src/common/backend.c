/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * backend.c — finding the <AuthBackend> sections the configuration
 * defined: by name for a request, and every one of them for the startup
 * hooks.  Below everything that uses them, so that no area climbs back up
 * to the directive parser for a lookup.
 */

#include "auth_backend.h"

const auth_backend *backend_find_in(const server_rec *s, const char *name)
{
    auth_backend_server_conf *sconf =
        ap_get_module_config(s->module_config, &auth_backend_module);

    return apr_hash_get(sconf->backends, name, APR_HASH_KEY_STRING);
}

const auth_backend *backend_find(request_rec *r, const char *name)
{
    return backend_find_in(r->server, name);
}

/* Every <AuthBackend> once: a virtual host's table also holds the main
 * server's, so each is taken from the server it is defined in
 * (be->server). */
apr_array_header_t *backends_all(apr_pool_t *p, server_rec *s)
{
    apr_array_header_t *all = apr_array_make(p, 4, sizeof(auth_backend *));
    server_rec *vs;

    for (vs = s; vs; vs = vs->next) {
        auth_backend_server_conf *sconf =
            ap_get_module_config(vs->module_config, &auth_backend_module);
        apr_hash_index_t *hi;

        for (hi = apr_hash_first(p, sconf->backends); hi;
             hi = apr_hash_next(hi)) {
            auth_backend *be = apr_hash_this_val(hi);
            if (be->server == vs) {
                APR_ARRAY_PUSH(all, auth_backend *) = be;
            }
        }
    }
    return all;
}
