/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * upgrade.c — strip=on and "Upgrade: h2c".  An HTTP/1.1 request that asks
 * to switch to HTTP/2 (curl --http2 on plain http) runs every hook up to
 * the handler as HTTP/1.1; then httpd's core handler switches the
 * connection, and mod_http2 answers the request as stream 1, built from
 * the HTTP/1.1 request's headers as they are then.  A token taken out
 * before that point is missing from stream 1, which authenticates on its
 * own.  So a request that the switch will take over keeps its token until
 * then: no handler of its own runs, and stream 1 takes the token out as
 * any request does.  Whether it will be taken over is asked the way the
 * core handler asks (ap_select_protocol); should it not be after all (a
 * later fixup removed the header), the handler below, which runs right
 * after the core one, takes the token out before any other handler.
 */

#include "transport/transport.h"

#include "http_core.h"
#include "http_protocol.h"

int transport_strip_now(request_rec *r)
{
    const char *upgrade = apr_table_get(r->headers_in, "Upgrade");
    const char *conn, *protocol;
    apr_array_header_t *offers = NULL;
    auth_backend_request *st;

    /* subrequests have copies of the headers; HTTP/2 streams cannot
     * switch */
    if (!upgrade || r->main || r->connection->master) {
        return 1;
    }
    st = request_state(r);
    conn = apr_table_get(r->headers_in, "Connection");
    if (st->strip_late || !conn || !ap_find_token(r->pool, conn, "upgrade")
        || ap_parse_token_list_strict(r->pool, upgrade, &offers, 0)
        || !offers || !offers->nelts) {
        return 1;
    }
    protocol = ap_select_protocol(r->connection, r, NULL, offers);
    if (!protocol || !strcmp(protocol, ap_get_protocol(r->connection))) {
        return 1;
    }
    if (!st->strip_deferred) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "the request switches "
                      "to %s: its token stays for the stream that answers "
                      "it", protocol);
    }
    st->strip_deferred = 1;
    return 0;
}

/* The request (R, or one it was redirected from) that kept its token for
 * a switch, or NULL. */
static request_rec *deferred(request_rec *r)
{
    for (; r; r = r->prev) {
        const auth_backend_request *st = request_state_get(r);

        if (st && st->strip_deferred) {
            return r;
        }
    }
    return NULL;
}

int transport_upgrade_handler(request_rec *r)
{
    request_rec *q = r->main ? NULL : deferred(r);
    const auth_backend_dir_conf *conf;
    int i;

    if (!q) {
        return DECLINED;
    }
    /* the core handler did not switch: an HTTP/1.1 handler comes next */
    request_state(r)->strip_late = 1;
    conf = ap_get_module_config(q->per_dir_config, &auth_backend_module);
    for (i = 0; conf->backend_names && i < conf->backend_names->nelts; i++) {
        const auth_backend *be =
            backend_find(r, APR_ARRAY_IDX(conf->backend_names, i,
                                          const char *));
        if (be && be->transport->hide) {
            be->transport->hide(r, be);
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "the request did not "
                  "switch protocols: its token is taken out now");
    return DECLINED;
}
