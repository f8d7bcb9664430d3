/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * mod_auth_backend.c — token authentication for Apache httpd 2.4 after the
 * authentication backends of fastapi-users: a backend is a transport
 * (where the token travels) plus a strategy (how it is made and checked).
 *
 * This file is glue only: the module record, the directive table and the
 * hooks.  The work lives in src/, one concern per file.
 */

#include "authn/authn.h"
#include "common/common.h"
#include "config/config.h"
#include "handler/handler.h"
#include "identity/identity.h"
#include "throttle/throttle.h"
#include "transport/transport.h"

#include "ap_provider.h"
#include "http_request.h"
#include "util_filter.h"

#include <stddef.h>

static const command_rec auth_backend_cmds[] = {
    AP_INIT_RAW_ARGS("<AuthBackend", cmd_backend_section, NULL, RSRC_CONF,
                     "a named backend: <AuthBackend NAME> holding an "
                     "AuthBackendTransport and an AuthBackendStrategy line"),
    AP_INIT_RAW_ARGS("AuthBackendTransport", cmd_transport, NULL,
                     RSRC_CONF | ACCESS_CONF,
                     "where the token travels: TYPE [key=value ...], "
                     "inside <AuthBackend>"),
    AP_INIT_RAW_ARGS("AuthBackendStrategy", cmd_strategy, NULL,
                     RSRC_CONF | ACCESS_CONF,
                     "how the token is made and checked: TYPE [key=value "
                     "...], inside <AuthBackend>"),
    AP_INIT_ITERATE("AuthBackendProvider", cmd_backend_provider, NULL,
                    OR_AUTHCFG,
                    "the backends of this location, tried in order"),
    AP_INIT_ITERATE("AuthBackendLoginProvider", cmd_login_provider, NULL,
                    OR_AUTHCFG,
                    "the authn providers that check passwords at login "
                    "(default: file)"),
    AP_INIT_TAKE1("AuthBackendLoginMaxBody", cmd_login_max_body, NULL,
                  OR_AUTHCFG,
                  "the largest login body accepted, in bytes (default 8192)"),
    AP_INIT_TAKE1("AuthBackendLoginURL", cmd_redirect_url,
                  (void *)offsetof(auth_backend_dir_conf, login_url),
                  OR_AUTHCFG,
                  "the login page an unauthenticated browser is sent to"),
    AP_INIT_TAKE1("AuthBackendLoginRedirect", cmd_redirect_url,
                  (void *)offsetof(auth_backend_dir_conf, login_redirect),
                  OR_AUTHCFG,
                  "where a cookie login without a usable next= goes "
                  "(default: 204, no redirect)"),
    AP_INIT_TAKE1("AuthBackendLogoutRedirect", cmd_redirect_url,
                  (void *)offsetof(auth_backend_dir_conf,
                                       logout_redirect),
                  OR_AUTHCFG,
                  "where a browser is sent after logout"),
    AP_INIT_ITERATE("AuthBackendTrustedOrigin", cmd_trusted_origin, NULL,
                    OR_AUTHCFG,
                    "other origins (scheme://host[:port]) allowed to send "
                    "unsafe requests with a cookie"),
    AP_INIT_TAKE12("AuthBackendUserQuery", cmd_user_query, NULL, ACCESS_CONF,
                   "SQL that loads the user record, with one parameter (the "
                   "user id), through mod_dbd, and optionally timeout=MS "
                   "(PostgreSQL); in a location or <AuthBackend>"),
    AP_INIT_FLAG("AuthBackendOptional", cmd_optional, NULL, OR_AUTHCFG,
                 "On: a valid token authenticates requests that no Require "
                 "line needs a user for; without one they go on anonymously"),
    AP_INIT_TAKE1("AuthBackendPassClaims", cmd_pass_claims, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "none, env, headers or both: how the application gets the "
                  "claims (default none)"),
    AP_INIT_TAKE2("AuthBackendClaimPrefix", cmd_claim_prefix, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "env|headers PREFIX: names of the claims passed (default "
                  "AUTH_CLAIM_ and X-Auth-Claim-)"),
    AP_INIT_TAKE1("AuthBackendUserHeader", cmd_user_header, NULL,
                  RSRC_CONF | OR_AUTHCFG,
                  "a request header that carries the user to the "
                  "application (removed from what clients send)"),
    AP_INIT_RAW_ARGS("AuthBackendLoginThrottle", cmd_login_throttle, NULL,
                     RSRC_CONF | ACCESS_CONF,
                     "FAILURES PERIOD, or user=FAILURES/PERIOD and/or "
                     "address=FAILURES/PERIOD, or off: failed logins allowed "
                     "per user name and client address before 429"),
    AP_INIT_TAKE1("AuthBackendThrottleCache", cmd_throttle_cache, NULL,
                  RSRC_CONF,
                  "the socache provider[:args] that keeps the login "
                  "throttle's counters (default shmcb)"),
    { NULL, { NULL }, NULL, 0, 0, NULL }
};

/* Before the application sees the request: remove what a client may not
 * claim, then let an AuthBackendOptional location find its user, then pass
 * on the identity.  The order lives here, where both areas are seen. */
static int fixups(request_rec *r)
{
    identity_scrub(r);
    optional_authenticate(r);
    return identity_pass(r);
}

static void register_hooks(apr_pool_t *p)
{
    /* strategies register mod_watchdog callbacks in post_config, and
     * create their tables in child_init before mod_dbd opens its pool */
    static const char *const before_watchdog[] = { "mod_watchdog.c", NULL };
    static const char *const before_dbd[] = { "mod_dbd.c", NULL };
    static const char *const before_rewrite[] = { "mod_rewrite.c", NULL };
    static const char *const after_core[] = { "core.c", NULL };

    builtin_providers_register(p);
    authz_register(p);
    throttle_register_hooks(p);

    ap_hook_check_config(config_check, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(user_query_check_config, NULL, NULL,
                         APR_HOOK_MIDDLE);
    ap_hook_check_config(route_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(identity_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(basic_bridge_check_config, NULL, NULL,
                         APR_HOOK_MIDDLE);
    ap_hook_post_config(config_post_config, NULL, before_watchdog,
                        APR_HOOK_MIDDLE);
    ap_hook_post_config(login_timing_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    ap_hook_child_init(config_child_init, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_check_authn(authn_check, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(authn_note_failure, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_header_parser(identity_header_parser, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_check_access(identity_check_access, NULL, NULL, APR_HOOK_FIRST,
                         AP_AUTH_INTERNAL_PER_CONF);
    /* before mod_rewrite's per-directory rules and mod_headers */
    ap_hook_fixups(fixups, NULL, before_rewrite, APR_HOOK_FIRST);
    /* right after the core handler that switches to HTTP/2 */
    ap_hook_handler(transport_upgrade_handler, after_core, NULL,
                    APR_HOOK_REALLY_FIRST);
    ap_hook_handler(login_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(logout_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(json_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_register_output_filter(AUTH_BACKEND_JSON_FILTER, json_error_filter,
                              NULL, AP_FTYPE_CONTENT_SET);
    ap_register_input_filter(AUTH_BACKEND_LIMIT_FILTER,
                             login_body_limit_filter, NULL, AP_FTYPE_RESOURCE);
}

/* The only symbol the module exports (it is built with hidden visibility). */
__attribute__((visibility("default")))
module AP_MODULE_DECLARE_DATA auth_backend_module = {
    STANDARD20_MODULE_STUFF,
    config_create_dir,
    config_merge_dir,
    config_create_server,
    config_merge_server,
    auth_backend_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE
};
