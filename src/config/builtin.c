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
