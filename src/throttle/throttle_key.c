/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * throttle_key.c — the pure parts of login throttling (throttle.c): what a
 * counter is keyed by (the canonical form of a user name among it), and
 * the spelling of a period.  No httpd calls, so that unit tests reach
 * them.
 */

#include "throttle/throttle.h"
#include "common/common.h"

#include "apr_lib.h"
#include "apr_sha1.h"
#include "apr_strings.h"

#include <arpa/inet.h>
#include <errno.h>
#include <iconv.h>
#include <locale.h>
#include <wchar.h>
#include <wctype.h>

/* ---- the canonical form of a user name ------------------------------------
 *
 * An authn provider that folds names lets a client log in as "alice" with
 * "Alice", " alice" or "alicé" (LDAP's caseIgnore matching trims and
 * folds, RFC 4518; MySQL's *_ai_ci collations ignore case and accents);
 * each spelling must count on alice's counter, or every spelling buys a
 * fresh set of guesses.  Folding more than a provider does
 * only makes two names share a counter, which costs an attacker nothing
 * he could not do to either name directly.
 *
 * glibc's C.UTF-8 locale gives the Unicode tables: iconv's //TRANSLIT
 * turns "é" into "e", "ß" into "ss" and fullwidth "Ａ" into "A"; towlower()
 * folds the letters without an ASCII form (Greek, Cyrillic, ...).
 */

/* Made once per process generation (throttle_name_init), before the
 * children that use it are forked: (locale_t)0 when there is none. */
static locale_t utf8;

static apr_status_t name_cleanup(void *data)
{
    (void)data;
    if (utf8) {
        freelocale(utf8);
        utf8 = (locale_t)0;
    }
    return APR_SUCCESS;
}

const char *throttle_name_init(apr_pool_t *pconf)
{
    if (!utf8) {
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        if (utf8) {
            apr_pool_cleanup_register(pconf, NULL, name_cleanup,
                                      apr_pool_cleanup_null);
        }
    }
    return utf8 ? NULL : "the C.UTF-8 locale is not installed: user names "
                         "are folded in ASCII only for the login throttle";
}

/* Marks and invisible characters that LDAP's string preparation (RFC 4518
 * §2.2) maps to nothing, the combining marks that a decomposed "é" ("e" +
 * U+0301) carries, and Hebrew points and Arabic harakat, which an
 * accent-insensitive collation ignores: dropped. */
static int ignorable(wint_t c)
{
    return (c >= 0x0300 && c <= 0x036f) || (c >= 0x1ab0 && c <= 0x1aff)
           || (c >= 0x1dc0 && c <= 0x1dff) || (c >= 0x20d0 && c <= 0x20ff)
           || (c >= 0xfe20 && c <= 0xfe2f) || (c >= 0xfe00 && c <= 0xfe0f)
           || (c >= 0x0591 && c <= 0x05c7) || (c >= 0x0610 && c <= 0x061a)
           || (c >= 0x064b && c <= 0x065f) || c == 0x0670
           || (c >= 0x200b && c <= 0x200d) || c == 0x00ad || c == 0x034f
           || c == 0x2060 || c == 0xfeff || c == 0x180e;
}

/* Letters without an ASCII form whose accents an accent-insensitive
 * collation ignores (they decompose to a base letter and a mark, and
 * glibc cannot transliterate them): Greek with tonos or dialytika, the
 * Cyrillic letters with a breve or diaeresis.  In lower case. */
static wint_t base_letter(wint_t c)
{
    static const wint_t from[] = {
        0x3ac, 0x3ad, 0x3ae, 0x3af, 0x390, 0x3ca, 0x3cc, 0x3cd, 0x3b0,
        0x3cb, 0x3ce, 0x451, 0x439, 0x457, 0x45e, 0x4d1, 0x4d3, 0x4e7,
        0x4f1, 0x4f3, 0x4e5, 0x4ed
    };
    static const wint_t to[] = {
        0x3b1, 0x3b5, 0x3b7, 0x3b9, 0x3b9, 0x3b9, 0x3bf, 0x3c5, 0x3c5,
        0x3c5, 0x3c9, 0x435, 0x438, 0x456, 0x443, 0x430, 0x430, 0x43e,
        0x443, 0x443, 0x438, 0x44d
    };
    apr_size_t i;

    for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
        if (from[i] == c) {
            return to[i];
        }
    }
    /* final sigma: Unicode case folding makes it a plain sigma */
    return c == 0x3c2 ? 0x3c3 : c;
}

/* Appends the folded form of the character C (its UTF-8 bytes at S, LEN
 * of them) at *O: its ASCII transliteration in lower case, else C in lower
 * case, without the accent that base_letter() knows. */
static void fold_char(iconv_t cd, wint_t c, const char *s, size_t len,
                      char **o)
{
    char in[8], out[16], *ip = in, *op = out;
    /* at most 8 bytes: a longer transliteration falls back to C itself */
    size_t il = len, ol = 8;
    mbstate_t st;
    wint_t lower = towlower_l(c, utf8);

    memcpy(in, s, len);
    if (cd != (iconv_t)-1 && iconv(cd, &ip, &il, &op, &ol) != (size_t)-1
        && !il && op > out && !memchr(out, '?', (size_t)(op - out))) {
        for (ip = out; ip < op; ip++) {
            *(*o)++ = (char)apr_tolower(*ip);
        }
        iconv(cd, NULL, NULL, NULL, NULL);
        return;
    }
    if (cd != (iconv_t)-1) {
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    memset(&st, 0, sizeof(st));
    len = wcrtomb(out, (wchar_t)base_letter(lower), &st);
    if (len == (size_t)-1) {
        len = 0;
    }
    memcpy(*o, out, len);
    *o += len;
}

/* The non-ASCII case, in the C.UTF-8 locale; NULL if USER is not UTF-8
 * (the login handler refuses such names before this). */
static char *fold_utf8(apr_pool_t *p, const char *user)
{
    size_t n = strlen(user), len;
    /* a character of at most 4 bytes folds to at most 8 ("ǅ" -> "dz"...),
     * a transliteration like "Ⅻ" -> "xii" stays below that too */
    char *out = apr_palloc(p, 8 * n + 1), *o = out;
    locale_t old = uselocale(utf8);
    iconv_t cd = iconv_open("ASCII//TRANSLIT", "UTF-8");
    mbstate_t st;
    wchar_t wc;
    int space = 0;

    memset(&st, 0, sizeof(st));
    for (; *user; user += len) {
        len = mbrtowc(&wc, user, n, &st);
        if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
            out = NULL;
            break;
        }
        n -= len;
        if (iswspace_l((wint_t)wc, utf8) || wc == 0xa0 || wc == 0x2007
            || wc == 0x202f) {
            space = o > out;
        }
        else if (!ignorable((wint_t)wc)) {
            if (space) {
                *o++ = ' ';
                space = 0;
            }
            fold_char(cd, (wint_t)wc, user, len, &o);
        }
    }
    if (cd != (iconv_t)-1) {
        iconv_close(cd);
    }
    uselocale(old);
    if (out) {
        *o = '\0';
    }
    return out;
}

const char *throttle_canonical_name(apr_pool_t *p, const char *user)
{
    char *out, *o;
    const char *c;
    int space = 0;

    for (c = user; *c && !((unsigned char)*c & 0x80); c++)
        ;
    if (*c && utf8 && (out = fold_utf8(p, user))) {
        return out;
    }
    /* ASCII (or no locale): trimmed, one space for a run, lower case */
    out = o = apr_palloc(p, strlen(user) + 1);
    for (c = user; *c; c++) {
        if (apr_isspace(*c)) {
            space = o > out;
            continue;
        }
        if (space) {
            *o++ = ' ';
            space = 0;
        }
        *o++ = (char)apr_tolower(*c);
    }
    *o = '\0';
    return out;
}

/* ---- keys ------------------------------------------------------------------ */

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
