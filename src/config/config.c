/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * config.c — configuration: <AuthBackend NAME> sections (parsed like httpd's
 * <AuthnProviderAlias>), the per-directory directives, create/merge with
 * httpd's _set idiom, and the startup check that every backend a location
 * names exists.
 */

#include "config/config.h"
#include "authn/authn.h"
#include "browser/browser.h"
#include "common/common.h"
#include "handler/handler.h"
#include "identity/identity.h"
#include "throttle/throttle.h"

#include "ap_provider.h"
#include "http_core.h"
#include "http_main.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include <stdlib.h>

/* ---- create and merge ---------------------------------------------------- */

void *config_create_dir(apr_pool_t *p, char *dir)
{
    auth_backend_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->login_max_body = AUTH_BACKEND_DEFAULT_LOGIN_MAX_BODY;
    return conf;
}

void *config_merge_dir(apr_pool_t *p, void *basev, void *addv)
{
    auth_backend_dir_conf *base = basev, *add = addv;
    auth_backend_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->backend_names = add->backend_names ? add->backend_names
                                             : base->backend_names;
    conf->login_providers = add->login_providers ? add->login_providers
                                                 : base->login_providers;
    conf->login_max_body = add->login_max_body_set ? add->login_max_body
                                                   : base->login_max_body;
    conf->login_max_body_set = add->login_max_body_set
                               || base->login_max_body_set;
    conf->login_url = add->login_url ? add->login_url : base->login_url;
    conf->login_redirect = add->login_redirect ? add->login_redirect
                                               : base->login_redirect;
    conf->logout_redirect = add->logout_redirect ? add->logout_redirect
                                                 : base->logout_redirect;
    conf->trusted_origins = add->trusted_origins ? add->trusted_origins
                                                 : base->trusted_origins;
    authz_config_merge(p, conf, base, add);
    throttle_merge(conf, base, add);
    return conf;
}

void *config_create_server(apr_pool_t *p, server_rec *s)
{
    auth_backend_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)s;
    conf->backends = apr_hash_make(p);
    return conf;
}

/* A virtual host sees its own backends and, under other names, the main
 * server's. */
void *config_merge_server(apr_pool_t *p, void *basev, void *addv)
{
    auth_backend_server_conf *base = basev, *add = addv;
    auth_backend_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->backends = apr_hash_overlay(p, add->backends, base->backends);
    return conf;
}

/* ---- <AuthBackend NAME> --------------------------------------------------- */

static int backend_name_is_valid(const char *name)
{
    const char *c;

    for (c = name; *c; c++) {
        if (!apr_isalnum(*c) && *c != '-' && *c != '_' && *c != '.') {
            return 0;
        }
    }
    return c != name && c - name <= 64;
}

/* The one NAME of "<AuthBackend NAME>" (ARG up to END, its '>'). */
static const char *section_name(cmd_parms *cmd, const char *arg,
                                const char *end, const char **name)
{
    const char *args = apr_pstrndup(cmd->temp_pool, arg, end - arg);

    *name = ap_getword_conf(cmd->pool, &args);
    if (!**name) {
        return "<AuthBackend> needs a name: <AuthBackend NAME>";
    }
    if (*ap_getword_conf(cmd->temp_pool, &args)) {
        return "<AuthBackend> takes exactly one name";
    }
    if (!backend_name_is_valid(*name)) {
        return apr_psprintf(cmd->pool, "<AuthBackend %s>: a backend name is "
                            "1 to 64 letters, digits, '-', '_' or '.'",
                            *name);
    }
    return NULL;
}

const char *cmd_backend_section(cmd_parms *cmd, void *mconfig, const char *arg)
{
    const char *endp = ap_strrchr_c(arg, '>');
    auth_backend_server_conf *sconf =
        ap_get_module_config(cmd->server->module_config, &auth_backend_module);
    auth_backend_dir_conf *section_conf;
    ap_conf_vector_t *section_vector;
    const auth_backend *other;
    auth_backend *be;
    const char *name, *err;
    int old_override = cmd->override;

    (void)mconfig;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE))) {
        return err;
    }
    if (!endp) {
        return "<AuthBackend> directive missing closing '>'";
    }
    if ((err = section_name(cmd, arg, endp, &name))) {
        return err;
    }
    other = apr_hash_get(sconf->backends, name, APR_HASH_KEY_STRING);
    if (other && other->server == cmd->server) {
        return apr_psprintf(cmd->pool, "<AuthBackend %s> is already defined "
                            "at %s", name, other->defined_in);
    }

    be = apr_pcalloc(cmd->pool, sizeof(*be));
    be->name = name;
    be->server = cmd->server;
    be->defined_in = apr_psprintf(cmd->pool, "%s:%d",
                                  cmd->directive->filename,
                                  cmd->directive->line_num);

    /* The body is read into a fresh per-directory vector, as for
     * <AuthnProviderAlias>; our own slot in it carries the backend being
     * defined, which is how the lines inside know where they are. */
    section_vector = ap_create_per_dir_config(cmd->pool);
    section_conf = config_create_dir(cmd->pool, NULL);
    section_conf->section = be;
    ap_set_module_config(section_vector, &auth_backend_module, section_conf);

    cmd->override = OR_AUTHCFG | ACCESS_CONF;
    err = ap_walk_config(cmd->directive->first_child, cmd, section_vector);
    cmd->override = old_override;
    if (err) {
        return err;
    }
    if (!be->transport) {
        return apr_psprintf(cmd->pool, "<AuthBackend %s> needs an "
                            "AuthBackendTransport line (e.g. "
                            "'AuthBackendTransport bearer')", name);
    }
    if (!be->strategy) {
        return apr_psprintf(cmd->pool, "<AuthBackend %s> needs an "
                            "AuthBackendStrategy line (e.g. "
                            "'AuthBackendStrategy jwt secret=file:PATH')",
                            name);
    }
    if ((err = basic_bridge_register(cmd, be))) {
        return err;
    }
    be->sec_config = section_vector;
    apr_hash_set(sconf->backends, name, APR_HASH_KEY_STRING, be);
    return NULL;
}

/* The checks and lookups shared by AuthBackendTransport and
 * AuthBackendStrategy. */
static const char *not_in_section(cmd_parms *cmd)
{
    return apr_psprintf(cmd->pool, "%s is only allowed inside "
                        "<AuthBackend NAME>", cmd->cmd->name);
}

static const char *given_twice(cmd_parms *cmd, const auth_backend *be)
{
    return apr_psprintf(cmd->pool, "%s is given twice in <AuthBackend %s>",
                        cmd->cmd->name, be->name);
}

static int provider_name_cmp(const void *a, const void *b)
{
    return strcmp(((const ap_list_provider_names_t *)a)->provider_name,
                  ((const ap_list_provider_names_t *)b)->provider_name);
}

static const char *provider_lookup(cmd_parms *cmd, const char *group,
                                   const char *kind, const char *type,
                                   const void **provider)
{
    apr_array_header_t *known;
    const char *list = "";
    int i;

    *provider = ap_lookup_provider(group, type, AUTH_BACKEND_PROVIDER_VERSION);
    if (*provider) {
        return NULL;
    }
    known = ap_list_provider_names(cmd->temp_pool, group,
                                   AUTH_BACKEND_PROVIDER_VERSION);
    if (known) {        /* in a stable order, whatever the hash's */
        qsort(known->elts, known->nelts, known->elt_size, provider_name_cmp);
    }
    for (i = 0; known && i < known->nelts; i++) {
        list = apr_pstrcat(cmd->temp_pool, list, i ? ", " : "",
                           APR_ARRAY_IDX(known, i,
                                         ap_list_provider_names_t).provider_name,
                           NULL);
    }
    return apr_psprintf(cmd->pool, "%s: unknown %s '%s' (known: %s; is the "
                        "module that provides it loaded?)", cmd->cmd->name,
                        kind, type, list);
}

/* ERR from the provider's configure(), or an option it did not take. */
static const char *provider_configured(cmd_parms *cmd, const auth_backend *be,
                                       const char *type,
                                       const apr_array_header_t *opts,
                                       const char *err)
{
    if (!err) {
        err = options_unused(cmd->temp_pool, opts, builtin_options(type));
    }
    if (err) {
        return apr_psprintf(cmd->pool, "%s %s (backend '%s'): %s",
                            cmd->cmd->name, type, be->name, err);
    }
    return NULL;
}

const char *cmd_transport(cmd_parms *cmd, void *mconfig, const char *args)
{
    auth_backend *be = ((auth_backend_dir_conf *)mconfig)->section;
    const auth_backend_transport_provider *provider;
    apr_array_header_t *opts;
    const char *type, *err;

    if (!be) {
        return not_in_section(cmd);
    }
    if (be->transport) {
        return given_twice(cmd, be);
    }
    if ((err = options_parse(cmd, args, &type, &opts))
        || (err = provider_lookup(cmd, AUTH_BACKEND_TRANSPORT_GROUP,
                                  "transport", type,
                                  (const void **)&provider))) {
        return err;
    }
    err = provider->configure
        ? provider->configure(cmd, be, opts, &be->transport_ctx) : NULL;
    if ((err = provider_configured(cmd, be, type, opts, err))) {
        return err;
    }
    be->transport = provider;
    be->transport_name = type;
    return NULL;
}

const char *cmd_strategy(cmd_parms *cmd, void *mconfig, const char *args)
{
    auth_backend *be = ((auth_backend_dir_conf *)mconfig)->section;
    const auth_backend_strategy_provider *provider;
    apr_array_header_t *opts;
    const char *type, *err;

    if (!be) {
        return not_in_section(cmd);
    }
    if (be->strategy) {
        return given_twice(cmd, be);
    }
    if ((err = options_parse(cmd, args, &type, &opts))
        || (err = provider_lookup(cmd, AUTH_BACKEND_STRATEGY_GROUP,
                                  "strategy", type,
                                  (const void **)&provider))) {
        return err;
    }
    err = provider->configure
        ? provider->configure(cmd, be, opts, &be->strategy_ctx) : NULL;
    if ((err = provider_configured(cmd, be, type, opts, err))) {
        return err;
    }
    be->strategy = provider;
    be->strategy_name = type;
    return NULL;
}

/* ---- per-directory directives ------------------------------------------- */

/* Where a location names backends, remembered so that config_check() can
 * tell the administrator about a name that no <AuthBackend> defines, once
 * every section (in any order, in any virtual host) has been read. */
typedef struct {
    server_rec *server;
    const char *name;
    const char *file;
    int line;
} backend_reference;

#define BACKEND_REFERENCES_KEY "auth_backend_references"

const char *cmd_backend_provider(cmd_parms *cmd, void *mconfig,
                                 const char *arg)
{
    auth_backend_dir_conf *conf = mconfig;
    char **slot;

    if (conf->section) {
        return "AuthBackendProvider is not allowed inside <AuthBackend>";
    }
    if (!backend_name_is_valid(arg)) {
        return apr_psprintf(cmd->pool, "AuthBackendProvider: '%s' is not a "
                            "backend name",
                            arg);
    }
    if (!conf->backend_names) {
        conf->backend_names = apr_array_make(cmd->pool, 2, sizeof(char *));
        /* the server configuration's lists get an issuer index */
        if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_RUN_MPM) {
            route_register(cmd->pool, conf->backend_names);
        }
    }
    slot = apr_array_push(conf->backend_names);
    *slot = apr_pstrdup(cmd->pool, arg);

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_RUN_MPM) {
        /* .htaccess: every section is known by now */
        auth_backend_server_conf *sconf =
            ap_get_module_config(cmd->server->module_config,
                                 &auth_backend_module);
        if (!apr_hash_get(sconf->backends, arg, APR_HASH_KEY_STRING)) {
            return apr_psprintf(cmd->pool, "AuthBackendProvider: unknown "
                                "backend '%s'", arg);
        }
    }
    else {
        apr_array_header_t *refs = NULL;
        backend_reference *ref;

        apr_pool_userdata_get((void **)&refs, BACKEND_REFERENCES_KEY,
                              cmd->pool);
        if (!refs) {
            refs = apr_array_make(cmd->pool, 8, sizeof(backend_reference));
            apr_pool_userdata_setn(refs, BACKEND_REFERENCES_KEY, NULL,
                                   cmd->pool);
        }
        ref = apr_array_push(refs);
        ref->server = cmd->server;
        ref->name = *slot;
        ref->file = cmd->directive->filename;
        ref->line = cmd->directive->line_num;
    }
    return NULL;
}

const char *cmd_login_provider(cmd_parms *cmd, void *mconfig, const char *arg)
{
    auth_backend_dir_conf *conf = mconfig;
    login_provider *lp;

    if (conf->section) {
        return "AuthBackendLoginProvider is not allowed inside <AuthBackend>";
    }
    if (!conf->login_providers) {
        conf->login_providers = apr_array_make(cmd->pool, 2,
                                               sizeof(login_provider));
    }
    lp = apr_array_push(conf->login_providers);
    lp->name = apr_pstrdup(cmd->pool, arg);
    /* Resolved now, as mod_auth_basic does; an <AuthnProviderAlias> must
     * therefore come before its use. */
    lp->provider = ap_lookup_provider(AUTHN_PROVIDER_GROUP, arg,
                                      AUTHN_PROVIDER_VERSION);
    if (!lp->provider) {
        return apr_psprintf(cmd->pool, "AuthBackendLoginProvider: unknown "
                            "authn provider '%s' (load mod_authn_%s, or "
                            "define <AuthnProviderAlias> before this line)",
                            arg,
                            arg);
    }
    if (basic_bridge_is(lp->provider)) {
        return apr_psprintf(cmd->pool, "AuthBackendLoginProvider: '%s' is a "
                            "backend, which takes tokens, not passwords",
                            arg);
    }
    if (!lp->provider->check_password) {
        return apr_psprintf(cmd->pool, "AuthBackendLoginProvider: the authn "
                            "provider '%s' cannot check passwords", arg);
    }
    return NULL;
}

const char *cmd_login_max_body(cmd_parms *cmd, void *mconfig, const char *arg)
{
    auth_backend_dir_conf *conf = mconfig;
    apr_int64_t v;
    const char *err = option_int(cmd->pool, "AuthBackendLoginMaxBody", arg,
                                 64, 1048576, &v);
    if (err) {
        return err;
    }
    conf->login_max_body = (apr_off_t)v;
    conf->login_max_body_set = 1;
    return NULL;
}

/* AuthBackendLoginURL, AuthBackendLoginRedirect, AuthBackendLogoutRedirect:
 * a path of this site or an absolute http(s) URL, stored at the offset in
 * cmd->info.  These go into Location headers, so nothing that could split
 * or bend a header gets in. */
const char *cmd_redirect_url(cmd_parms *cmd, void *mconfig, const char *arg)
{
    auth_backend_dir_conf *conf = mconfig;
    const char *c;

    if (conf->section) {
        return apr_psprintf(cmd->pool, "%s is not allowed inside "
                            "<AuthBackend>", cmd->cmd->name);
    }
    for (c = arg; *c; c++) {
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f
            || *c == '\\') {
            break;
        }
    }
    if (*c || !*arg || (!browser_local_path(cmd->temp_pool, arg)
                        && !origin_normalize(cmd->temp_pool, arg, 0))) {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither a path of this "
                            "site ('/login') nor an http(s) URL; spaces, "
                            "control characters and non-ASCII must be "
                            "%%-encoded", cmd->cmd->name, arg);
    }
    *(const char **)((char *)conf + (apr_size_t)cmd->info) =
        apr_pstrdup(cmd->pool, arg);
    return NULL;
}

const char *cmd_trusted_origin(cmd_parms *cmd, void *mconfig, const char *arg)
{
    auth_backend_dir_conf *conf = mconfig;
    const char *origin;

    if (conf->section) {
        return "AuthBackendTrustedOrigin is not allowed inside <AuthBackend>";
    }
    if (!(origin = origin_normalize(cmd->pool, arg, 1))) {
        return apr_psprintf(cmd->pool, "AuthBackendTrustedOrigin: '%s' is "
                            "not an origin: scheme://host[:port] with scheme "
                            "http or https and no path", arg);
    }
    if (!conf->trusted_origins) {
        conf->trusted_origins = apr_array_make(cmd->pool, 2,
                                               sizeof(const char *));
    }
    APR_ARRAY_PUSH(conf->trusted_origins, const char *) = origin;
    return NULL;
}

/* ---- startup --------------------------------------------------------------- */

/* Runs after all configuration is read and virtual hosts are merged, also
 * under `apache2 -t`. */
int config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                 server_rec *s)
{
    apr_array_header_t *refs = NULL, *all;
    int i, failed = 0;

    (void)plog;
    apr_pool_userdata_get((void **)&refs, BACKEND_REFERENCES_KEY, pconf);
    for (i = 0; refs && i < refs->nelts; i++) {
        const backend_reference *ref =
            &APR_ARRAY_IDX(refs, i, backend_reference);
        auth_backend_server_conf *sconf =
            ap_get_module_config(ref->server->module_config,
                                 &auth_backend_module);
        if (!apr_hash_get(sconf->backends, ref->name, APR_HASH_KEY_STRING)) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         "%s:%d: AuthBackendProvider: unknown backend '%s': "
                         "define it with <AuthBackend %s> in the server "
                         "configuration%s", ref->file, ref->line, ref->name,
                         ref->name, ref->server->is_virtual
                                    ? " or in this virtual host" : "");
            failed = 1;
        }
    }

    all = backends_all(ptemp, s);
    for (i = 0; i < all->nelts; i++) {
        auth_backend *be = APR_ARRAY_IDX(all, i, auth_backend *);
        const char *err;

        if (be->strategy->check_config
            && (err = be->strategy->check_config(pconf, be->server, be))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         "%s: <AuthBackend %s>: %s", be->defined_in,
                         be->name, err);
            failed = 1;
        }
    }
    config_warn(ptemp, s);
    return failed ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

/* In the parent once the configuration is final (not under -t). */
int config_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *all;
    int i;

    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;              /* the first of the two startup passes */
    }
    all = backends_all(ptemp, s);
    for (i = 0; i < all->nelts; i++) {
        auth_backend *be = APR_ARRAY_IDX(all, i, auth_backend *);
        const char *err;

        if (be->strategy->post_config
            && (err = be->strategy->post_config(pconf, ptemp, be->server,
                                                be))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         "%s: <AuthBackend %s>: %s", be->defined_in,
                         be->name, err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

void config_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_array_header_t *all = backends_all(pchild, s);
    int i;

    for (i = 0; i < all->nelts; i++) {
        auth_backend *be = APR_ARRAY_IDX(all, i, auth_backend *);
        if (be->strategy->child_init) {
            be->strategy->child_init(pchild, be->server, be);
        }
    }
}
