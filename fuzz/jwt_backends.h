/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * jwt_backends.h — the JWT backends both JWT harnesses read tokens with,
 * configured through the module's own directive handlers: the fastapi-users
 * default (HS256), HS512 with an issuer, two audiences, leeway and no
 * cache, RS256 from a private key and ES256 from a public key only.
 */

#ifndef AUTH_BACKEND_FUZZ_JWT_BACKENDS_H
#define AUTH_BACKEND_FUZZ_JWT_BACKENDS_H

#include "fuzz.h"

enum { JWT_HS256, JWT_HS512, JWT_RS256, JWT_ES256, JWT_BACKENDS };

#define JWT_ISSUER   "https://issuer.example"
#define JWT_LEEWAY   30

static const auth_backend *jwt_backend[JWT_BACKENDS];

static void jwt_backends(void)
{
    if (jwt_backend[0]) {
        return;
    }
    jwt_backend[JWT_HS256] = fuzz_backend("hs256", "bearer",
                                          "jwt secret=file:secret.txt");
    jwt_backend[JWT_HS512] = fuzz_backend(
        "hs512", "bearer", "jwt algorithm=HS512 secret=file:secret512.txt "
        "issuer=" JWT_ISSUER " audience=fastapi-users:auth audience=other "
        "leeway=30 cache=0");
    jwt_backend[JWT_RS256] = fuzz_backend("rs256", "bearer",
                                          "jwt algorithm=RS256 "
                                          "private-key=file:rsa.pem");
    jwt_backend[JWT_ES256] = fuzz_backend("es256", "bearer",
                                          "jwt algorithm=ES256 "
                                          "public-key=file:ec256-pub.pem");
}

#endif
