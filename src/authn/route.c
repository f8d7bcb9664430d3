/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * route.c — issuer routing: a location whose backends take tokens of
 * distinct issuers (AuthBackendProvider idp1 idp2 ... with issuer= on
 * each) hands a token only to the backends of the issuer it names.  The
 * others are not asked at all, so fifty issuers cost what one does: the
 * token is read once, its issuer found in a hash built at startup.
 *
 * The index is made at check_config for every AuthBackendProvider list of
 * the server configuration and every server that may use it (a virtual
 * host resolves names on its own), and found at request time by the list
 * itself, which merges pass on unchanged.  A list from .htaccess has no
 * index: its backends are tried one by one, which gives the same answer.
 */

#include "authn/authn.h"

#include "apr_strings.h"

#define ROUTE_LISTS_KEY "auth_backend_route_lists"

/* One group: the routable backends of a location that share a transport
 * whose every backend finds the same token (same_token). */
typedef struct {
    const auth_backend_transport_provider *transport;
    apr_hash_t *owners;         /* issuer -> char[n]: 1 at its positions */
} route_group;

struct backend_route {
    int n;
    int *group;                 /* per position: its group, or -1 */
    apr_array_header_t *groups; /* route_group */
};

/* names array -> apr_hash (server_rec * -> backend_route *), both keyed
 * by the address itself */
static apr_hash_t *routes;

#define ADDRESS_KEY_LEN sizeof(const void *)

static const void *address_key(apr_pool_t *p, const void *address)
{
    return apr_pmemdup(p, &address, ADDRESS_KEY_LEN);
}

void route_register(apr_pool_t *p, const apr_array_header_t *names)
{
    apr_array_header_t *lists = NULL;

    apr_pool_userdata_get((void **)&lists, ROUTE_LISTS_KEY, p);
    if (!lists) {
        lists = apr_array_make(p, 8, sizeof(const apr_array_header_t *));
        apr_pool_userdata_setn(lists, ROUTE_LISTS_KEY, NULL, p);
    }
    APR_ARRAY_PUSH(lists, const apr_array_header_t *) = names;
}

static const char *routable_issuer(const auth_backend *be)
{
    return be && be->transport->same_token && be->strategy->issuer
           && be->strategy->token_issuer ? be->strategy->issuer(be) : NULL;
}

static int group_of(apr_pool_t *p, backend_route *rt,
                    const auth_backend *be)
{
    route_group *g;
    int i;

    for (i = 0; i < rt->groups->nelts; i++) {
        g = &APR_ARRAY_IDX(rt->groups, i, route_group);
        if (g->transport == be->transport) {
            return i;
        }
    }
    g = apr_array_push(rt->groups);
    g->transport = be->transport;
    g->owners = apr_hash_make(p);
    return rt->groups->nelts - 1;
}

/* The index of NAMES as server S resolves them; NULL when fewer than two
 * of its backends can be routed (nothing to gain). */
static backend_route *route_build(apr_pool_t *p, const server_rec *s,
                                  const apr_array_header_t *names)
{
    backend_route *rt = apr_pcalloc(p, sizeof(*rt));
    int i, routable = 0;

    rt->n = names->nelts;
    rt->group = apr_palloc(p, sizeof(int) * (apr_size_t)rt->n);
    rt->groups = apr_array_make(p, 1, sizeof(route_group));
    for (i = 0; i < rt->n; i++) {
        const auth_backend *be =
            backend_find_in(s, APR_ARRAY_IDX(names, i, const char *));
        const char *iss = routable_issuer(be);
        route_group *g;
        char *owners;

        rt->group[i] = -1;
        if (!iss) {
            continue;
        }
        rt->group[i] = group_of(p, rt, be);
        g = &APR_ARRAY_IDX(rt->groups, rt->group[i], route_group);
        if (!(owners = apr_hash_get(g->owners, iss, APR_HASH_KEY_STRING))) {
            owners = apr_pcalloc(p, (apr_size_t)rt->n);
            apr_hash_set(g->owners, iss, APR_HASH_KEY_STRING, owners);
        }
        owners[i] = 1;
        routable++;
    }
    return routable >= 2 ? rt : NULL;
}

int route_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *lists = NULL;
    int i;

    (void)plog;
    (void)ptemp;
    routes = apr_hash_make(pconf);
    apr_pool_userdata_get((void **)&lists, ROUTE_LISTS_KEY, pconf);
    for (i = 0; lists && i < lists->nelts; i++) {
        const apr_array_header_t *names =
            APR_ARRAY_IDX(lists, i, const apr_array_header_t *);
        apr_hash_t *by_server = apr_hash_make(pconf);
        server_rec *vs;

        for (vs = s; vs; vs = vs->next) {
            backend_route *rt = route_build(pconf, vs, names);

            if (rt) {
                apr_hash_set(by_server, address_key(pconf, vs),
                             ADDRESS_KEY_LEN, rt);
            }
        }
        apr_hash_set(routes, address_key(pconf, names), ADDRESS_KEY_LEN,
                     by_server);
    }
    return OK;
}

const backend_route *route_for(request_rec *r,
                               const apr_array_header_t *names)
{
    const void *list = names, *server = r->server;
    apr_hash_t *by_server = routes ? apr_hash_get(routes, &list,
                                                  ADDRESS_KEY_LEN) : NULL;

    return by_server ? apr_hash_get(by_server, &server, ADDRESS_KEY_LEN)
                     : NULL;
}

/* ---- per request ---------------------------------------------------------- */

struct route_state {
    const backend_route *route;
    struct {
        int read;
        auth_backend_status st;
        const char *token;
        const char *owners;     /* NULL: the issuer routes nowhere */
    } *group;
};

route_state *route_start(request_rec *r, const apr_array_header_t *names)
{
    const backend_route *rt = route_for(r, names);
    route_state *rs;

    if (!rt) {
        return NULL;
    }
    rs = apr_pcalloc(r->pool, sizeof(*rs));
    rs->route = rt;
    rs->group = apr_pcalloc(r->pool, sizeof(*rs->group)
                                     * (apr_size_t)rt->groups->nelts);
    return rs;
}

int route_skip(request_rec *r, route_state *rs, int i, const auth_backend *be,
               auth_backend_status *st, const char **token)
{
    int g = rs && i < rs->route->n ? rs->route->group[i] : -1;

    if (g < 0) {
        return -1;
    }
    if (!rs->group[g].read) {
        const route_group *rg =
            &APR_ARRAY_IDX(rs->route->groups, g, route_group);
        const char *iss;

        rs->group[g].read = 1;
        rs->group[g].st = be->transport->extract(r, be, &rs->group[g].token);
        iss = rs->group[g].st == AUTH_BACKEND_OK && rs->group[g].token
              ? be->strategy->token_issuer(r, be, rs->group[g].token) : NULL;
        rs->group[g].owners = iss ? apr_hash_get(rg->owners, iss,
                                                 APR_HASH_KEY_STRING) : NULL;
    }
    *st = rs->group[g].st;
    *token = rs->group[g].token;
    return rs->group[g].owners && !rs->group[g].owners[i];
}
