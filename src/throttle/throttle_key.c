/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * throttle_key.c — the pure parts of login throttling (throttle.c): what a
 * counter is keyed by, how a key is spread over a shmcb cache, and the
 * spelling of a period.  No httpd calls, so
 * that unit tests reach them.
 */

#include "throttle/throttle.h"
#include "common/common.h"

#include "apr_lib.h"
#include "apr_sha1.h"
#include "apr_strings.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* Cache keys begin with this: the cache may be a memcached or a Redis
 * shared with other users. */
#define KEY_PREFIX "auth_backend:throttle:"

const char *throttle_user_key(apr_pool_t *p, const char *user)
{
    apr_sha1_ctx_t ctx;
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    /* many authn providers (LDAP, SQL collations) take "Alice", " alice"
     * and "alicé" for "alice": one counter for every spelling */
    const char *lower = throttle_canonical_name(p, user);

    apr_sha1_init(&ctx);
    apr_sha1_update_binary(&ctx, (const unsigned char *)lower,
                           (unsigned int)strlen(lower));
    apr_sha1_final(digest, &ctx);
    return apr_pstrcat(p, KEY_PREFIX "user:",
                       b64url_encode(p, digest, sizeof(digest)), NULL);
}

const char *throttle_spread_key(apr_pool_t *p, const unsigned char *secret,
                                apr_size_t secret_len, const char *key,
                                int which)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char *out;

    if (!HMAC(EVP_sha256(), secret, (int)secret_len,
              (const unsigned char *)key, strlen(key), mac, &len)
        || len < 16) {
        return key;
    }
    /* the first byte picks the sub-cache (out of up to 256): all of it
     * from the hash, but for its lowest bit, which keeps the user names'
     * counters and the addresses' in sub-caches of their own; 0 would end
     * the key */
    out = apr_palloc(p, THROTTLE_SPREAD_KEY_LEN + 1);
    out[0] = (char)((mac[0] & 0xfe) | (which & 1));
    if (!out[0]) {
        out[0] = (char)0x80;
    }
    /* then 15 more bytes: 20 characters, so that many counters fit */
    memcpy(out + 1, b64url_encode(p, mac + 1, 15),
           THROTTLE_SPREAD_KEY_LEN - 1);
    out[THROTTLE_SPREAD_KEY_LEN] = '\0';
    return out;
}

const char *throttle_address_key(apr_pool_t *p, const char *ip)
{
    unsigned char a[16];
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                              0xff, 0xff };

    if (inet_pton(AF_INET6, ip, a) == 1) {
        char text[INET6_ADDRSTRLEN];

        if (!memcmp(a, mapped, sizeof(mapped))) {
            /* ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1 */
            if (inet_ntop(AF_INET, a + 12, text, sizeof(text))) {
                return apr_pstrcat(p, KEY_PREFIX "address:", text, NULL);
            }
        }
        else {
            /* a host usually has a whole /64 to pick addresses from */
            memset(a + 8, 0, 8);
            if (inet_ntop(AF_INET6, a, text, sizeof(text))) {
                return apr_pstrcat(p, KEY_PREFIX "address:", text, "/64",
                                   NULL);
            }
        }
    }
    /* IPv4, or whatever else names the client */
    return apr_pstrcat(p, KEY_PREFIX "address:", ip, NULL);
}

const char *throttle_parse_period(apr_pool_t *p, const char *s,
                                  apr_int64_t *seconds)
{
    char *end;
    apr_int64_t v, unit = 1;

    errno = 0;
    v = apr_strtoi64(s, &end, 10);
    if (apr_isdigit(*s) && !errno) {
        if (*end == 'm') {
            unit = 60;
            end++;
        }
        else if (*end == 'h') {
            unit = 3600;
            end++;
        }
        else if (*end == 's') {
            end++;
        }
        if (!*end && v >= 1 && v <= THROTTLE_MAX_PERIOD / unit) {
            *seconds = v * unit;
            return NULL;
        }
    }
    return apr_psprintf(p, "a period is a whole number of seconds from 1 "
                        "to %d, optionally with a unit (60, 60s, 15m, 1h), "
                        "not '%s'", THROTTLE_MAX_PERIOD, s);
}
