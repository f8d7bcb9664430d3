/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * b64url.c — strict base64url, in one pass over a table.  apr_base64
 * speaks only the standard alphabet with padding: going through it meant
 * translating and padding a copy first, and checking canonical form
 * separately.
 */

#include "common/b64url.h"

/* 0..63, or 64 for anything outside the URL-safe alphabet ('=' too). */
static const unsigned char b64_value[256] = {
#define X64 64,64,64,64,64,64,64,64,64,64,64,64,64,64,64,64
    X64, X64,
    64,64,64,64,64,64,64,64,64,64,64,64,64,62,64,64,
    52,53,54,55,56,57,58,59,60,61,64,64,64,64,64,64,
    64, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,10,11,12,13,14,
    15,16,17,18,19,20,21,22,23,24,25,64,64,64,64,63,
    64,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,
    41,42,43,44,45,46,47,48,49,50,51,64,64,64,64,64,
    X64, X64, X64, X64, X64, X64, X64, X64
#undef X64
};

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64url_is_canonical(const char *in, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t i;

    if (len % 4 == 1) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (b64_value[s[i]] > 63) {
            return 0;
        }
    }
    /* 2 or 3 characters left over carry 4 or 2 spare bits */
    return len % 4 == 0
           || !(b64_value[s[len - 1]] & (len % 4 == 2 ? 0x0f : 0x03));
}

apr_ssize_t b64url_decode(apr_pool_t *p, const char *in, apr_size_t len,
                          unsigned char **out)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t i, o = 0;
    unsigned long acc = 0;
    unsigned char *d;
    int bits = 0;

    if (len % 4 == 1 || len > APR_SIZE_MAX / 3) {
        return -1;
    }
    d = apr_palloc(p, len / 4 * 3 + 3);
    for (i = 0; i < len; i++) {
        unsigned char v = b64_value[s[i]];
        if (v > 63) {
            return -1;
        }
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            d[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* canonical: the 2 or 4 bits left over are zero */
    if (acc & ((1UL << bits) - 1)) {
        return -1;
    }
    d[o] = '\0';
    *out = d;
    return (apr_ssize_t)o;
}

char *b64url_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len)
{
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 | in[i + 1] << 8
                          | in[i + 2];
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = b64_alphabet[(v >> 6) & 63];
        *o++ = b64_alphabet[v & 63];
    }
    if (i < len) {
        unsigned long v = (unsigned long)in[i] << 16
                          | (i + 1 < len ? in[i + 1] << 8 : 0);
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        if (i + 1 < len) {
            *o++ = b64_alphabet[(v >> 6) & 63];
        }
    }
    *o = '\0';
    return out;
}
