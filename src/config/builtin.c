/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * builtin.c — the transports and strategies this module brings, one line
 * each.  register_hooks and the fuzz harnesses register them from here,
 * so a new transport or strategy is its own file plus one line below.
 */

#include "config/config.h"

#include "ap_provider.h"

/* GROUP (TRANSPORT or STRATEGY) and NAME: the provider is GROUP_NAME,
 * lower case, e.g. transport_bearer, defined in its own file. */
#define BUILTIN_PROVIDERS(X) \
    X(transport, TRANSPORT, bearer) \
    X(transport, TRANSPORT, cookie) \
    X(strategy,  STRATEGY,  jwt) \
    X(strategy,  STRATEGY,  dbd) \
    X(strategy,  STRATEGY,  redis)

#define DECLARE(kind, GROUP, name) \
    extern const auth_backend_##kind##_provider kind##_##name;
BUILTIN_PROVIDERS(DECLARE)
#undef DECLARE

void builtin_providers_register(apr_pool_t *p)
{
#define REGISTER(kind, GROUP, name) \
    ap_register_provider(p, AUTH_BACKEND_##GROUP##_GROUP, #name, \
                         AUTH_BACKEND_PROVIDER_VERSION, &kind##_##name);
    BUILTIN_PROVIDERS(REGISTER)
#undef REGISTER
}

/* The options each built-in provider takes, for a "did you mean" when an
 * option is unknown (scripts/check-docs.py checks these lists against
 * what the sources take). */
static const char *const none[] = { NULL };
static const char *const bearer_options[] = { "strip", NULL };
static const char *const cookie_options[] = {
    "domain", "httponly", "max-age", "name", "path", "samesite", "secure",
    "strip", NULL };
static const char *const jwt_options[] = {
    "algorithm", "audience", "cache", "discovery", "issuer", "jwks",
    "jwks-ca", "jwks-min-refresh", "jwks-refresh", "jwks-timeout", "leeway",
    "lifetime", "private-key", "public-key", "secret", NULL };
static const char *const dbd_options[] = {
    "cache", "create-table", "delete", "insert", "lifetime", "purge",
    "purge-interval", "select", "table", "timeout", NULL };
static const char *const redis_options[] = {
    "cache", "cache-lag", "lifetime", "password", "prefix",
    "sentinel-password", "timeout", "url", "user", NULL };

const char *const *builtin_options(const char *type)
{
    static const struct {
        const char *type;
        const char *const *options;
    } table[] = {
        { "bearer", bearer_options }, { "cookie", cookie_options },
        { "jwt", jwt_options }, { "dbd", dbd_options },
        { "redis", redis_options },
    };
    unsigned int i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (!strcmp(type, table[i].type)) {
            return table[i].options;
        }
    }
    return none;
}
