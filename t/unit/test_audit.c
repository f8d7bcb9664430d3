/* Unit tests of the audit line format (src/audit_format.c) and of the pure
 * parts of login throttling (src/throttle_key.c), in TAP output. */

#include "common/common.h"
#include "throttle/throttle.h"

#include "apr_general.h"
#include "apr_strings.h"

#include "tap.h"

module AP_MODULE_DECLARE_DATA auth_backend_module;   /* nothing here logs */


#define SAME(got, want, name) do {                                    \
        const char *g_ = (got);                                       \
        CHECK(g_ && !strcmp(g_, (want)), name);                       \
        if (!g_ || strcmp(g_, (want)))                                \
            printf("#   got  %s\n#   want %s\n", g_ ? g_ : "(null)",  \
                   (want));                                           \
    } while (0)

static int period_is(apr_pool_t *p, const char *s, apr_int64_t want)
{
    apr_int64_t v = -1;

    return !throttle_parse_period(p, s, &v) && v == want;
}

static int period_refused(apr_pool_t *p, const char *s)
{
    apr_int64_t v = -1;

    return throttle_parse_period(p, s, &v) != NULL && v == -1;
}

int main(void)
{
    apr_pool_t *p;
    audit_fields f;
    const char *extra[] = { "retry_after", "42", NULL };
    const char *key;

    apr_initialize();
    apr_pool_create(&p, NULL);

    /* ---- values ---- */
    SAME(audit_value(p, "alice", 1), "\"alice\"", "a plain user name");
    SAME(audit_value(p, "api", 0), "api", "a bare word stays as it is");
    SAME(audit_value(p, "2001:db8::1", 0), "2001:db8::1",
         "IPv6 addresses are bare");
    SAME(audit_value(p, "alice smith", 1), "\"alice smith\"",
         "spaces stay inside quotes");
    SAME(audit_value(p, "a b", 0), "a%20b", "a space ends no bare value");
    SAME(audit_value(p, "x\" reason=forged", 1),
         "\"x%22 reason%3Dforged\"", "a quote cannot end the value early");
    SAME(audit_value(p, "a=b", 0), "a%3Db", "no '=' in a bare value");
    SAME(audit_value(p, "line\nevent=login_failed", 1),
         "\"line%0Aevent%3Dlogin_failed\"",
         "a newline cannot start a line, an '=' cannot start a field");
    SAME(audit_value(p, "cr\rtab\t", 1), "\"cr%0Dtab%09\"",
         "control characters");
    SAME(audit_value(p, "back\\slash 100%", 1), "\"back%5Cslash 100%25\"",
         "backslash and percent are encoded (httpd would double a "
         "backslash)");
    SAME(audit_value(p, "caf\xc3\xa9", 1), "\"caf%C3%A9\"",
         "bytes over 0x7f are %XX (UTF-8 stays decodable)");
    SAME(audit_value(p, "\x7f", 1), "\"%7F\"", "DEL");
    SAME(audit_value(p, "", 1), "\"\"", "an empty value");

    /* ---- lines ---- */
    memset(&f, 0, sizeof(f));
    f.event = "login_failed";
    f.reason = "wrong_password";
    f.client = "203.0.113.7";
    f.user = "alice";
    f.backend = "api";
    SAME(audit_line(p, &f),
         "auth_backend: event=login_failed reason=wrong_password "
         "client=203.0.113.7 user=\"alice\" backend=api",
         "a failed login");

    memset(&f, 0, sizeof(f));
    f.event = "token_refused";
    f.reason = "expired";
    f.client = "::1";
    f.backend = "web";
    f.detail = "it has expired";
    SAME(audit_line(p, &f),
         "auth_backend: event=token_refused reason=expired client=::1 "
         "backend=web detail=\"it has expired\"",
         "absent fields are left out; detail comes last");

    memset(&f, 0, sizeof(f));
    f.event = "login_throttled";
    f.reason = "address_limit";
    f.client = "127.0.0.1";
    f.user = "bob\" client=10.9.9.9";
    f.extra = extra;
    SAME(audit_line(p, &f),
         "auth_backend: event=login_throttled reason=address_limit "
         "client=127.0.0.1 user=\"bob%22 client%3D10.9.9.9\" retry_after=42",
         "extra fields after the fixed ones; a forged client stays inside "
         "the user value");

    /* ---- throttle keys ---- */
    key = throttle_user_key(p, "Alice");
    CHECK(key && !strcmp(key, throttle_user_key(p, "alice"))
          && !strcmp(key, throttle_user_key(p, "ALICE")),
          "one user counter for every spelling of the name's case");
    CHECK(key && strcmp(key, throttle_user_key(p, "alice2")),
          "different users, different counters");
    CHECK(key && !strstr(key, "lice") && strlen(key) < 64,
          "the user name is hashed, not stored");
    CHECK(key && !strncmp(key, "auth_backend:throttle:user:", 27),
          "user keys have their prefix");

    /* ---- canonical user names ---- */
    CHECK(!throttle_name_init(p), "the C.UTF-8 locale is there");
    SAME(throttle_canonical_name(p, "  Alice \t Smith  "), "alice smith",
         "white space trimmed, a run of it one space");
    SAME(throttle_canonical_name(p, "Jos\xc3\xa9"), "jose",
         "an accent dropped (precomposed)");
    SAME(throttle_canonical_name(p, "JOSE\xcc\x81"), "jose",
         "a combining accent dropped");
    SAME(throttle_canonical_name(p, "\xef\xbc\xa1\xef\xbd\x8c\xef\xbd\x89"),
         "ali", "fullwidth letters");
    SAME(throttle_canonical_name(p, "Stra\xc3\x9f" "e"), "strasse",
         "sharp s");
    SAME(throttle_canonical_name(p, "a\xc2\xa0" "b\xe3\x80\x80" "c"), "a b c",
         "Unicode spaces are white space");
    SAME(throttle_canonical_name(p, "a\xe2\x80\x8b" "b\xc2\xad" "c"), "abc",
         "invisible characters dropped");
    SAME(throttle_canonical_name(p, "\xce\xa3\xce\x9f\xce\xa6\xce\x8a\xce\x91\xce\xa3"),
         "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1\xcf\x83",
         "Greek: lower case, no tonos, final sigma");
    SAME(throttle_canonical_name(p, "\xd0\x81\xd0\x96"),
         "\xd0\xb5\xd0\xb6", "Cyrillic: lower case, no diaeresis");
    CHECK(strcmp(throttle_canonical_name(p, "\xd0\xb8\xd0\xb2"),
                 throttle_canonical_name(p, "\xd0\xbc\xd0\xb0")),
          "letters without an ASCII form are not lumped together");
    CHECK(!strcmp(throttle_user_key(p, " ALICE"),
                  throttle_user_key(p, "al\xc3\xad" "ce")),
          "the user key is the canonical name's");

    SAME(throttle_address_key(p, "203.0.113.7"),
         "auth_backend:throttle:address:203.0.113.7", "IPv4: the address");
    SAME(throttle_address_key(p, "2001:db8:1:2:3:4:5:6"),
         "auth_backend:throttle:address:2001:db8:1:2::/64",
         "IPv6: the /64 network");
    SAME(throttle_address_key(p, "2001:db8:1:2:ffff:ffff:ffff:ffff"),
         "auth_backend:throttle:address:2001:db8:1:2::/64",
         "IPv6: every address of a /64 shares its counter");
    SAME(throttle_address_key(p, "::ffff:192.0.2.1"),
         "auth_backend:throttle:address:192.0.2.1",
         "IPv4-mapped IPv6 is the IPv4 client");
    SAME(throttle_address_key(p, "::1"),
         "auth_backend:throttle:address:::/64", "IPv6 loopback");

    /* ---- periods ---- */
    CHECK(period_is(p, "60", 60), "seconds without a unit");
    CHECK(period_is(p, "60s", 60), "seconds with s");
    CHECK(period_is(p, "15m", 900), "minutes");
    CHECK(period_is(p, "24h", 86400), "hours, up to a day");
    CHECK(period_is(p, "1", 1), "one second");
    CHECK(period_refused(p, "0"), "zero is refused");
    CHECK(period_refused(p, "25h"), "more than a day is refused");
    CHECK(period_refused(p, "86401"), "86401 s is refused");
    CHECK(period_refused(p, "-5"), "negative is refused");
    CHECK(period_refused(p, "5d"), "an unknown unit is refused");
    CHECK(period_refused(p, "5 m"), "a space is refused");
    CHECK(period_refused(p, ""), "empty is refused");
    CHECK(period_refused(p, "m"), "a unit alone is refused");
    CHECK(period_refused(p, "99999999999999999999"), "overflow is refused");

    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
