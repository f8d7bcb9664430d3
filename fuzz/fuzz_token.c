/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_token.c — token syntax and base64url (src/token.c): the checks every
 * token passes before it reaches a parser, a store or a log line.
 * Properties: strict decoding is the inverse of encoding (a string decodes
 * only if it is the canonical encoding of what it decodes to, and any
 * bytes survive encode + decode); an opaque token is exactly 43 canonical
 * characters decoding to 32 bytes; a b64token is 1*b64token-char *"=".
 */

#include "fuzz.h"

static int b64token_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || (c && strchr("-._~+/", c));
}

/* RFC 6750 §2.1, written out independently of token.c. */
static int is_b64token(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len && b64token_char(s[i])) {
        i++;
    }
    if (i == 0 || len > TOKEN_MAX_LENGTH) {
        return 0;
    }
    while (i < len && s[i] == '=') {
        i++;
    }
    return i == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *s;
    unsigned char *out = NULL;
    apr_ssize_t n;
    const char *again;

    fuzz_init();
    apr_pool_create(&p, fuzz_process_pool());
    s = fuzz_cstr(p, data, size);

    FUZZ_ASSERT(token_is_b64token((const char *)data, size)
                == is_b64token(data, size), "b64token of %zu bytes", size);

    /* the input as base64url text */
    n = b64url_decode(p, (const char *)data, size, &out);
    if (n >= 0) {
        FUZZ_ASSERT(out[n] == '\0', "decoded output is NUL-terminated");
        again = b64url_encode(p, out, (apr_size_t)n);
        FUZZ_ASSERT(strlen(again) == size && !memcmp(again, data, size),
                    "decode accepted a non-canonical spelling");
    }
    FUZZ_ASSERT(token_is_opaque(s) == (strlen(s) == OPAQUE_TOKEN_LENGTH
                                       && b64url_decode(p, s, strlen(s), &out)
                                          == OPAQUE_TOKEN_BYTES),
                "opaque token syntax");

    /* the input as bytes */
    again = b64url_encode(p, data, size);
    n = b64url_decode(p, again, strlen(again), &out);
    FUZZ_ASSERT(n == (apr_ssize_t)size && !memcmp(out, data, size),
                "encode + decode changed %zu bytes", size);
    FUZZ_ASSERT(strspn(again, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                              "qrstuvwxyz0123456789-_") == strlen(again),
                "encoding uses the url alphabet without padding");
    if (size == OPAQUE_TOKEN_BYTES) {
        FUZZ_ASSERT(token_is_opaque(again), "32 bytes make an opaque token");
    }

    apr_pool_destroy(p);
    return 0;
}
