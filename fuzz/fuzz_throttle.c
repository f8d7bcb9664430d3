/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_throttle.c — the keys of login throttling and the spelling of its
 * periods (src/throttle/throttle_key.c): a user name and a client address
 * come from the request, a period from AuthBackendThrottle.  The whole
 * input is each of them in turn.
 * Properties: a user key is the prefix and the 27 base64url characters of
 * a SHA-1, the same for every spelling in another case; an address key is the prefix and the address itself, an
 * IPv4-mapped IPv6 address as its IPv4 address, any other IPv6 address
 * as its /64 (so every address of that /64 gives the same key); a period
 * is accepted exactly when it is digits with at most one unit of s, m or
 * h, from 1 s to a day, and the seconds are what an independent reading
 * gives.
 */

#include "fuzz.h"

#include "apr_lib.h"

#include <arpa/inet.h>

#define PREFIX "auth_backend:throttle:"

static void check_user(apr_pool_t *p, const char *s)
{
    const char *k = throttle_user_key(p, s);
    char *upper = apr_pstrdup(p, s), *c;

    FUZZ_ASSERT(!strncmp(k, PREFIX "user:", sizeof(PREFIX "user:") - 1)
                && strlen(k) == sizeof(PREFIX "user:") - 1 + 27
                && strspn(k + sizeof(PREFIX "user:") - 1,
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789-_") == 27, "user key '%s'", k);
    for (c = upper; *c; c++) {
        *c = (char)apr_toupper(*c);
    }
    FUZZ_ASSERT(!strcmp(k, throttle_user_key(p, upper)),
                "'%s' and '%s' count apart", s, upper);
}

static void check_address(apr_pool_t *p, const char *s)
{
    const char *k = throttle_address_key(p, s);
    const char *a = k + sizeof(PREFIX "address:") - 1;
    unsigned char in6[16], out[16];
    char text[INET6_ADDRSTRLEN];

    FUZZ_ASSERT(!strncmp(k, PREFIX "address:", sizeof(PREFIX "address:") - 1),
                "address key '%s'", k);
    if (inet_pton(AF_INET6, s, in6) != 1) {
        FUZZ_ASSERT(!strcmp(a, s), "'%s' keyed as '%s'", s, a);
        return;
    }
    if (!memcmp(in6, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
        FUZZ_ASSERT(inet_pton(AF_INET, a, out) == 1
                    && !memcmp(out, in6 + 12, 4),
                    "mapped '%s' keyed as '%s'", s, a);
        return;
    }
    FUZZ_ASSERT(strlen(a) > 3 && !strcmp(a + strlen(a) - 3, "/64"),
                "'%s' keyed as '%s'", s, a);
    FUZZ_ASSERT(inet_pton(AF_INET6, apr_pstrmemdup(p, a, strlen(a) - 3), out)
                == 1 && !memcmp(out, in6, 8)
                && !memcmp(out + 8, "\0\0\0\0\0\0\0\0", 8),
                "'%s' keyed as '%s'", s, a);
    /* another host of the same /64 */
    in6[15] ^= 1;
    in6[8] ^= 0x80;
    FUZZ_ASSERT(inet_ntop(AF_INET6, in6, text, sizeof(text)), "ntop");
    FUZZ_ASSERT(!strcmp(throttle_address_key(p, text), k),
                "'%s' and '%s' count apart", s, text);
}

static void check_period(apr_pool_t *p, const char *s)
{
    apr_int64_t got = -1, want = 0, unit = 1;
    size_t digits = strspn(s, "0123456789"), i;
    const char *why = throttle_parse_period(p, s, &got);
    int ok = digits > 0;

    if (ok && s[digits]) {
        unit = s[digits] == 's' ? 1 : s[digits] == 'm' ? 60
               : s[digits] == 'h' ? 3600 : 0;
        ok = unit && !s[digits + 1];
    }
    for (i = 0; ok && i < digits; i++) {
        want = want * 10 + (s[i] - '0');
        ok = want * unit <= THROTTLE_MAX_PERIOD;
    }
    ok = ok && want >= 1;
    FUZZ_ASSERT(ok == !why, "period '%s': %s", s, why ? why : "accepted");
    if (ok) {
        FUZZ_ASSERT(got == want * unit, "period '%s' is %" APR_INT64_T_FMT
                    " s", s, got);
    }
    else {
        FUZZ_ASSERT(strstr(why, "a period is") && got == -1, "period '%s'",
                    s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *s;

    fuzz_init();
    apr_pool_create(&p, fuzz_process_pool());
    s = fuzz_cstr(p, data, size);
    check_user(p, s);
    check_address(p, s);
    check_period(p, s);
    apr_pool_destroy(p);
    return 0;
}
