/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * scrub.c — identity headers come from this server only.
 *
 * A header is only worth something if the client cannot send it: every
 * user header (AuthBackendUserHeader) and every claim header prefix
 * (AuthBackendClaimPrefix headers) named anywhere in the configuration is
 * removed from every request, whichever location it was named in, before
 * anything reads it (header_parser, and again in fixups for subrequests,
 * which skip header_parser): whether it authenticates, fails to, or is not
 * protected at all.  A nested section that names another header therefore
 * adds to what is removed, never replaces it.  The names are collected
 * while the configuration is read; those of .htaccess files, read per
 * request, travel in the merged directory configuration instead.
 *
 * '-' and '_' count as the same character, since CGI, WSGI and many
 * proxies map both to '_' (mod_auth_openidc#222 was a spoofed claim
 * header that reached the app).
 */

#include "identity/identity.h"

#include "http_core.h"
#include "http_main.h"
#include "apr_lib.h"
#include "apr_strings.h"

#define NAMES_KEY "auth_backend_identity_names"

/* Every name of the server configuration, once it is read (check_config);
 * NULL again when its pool goes. */
static const apr_array_header_t *config_names;

int identity_has_prefix(const char *name, const char *prefix)
{
    for (; *prefix; prefix++, name++) {
        int a = *name == '_' ? '-' : apr_tolower(*name);
        int b = *prefix == '_' ? '-' : apr_tolower(*prefix);

        if (a != b) {
            return 0;           /* also at the end of NAME */
        }
    }
    return 1;
}

static int same_name(const char *a, const char *b)
{
    return strlen(a) == strlen(b) && identity_has_prefix(a, b);
}

static int listed(const apr_array_header_t *names, const char *name,
                  int prefix)
{
    int i;

    for (i = 0; names && i < names->nelts; i++) {
        const identity_name *n = &APR_ARRAY_IDX(names, i, identity_name);

        if (n->prefix == prefix && same_name(n->name, name)) {
            return 1;
        }
    }
    return 0;
}

static void push_name(apr_pool_t *p, apr_array_header_t **names,
                      cmd_parms *cmd, const char *name, int prefix)
{
    identity_name *n;

    if (listed(*names, name, prefix)) {
        return;
    }
    if (!*names) {
        *names = apr_array_make(p, 4, sizeof(identity_name));
    }
    n = apr_array_push(*names);
    n->name = name;
    n->prefix = prefix;
    n->file = cmd->directive->filename;
    n->line = cmd->directive->line_num;
}

/* A user header under a claim prefix could be written by a claim. */
static const char *overlap(apr_pool_t *p, const char *name, int prefix,
                           const apr_array_header_t *names)
{
    int i;

    if (!prefix && identity_has_prefix(name, DEFAULT_HEADER_PREFIX)) {
        return apr_psprintf(p, "AuthBackendUserHeader %s starts with the "
                            "default claim header prefix %s, so a claim "
                            "could set it; choose another name, e.g. "
                            "X-Remote-User", name, DEFAULT_HEADER_PREFIX);
    }
    for (i = 0; names && i < names->nelts; i++) {
        const identity_name *n = &APR_ARRAY_IDX(names, i, identity_name);

        if (n->prefix == prefix) {
            continue;
        }
        if (!prefix && identity_has_prefix(name, n->name)) {
            return apr_psprintf(p, "AuthBackendUserHeader %s starts with "
                                "the claim header prefix %s (%s:%d), so a "
                                "claim could set it; choose names that do "
                                "not overlap", name, n->name, n->file,
                                n->line);
        }
        if (prefix && identity_has_prefix(n->name, name)) {
            return apr_psprintf(p, "AuthBackendClaimPrefix headers %s: the "
                                "AuthBackendUserHeader %s (%s:%d) starts "
                                "with it, so a claim could set it; choose "
                                "names that do not overlap", name, n->name,
                                n->file, n->line);
        }
    }
    return NULL;
}

const char *identity_name_add(cmd_parms *cmd, auth_backend_dir_conf *conf,
                              const char *name, int prefix)
{
    apr_array_header_t *names = NULL;
    const char *err;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_RUN_MPM) {
        /* .htaccess: the server configuration's names are all known */
        if ((err = overlap(cmd->pool, name, prefix, config_names))
            || (err = overlap(cmd->pool, name, prefix, conf->scrub_extra))) {
            return err;
        }
        names = (apr_array_header_t *)conf->scrub_extra;
        push_name(cmd->pool, &names, cmd, name, prefix);
        conf->scrub_extra = names;
        return NULL;
    }
    if (!prefix && (err = overlap(cmd->pool, name, 0, NULL))) {
        return err;
    }
    apr_pool_userdata_get((void **)&names, NAMES_KEY, cmd->pool);
    push_name(cmd->pool, &names, cmd, name, prefix);
    apr_pool_userdata_setn(names, NAMES_KEY, NULL, cmd->pool);
    return NULL;
}

const apr_array_header_t *identity_names_merge(apr_pool_t *p,
                                               const apr_array_header_t *base,
                                               const apr_array_header_t *add)
{
    if (!base || !add || base == add) {
        return add ? add : base;
    }
    return apr_array_append(p, base, add);
}

static apr_status_t forget_names(void *unused)
{
    (void)unused;
    config_names = NULL;
    return APR_SUCCESS;
}

int identity_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *names = NULL;
    int i, failed = 0;

    (void)plog;
    apr_pool_userdata_get((void **)&names, NAMES_KEY, pconf);
    for (i = 0; names && i < names->nelts; i++) {
        const identity_name *n = &APR_ARRAY_IDX(names, i, identity_name);
        const char *err;

        if (!n->prefix && (err = overlap(ptemp, n->name, 0, names))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s:%d: %s",
                         n->file, n->line, err);
            failed = 1;
        }
    }
    config_names = names;
    apr_pool_cleanup_register(pconf, NULL, forget_names,
                              apr_pool_cleanup_null);
    return failed ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

/* A .htaccess sees only its own names while it is read; what it adds
 * to its parents' is checked here, on the requests that pass an
 * identity. */
int identity_names_overlap(request_rec *r, const auth_backend_dir_conf *conf)
{
    const apr_array_header_t *extra = conf->scrub_extra;
    int i;

    for (i = 0; i < extra->nelts; i++) {
        const identity_name *n = &APR_ARRAY_IDX(extra, i, identity_name);
        const char *err = overlap(r->pool, n->name, n->prefix, extra);

        if (err || (err = overlap(r->pool, n->name, n->prefix,
                                  config_names))) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "%s:%d: %s", n->file,
                          n->line, err);
            return 1;
        }
    }
    return 0;
}

/* K is one of the identity headers of NAMES. */
static int doomed_by(const char *k, const apr_array_header_t *names)
{
    int i;

    for (i = 0; names && i < names->nelts; i++) {
        const identity_name *n = &APR_ARRAY_IDX(names, i, identity_name);

        if (n->prefix ? identity_has_prefix(k, n->name)
                      : same_name(k, n->name)) {
            return 1;
        }
    }
    return 0;
}

void identity_scrub(request_rec *r)
{
    const auth_backend_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &auth_backend_module);
    const apr_array_header_t *elts = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)elts->elts;
    apr_array_header_t *doomed = NULL;
    int i;

    for (i = 0; i < elts->nelts; i++) {
        const char *k = e[i].key;

        /* the default prefix too: an application may read it wherever
         * no prefix is configured */
        if (k && (identity_has_prefix(k, DEFAULT_HEADER_PREFIX)
                  || doomed_by(k, config_names)
                  || doomed_by(k, conf->scrub_extra))) {
            if (!doomed) {
                doomed = apr_array_make(r->pool, 2, sizeof(const char *));
            }
            APR_ARRAY_PUSH(doomed, const char *) = k;
        }
    }
    if (!doomed) {
        return;
    }
    /* from the client on the first pass; later ones see this module's
     * own headers of the request they derive from */
    ap_log_rerror(APLOG_MARK, r->main || r->prev ? APLOG_TRACE1 : APLOG_INFO,
                  0, r, "removed %d request header%s (%s%s): identity "
                  "headers come from this server only", doomed->nelts,
                  doomed->nelts > 1 ? "s" : "",
                  APR_ARRAY_IDX(doomed, 0, const char *),
                  doomed->nelts > 1 ? ", ..." : "");
    for (i = 0; i < doomed->nelts; i++) {
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(doomed, i, const char *));
    }
}

int identity_header_parser(request_rec *r)
{
    identity_scrub(r);
    return DECLINED;
}

/* Subrequests skip header_parser; a .htaccess of theirs may name more. */
int identity_check_access(request_rec *r)
{
    if (r->main) {
        identity_scrub(r);
    }
    return DECLINED;
}
