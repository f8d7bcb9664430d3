/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * throttle_size.c — how the login throttle's counters fit in a shmcb
 * cache: keys spread over its sub-caches, and a cache large enough for the
 * limits.  shmcb is a ring: when it is full, the counter stored
 * longest ago goes, live or not.  A lockout stores nothing while it lasts
 * (a refused attempt counts nowhere), so every failure for another name,
 * which stores that name's counter, pushes it closer to the edge.  The
 * keys are spread over the cache by a keyed hash, the user names' over
 * half of its sub-caches and the addresses' over the other half
 * (throttle_spread_key): to push a lockout out, an attacker must fail
 * with about as many names as half the cache holds counters, and the
 * address limit decides from how many addresses.
 */

#include "throttle/throttle.h"
#include "common/common.h"

#include "http_log.h"
#include "apr_strings.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

/* mod_socache_shmcb's size when its argument gives none */
#define SHMCB_DEFAULT_BYTES ((apr_size_t)512 * 1024)
/* Fewer addresses than this can push a lockout out: warn. */
#define MIN_ADDRESSES 100

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

apr_size_t throttle_shmcb_bytes(const char *spec)
{
    static const char shmcb[] = "shmcb";
    const char *open;
    apr_int64_t n;

    if (spec && (strncmp(spec, shmcb, sizeof(shmcb) - 1)
                 || (spec[sizeof(shmcb) - 1] && spec[sizeof(shmcb) - 1]
                                                != ':'))) {
        return 0;
    }
    if (!spec || !(open = strrchr(spec, '('))) {
        return SHMCB_DEFAULT_BYTES;
    }
    n = apr_atoi64(open + 1);
    return n > 0 ? (apr_size_t)n : SHMCB_DEFAULT_BYTES;
}

/* Failures one address may have within one user period. */
static apr_int64_t per_address(const throttle_limits *t)
{
    apr_int64_t windows = (t->period[BY_USER] + t->period[BY_ADDRESS] - 1)
                          / t->period[BY_ADDRESS];

    return (apr_int64_t)t->max[BY_ADDRESS] * windows;
}

static void check_one(server_rec *s, apr_size_t bytes, const throttle_use *u)
{
    const throttle_limits *t = u->limits;
    apr_int64_t counters = (apr_int64_t)(bytes / THROTTLE_SHMCB_ENTRY);
    apr_int64_t failures = counters / 2, each, addresses;

    if (!t->max[BY_USER]) {
        return;
    }
    if (!t->max[BY_ADDRESS]) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s: "
                     "AuthBackendLoginThrottle: without an address= limit, "
                     "one client can push a locked-out user's counter out "
                     "of the shmcb cache (%" APR_SIZE_T_FMT " bytes, about %"
                     APR_INT64_T_FMT " counters) with about %" APR_INT64_T_FMT
                     " failed logins for other names, and guess again; add "
                     "address=FAILURES/PERIOD", u->where, bytes, counters,
                     failures);
        return;
    }
    each = per_address(t);
    addresses = failures / each;
    if (addresses < MIN_ADDRESSES) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s: "
                     "AuthBackendLoginThrottle: the shmcb cache (%"
                     APR_SIZE_T_FMT " bytes, about %" APR_INT64_T_FMT
                     " counters) is small for these limits: about %"
                     APR_INT64_T_FMT " failed logins for other names, from %"
                     APR_INT64_T_FMT " addresses within the user period, "
                     "push a locked-out user's counter out of it; give it "
                     "at least %" APR_INT64_T_FMT " bytes with "
                     "AuthBackendThrottleCache shmcb:FILE(BYTES)", u->where,
                     bytes, counters, failures, addresses ? addresses : 1,
                     MIN_ADDRESSES * each * 2 * THROTTLE_SHMCB_ENTRY);
    }
}

void throttle_size_check(server_rec *s, apr_size_t bytes,
                         const apr_array_header_t *uses)
{
    int i;

    for (i = 0; uses && i < uses->nelts; i++) {
        check_one(s, bytes, &APR_ARRAY_IDX(uses, i, throttle_use));
    }
}
