/* Unit tests of the pure functions of src/claim_value.c (TAP output). */

#include "identity/identity.h"

#include "apr_general.h"
#include "apr_strings.h"

#include <jansson.h>
#include "tap.h"

module AP_MODULE_DECLARE_DATA auth_backend_module;   /* nothing here logs */


/* Claim CLAIM of the payload JSON matches TEXT. */
static int matches(apr_pool_t *p, const char *json, const char *claim,
                   const char *text)
{
    json_t *obj = json_loads(json, JSON_ALLOW_NUL, NULL);
    int m = obj && claim_matches(claim_path(p, obj, claim), text);

    json_decref(obj);
    return m;
}

static int text_is(apr_pool_t *p, const char *json, const char *claim,
                   const char *expect)
{
    json_t *obj = json_loads(json, 0, NULL);
    json_t *v = obj ? claim_path(p, obj, claim) : NULL;
    const char *t = v ? claim_text(p, v) : NULL;
    int same = t && !strcmp(t, expect);

    json_decref(obj);
    return same;
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);

    CHECK(matches(p, "{\"role\":\"admin\"}", "role", "admin"), "string");
    CHECK(!matches(p, "{\"role\":\"admin\"}", "role", "Admin"),
          "strings are case-sensitive");
    CHECK(!matches(p, "{\"role\":\"admin\"}", "rol", "admin"),
          "missing claim");
    CHECK(!matches(p, "{\"role\":\"admin\\u0000x\"}", "role", "admin"),
          "a NUL inside a string does not cut it short");
    CHECK(matches(p, "{\"r\":[\"a\",\"b\"]}", "r", "b"), "array: any element");
    CHECK(!matches(p, "{\"r\":[\"a\",[\"b\"]]}", "r", "b"),
          "array: nested arrays are not searched");
    CHECK(!matches(p, "{\"r\":[]}", "r", ""), "empty array");
    CHECK(matches(p, "{\"n\":3}", "n", "3"), "integer by JSON text");
    CHECK(!matches(p, "{\"n\":3}", "n", "3.0"), "3 is not 3.0");
    CHECK(matches(p, "{\"n\":1.5}", "n", "1.5"), "real");
    CHECK(matches(p, "{\"n\":-7}", "n", "-7"), "negative");
    CHECK(matches(p, "{\"b\":true}", "b", "true"), "true");
    CHECK(matches(p, "{\"b\":false}", "b", "false"), "false");
    CHECK(!matches(p, "{\"b\":true}", "b", "1"), "true is not 1");
    CHECK(matches(p, "{\"z\":null}", "z", "null"), "null");
    CHECK(!matches(p, "{\"o\":{\"a\":1}}", "o", "{\"a\":1}"),
          "an object never equals a value");
    CHECK(matches(p, "{\"o\":{\"a\":{\"b\":\"x\"}}}", "o.a.b", "x"),
          "a.b.c reaches nested objects");
    CHECK(!matches(p, "{\"o\":{\"a\":\"x\"}}", "o.a.b", "x"),
          "a path through a string finds nothing");
    CHECK(!matches(p, "{\"o\":\"x\"}", "o.", "x"),
          "a trailing dot finds nothing");
    CHECK(!matches(p, "{\"o\":\"x\"}", ".", "x"), "a lone dot finds nothing");
    CHECK(!matches(p, "{\"o\":{\"a\":\"x\"}}", "o..a", "x"),
          "an empty part finds nothing");
    CHECK(matches(p, "{\"o\":{\"\":\"x\"}}", "o.", "x") == 0,
          "not even a member named by the empty string");
    CHECK(matches(p, "{\"a.b\":\"dotted\",\"a\":{\"b\":\"nested\"}}", "a.b",
                  "dotted"), "a member named with dots comes first");
    CHECK(matches(p, "{\"https://x.example/roles\":[\"admin\"]}",
                  "https://x.example/roles", "admin"), "URL claim names");

    CHECK(text_is(p, "{\"s\":\"plain\"}", "s", "plain"), "text: string");
    CHECK(text_is(p, "{\"a\":[\"x\",1]}", "a", "[\"x\",1]"),
          "text: array as compact JSON");
    CHECK(text_is(p, "{\"o\":{\"k\":\"v\",\"a\":1}}", "o",
                  "{\"k\":\"v\",\"a\":1}"), "text: object keeps its order");
    CHECK(text_is(p, "{\"b\":true}", "b", "true"), "text: boolean");
    CHECK(text_is(p, "{\"n\":42}", "n", "42"), "text: number");

    CHECK(flag_value("1") == 1 && flag_value("t") == 1
          && flag_value("TRUE") == 1 && flag_value("yes") == 1
          && flag_value("On") == 1, "true spellings");
    CHECK(flag_value("0") == 0 && flag_value("f") == 0
          && flag_value("false") == 0 && flag_value("No") == 0
          && flag_value("off") == 0, "false spellings");
    CHECK(flag_value("") == -1 && flag_value("2") == -1
          && flag_value("truthy") == -1 && flag_value(NULL) == -1,
          "anything else is no flag");

    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
