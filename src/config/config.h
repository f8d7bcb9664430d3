/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * config.h — the directives of the core (config.c), the merges and the
 * hooks that walk every backend, and the built-in provider table
 * (builtin.c).
 */

#ifndef AUTH_BACKEND_CONFIG_H
#define AUTH_BACKEND_CONFIG_H

#include "auth_backend.h"

void *config_create_dir(apr_pool_t *p, char *dir);
void *config_merge_dir(apr_pool_t *p, void *basev, void *addv);
void *config_create_server(apr_pool_t *p, server_rec *s);
void *config_merge_server(apr_pool_t *p, void *basev, void *addv);

const char *cmd_backend_section(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_transport(cmd_parms *cmd, void *mconfig, const char *args);
const char *cmd_strategy(cmd_parms *cmd, void *mconfig, const char *args);
const char *cmd_backend_provider(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_login_provider(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_login_max_body(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_redirect_url(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_trusted_origin(cmd_parms *cmd, void *mconfig, const char *arg);

int config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                 server_rec *s);
int config_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s);
void config_child_init(apr_pool_t *pchild, server_rec *s);

/* ---- built-in providers (builtin.c) --------------------------------------- */

/* Registers every built-in transport and strategy in its provider group. */
void builtin_providers_register(apr_pool_t *p);
/* The option names a built-in transport or strategy TYPE takes (NULL-
 * terminated; empty for another module's provider). */
const char *const *builtin_options(const char *type);

/* ---- warnings at startup (config_warn.c) ----------------------------------- */

/* Warns, with file and line, about sections that `apache2 -t` accepts but
 * whose requests would fail closed: an AuthType that looks like a slip for
 * backend, and AuthBackendProvider where the AuthType is not backend. */
void config_warn(apr_pool_t *ptemp, server_rec *s);

#endif /* AUTH_BACKEND_CONFIG_H */
