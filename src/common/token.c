/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * token.c — token syntax (base64url itself is b64url.c).  Everything a
 * client sends is checked here before it reaches a parser, a store or a
 * log line.
 */

#include "common/common.h"

#include "apr_lib.h"
#include "apr_random.h"
#include "apr_strings.h"

/* The characters of an RFC 6750 b64token, looked up once per byte on
 * every request. */
static const char b64token_chars[256] = {
    ['+'] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1, ['_'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

int token_is_b64token(const char *s, apr_size_t len)
{
    apr_size_t i = 0;

    if (len == 0 || len > TOKEN_MAX_LENGTH) {
        return 0;
    }
    while (i < len && b64token_chars[(unsigned char)s[i]]) {
        i++;
    }
    if (i == 0) {
        return 0;
    }
    for (; i < len; i++) {          /* only trailing '=' may follow */
        if (s[i] != '=') {
            return 0;
        }
    }
    return 1;
}

int token_is_opaque(const char *s)
{
    return strlen(s) == OPAQUE_TOKEN_LENGTH
           && b64url_is_canonical(s, OPAQUE_TOKEN_LENGTH);
}

apr_status_t token_generate_opaque(apr_pool_t *p, const char **token)
{
    unsigned char raw[OPAQUE_TOKEN_BYTES];
    apr_status_t rv = apr_generate_random_bytes(raw, sizeof(raw));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *token = b64url_encode(p, raw, sizeof(raw));
    return APR_SUCCESS;
}
