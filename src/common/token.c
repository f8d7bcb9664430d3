/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * token.c — token syntax and base64url.  Everything a client sends is
 * checked here before it reaches a parser, a store or a log line.
 */

#include "common/common.h"

#include "apr_base64.h"
#include "apr_lib.h"
#include "apr_random.h"
#include "apr_strings.h"

static int is_b64url_char(unsigned char c)
{
    return apr_isalnum(c) || c == '-' || c == '_';
}

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

/* The value of a base64 digit, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* A base64url string without padding is canonical when its length is not
 * 1 mod 4 and the bits below the last full byte are zero; anything else
 * has several spellings, which RFC 7515 §2 and RFC 8725 do not allow. */
static int b64url_is_canonical(const char *in, apr_size_t len)
{
    apr_size_t i;
    int last;

    for (i = 0; i < len; i++) {
        if (!is_b64url_char((unsigned char)in[i])) {
            return 0;
        }
    }
    switch (len % 4) {
    case 1:
        return 0;
    case 2:
        last = b64url_value((unsigned char)in[len - 1]);
        return (last & 0x0f) == 0;
    case 3:
        last = b64url_value((unsigned char)in[len - 1]);
        return (last & 0x03) == 0;
    default:
        return 1;
    }
}

int token_is_opaque(const char *s)
{
    return strlen(s) == OPAQUE_TOKEN_LENGTH
           && b64url_is_canonical(s, OPAQUE_TOKEN_LENGTH);
}

apr_ssize_t b64url_decode(apr_pool_t *p, const char *in, apr_size_t len,
                          unsigned char **out)
{
    char *std;
    apr_size_t i, padded;
    int n;

    if (!b64url_is_canonical(in, len)) {
        return -1;
    }
    /* apr_base64 speaks the standard alphabet with padding. */
    padded = (len + 3) & ~(apr_size_t)3;
    std = apr_palloc(p, padded + 1);
    for (i = 0; i < len; i++) {
        std[i] = in[i];
        if (std[i] == '-') {
            std[i] = '+';
        }
        else if (std[i] == '_') {
            std[i] = '/';
        }
    }
    for (; i < padded; i++) {
        std[i] = '=';
    }
    std[padded] = '\0';

    *out = apr_palloc(p, apr_base64_decode_len(std) + 1);
    n = apr_base64_decode_binary(*out, std);
    if (n < 0) {
        return -1;
    }
    (*out)[n] = '\0';
    return n;
}

const char *b64url_encode(apr_pool_t *p, const unsigned char *in,
                          apr_size_t len)
{
    char *enc = apr_palloc(p, apr_base64_encode_len((int)len));
    int n = apr_base64_encode_binary(enc, in, (int)len);
    char *c;

    /* n counts the terminating NUL; strip the padding. */
    while (n > 1 && enc[n - 2] == '=') {
        enc[--n - 1] = '\0';
    }
    for (c = enc; *c; c++) {
        if (*c == '+') *c = '-';
        else if (*c == '/') *c = '_';
    }
    return enc;
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
