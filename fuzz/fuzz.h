/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz.h — what the libFuzzer harnesses share: a process-wide fixture
 * (server, connection, requests, backends configured through the module's
 * own directive handlers), log capture, and property checks that do not
 * trust the code under test.  The module's sources are compiled unchanged;
 * fuzz/stubs.c stands in for the few httpd functions they call.
 */

#ifndef AUTH_BACKEND_FUZZ_H
#define AUTH_BACKEND_FUZZ_H

/* a harness reaches into any area of the module */
#include "authn/authn.h"
#include "browser/browser.h"
#include "common/common.h"
#include "config/config.h"
#include "handler/handler.h"
#include "identity/identity.h"
#include "throttle/throttle.h"
#include "transport/transport.h"

#include "apr_strings.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A failed property: report it the way a sanitizer would, and let
 * libFuzzer save the input. */
#define FUZZ_ASSERT(cond, ...)                                           \
    do {                                                                 \
        if (!(cond)) {                                                   \
            fprintf(stderr, "FUZZ PROPERTY FAILED at %s:%d: %s: ",       \
                    __FILE__, __LINE__, #cond);                          \
            fprintf(stderr, __VA_ARGS__);                                \
            fputc('\n', stderr);                                         \
            abort();                                                     \
        }                                                                \
    } while (0)

/* Once per process: APR, the server, the providers, the key sandbox. */
void fuzz_init(void);
/* The process pool (backends live there, as in the config pool). */
apr_pool_t *fuzz_process_pool(void);

/* A directory with key files (secret.txt, secret512.txt, rsa.pem,
 * rsa-pub.pem, ec256.pem, ec256-pub.pem), made at startup; relative
 * file: paths in options resolve there, and nothing outside it can be
 * read (see ap_server_root_relative in stubs.c). */
const char *fuzz_sandbox(void);
/* The HS256 secret in secret.txt and the HS512 one in secret512.txt. */
#define FUZZ_SECRET     "fuzz-hs256-secret-0123456789abcdef"
#define FUZZ_SECRET512  "fuzz-hs512-secret-0123456789abcdef0123456789abcdef0123456789abcd"

/* A request in P for "GET /" on the fuzz server: empty headers, a
 * per-directory configuration of this module with defaults. */
request_rec *fuzz_request(apr_pool_t *p);
auth_backend_dir_conf *fuzz_dir_conf(request_rec *r);
/* A subrequest of R, with a copy of R's headers_in (as httpd makes one). */
request_rec *fuzz_subrequest(request_rec *r);

/* cmd_parms for directive NAME in P, as httpd gives it to a handler. */
cmd_parms *fuzz_cmd(apr_pool_t *p, const char *name);

/* Defines <AuthBackend NAME> with the given AuthBackendTransport and
 * AuthBackendStrategy arguments through the module's own directive
 * handlers, runs the strategy's child_init and makes it visible to
 * backend_find().  Aborts on a configuration error. */
auth_backend *fuzz_backend(const char *name, const char *transport,
                           const char *strategy);

/* The built-in providers (config/builtin.c), as register_hooks does. */
void fuzz_register_providers(void);

/* Every log line since fuzz_log_reset(), formatted, one per line.  Set
 * FUZZ_LOG=1 in the environment to see them on stderr as well. */
void fuzz_log_reset(void);
const char *fuzz_log_text(void);

/* The request body ap_parse_form_data() reads (stubs.c). */
void fuzz_set_body(const char *data, apr_size_t len);
/* What the handler wrote with ap_rwrite() (stubs.c). */
void fuzz_response_reset(void);
const char *fuzz_response_body(apr_size_t *len);

/* NUL-terminated copy of fuzz input DATA in P. */
char *fuzz_cstr(apr_pool_t *p, const uint8_t *data, size_t size);

/* Oracle for redirect targets, independent of browser.c: S starts with
 * '/', not with "//" or "/\", holds no control character or backslash,
 * and neither does any string it percent-decodes to, however often. */
int fuzz_path_is_safe(apr_pool_t *p, const char *s);
/* Decodes %XX (both hex digits) in place and, when FORM, '+' as a space;
 * returns the number of escapes decoded, or -1 when one decodes to NUL. */
int fuzz_percent_decode(char *s, int form);

#endif /* AUTH_BACKEND_FUZZ_H */
