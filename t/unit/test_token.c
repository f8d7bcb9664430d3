/* Unit tests of the pure functions of src/token.c (TAP output). */

#include "common/common.h"

#include "apr_general.h"
#include "apr_strings.h"

#include "tap.h"

module AP_MODULE_DECLARE_DATA auth_backend_module;   /* token.c logs nothing */


static int decodes_to(apr_pool_t *p, const char *in, const char *expect)
{
    unsigned char *out;
    apr_ssize_t n = b64url_decode(p, in, strlen(in), &out);
    return n == (apr_ssize_t)strlen(expect) && !memcmp(out, expect, n);
}

static int refused(apr_pool_t *p, const char *in)
{
    unsigned char *out;
    return b64url_decode(p, in, strlen(in), &out) < 0;
}

int main(void)
{
    apr_pool_t *p;
    const char *tok, *tok2;
    int i, ok;

    apr_initialize();
    apr_pool_create(&p, NULL);

    /* RFC 4648 §10 vectors, base64url without padding */
    CHECK(decodes_to(p, "", ""), "empty decodes to empty");
    CHECK(decodes_to(p, "Zg", "f"), "Zg -> f");
    CHECK(decodes_to(p, "Zm8", "fo"), "Zm8 -> fo");
    CHECK(decodes_to(p, "Zm9v", "foo"), "Zm9v -> foo");
    CHECK(decodes_to(p, "Zm9vYmFy", "foobar"), "Zm9vYmFy -> foobar");
    CHECK(decodes_to(p, "-_8", "\xfb\xff"), "url alphabet - and _");
    CHECK(refused(p, "Zg=="), "padding refused");
    CHECK(refused(p, "Zm9v+A"), "standard alphabet + refused");
    CHECK(refused(p, "Zm9v/A"), "standard alphabet / refused");
    CHECK(refused(p, "Zh"), "non-zero spare bits refused (Zh)");
    CHECK(refused(p, "Zm9"), "non-zero spare bits refused (Zm9)");
    CHECK(refused(p, "Z"), "length 1 mod 4 refused");
    CHECK(refused(p, "Zm 9v"), "space refused");
    CHECK(refused(p, "Zm9v\n"), "newline refused");

    CHECK(!strcmp(b64url_encode(p, (const unsigned char *)"f", 1), "Zg"),
          "encode f -> Zg");
    CHECK(!strcmp(b64url_encode(p, (const unsigned char *)"\xfb\xff", 2),
                  "-_8"), "encode uses the url alphabet");
    CHECK(!strcmp(b64url_encode(p, (const unsigned char *)"foobar", 6),
                  "Zm9vYmFy"), "encode foobar");

    CHECK(token_is_b64token("abc.DEF-_~+/", 12), "b64token alphabet");
    CHECK(token_is_b64token("abc==", 5), "b64token trailing =");
    CHECK(!token_is_b64token("ab=c", 4), "b64token = inside refused");
    CHECK(!token_is_b64token("=", 1), "b64token only = refused");
    CHECK(!token_is_b64token("", 0), "b64token empty refused");
    CHECK(!token_is_b64token("a b", 3), "b64token space refused");
    CHECK(!token_is_b64token("a,b", 3), "b64token comma refused");
    CHECK(!token_is_b64token("a\"b", 3), "b64token quote refused");

    ok = 1;
    for (i = 0; i < 200 && ok; i++) {
        ok = token_generate_opaque(p, &tok) == APR_SUCCESS
             && strlen(tok) == OPAQUE_TOKEN_LENGTH && token_is_opaque(tok);
    }
    CHECK(ok, "generated tokens are 43 base64url characters");
    token_generate_opaque(p, &tok2);
    CHECK(strcmp(tok, tok2) != 0, "two generated tokens differ");
    CHECK(!token_is_opaque("short"), "short token is not opaque");
    CHECK(!token_is_opaque("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"),
          "43 chars with spare bits set is not opaque");
    CHECK(token_is_opaque("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
          "43 canonical chars are opaque");
    CHECK(!token_is_opaque("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
          "padding is not opaque");
    CHECK(!token_is_opaque("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
          "44 characters are not opaque");

    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
