/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_claims.c — claim paths and values (src/identity/claim_value.c):
 * what AuthBackendClaim*, Require backend-claim and the identity headers
 * read out of a token's payload.  The input is a claim path, a newline,
 * then a JSON document (the payload), and the path also serves as a word
 * of a Require line and as a flag a database wrote.
 * Properties: a path names the member of that exact name when there is
 * one, else what an independent walk of "a.b.c" through nested objects
 * finds (an empty part names nothing); a claim's text reads back as the
 * claim (a string as itself, anything else as its JSON); a scalar matches
 * its own text, an array every scalar item's; flags are one of six
 * spellings each way, in any case, and nothing else.
 */

#include "fuzz.h"

#include <jansson.h>

/* "a.b.c" through nested objects, written out apart from claim_value.c */
static json_t *walk(json_t *obj, const char *path)
{
    char buf[1100];
    char *part, *dot;
    json_t *v = obj;

    if (strlen(path) >= sizeof(buf)) {
        return NULL;
    }
    strcpy(buf, path);
    for (part = buf; part; part = dot) {
        dot = strchr(part, '.');
        if (dot) {
            *dot++ = '\0';
        }
        if (!*part || !json_is_object(v)) {
            return NULL;
        }
        v = json_object_get(v, part);
        if (!v) {
            return NULL;
        }
    }
    return v;
}

static void check_path(apr_pool_t *p, json_t *doc, const char *path)
{
    json_t *v = claim_path(p, doc, path);
    json_t *exact = json_object_get(doc, path);

    if (exact) {
        FUZZ_ASSERT(v == exact, "'%s': not the member of that name", path);
    }
    else {
        FUZZ_ASSERT(v == walk(doc, path), "'%s': another claim", path);
    }
}

static void check_value(apr_pool_t *p, json_t *v)
{
    const char *text = claim_text(p, v);
    json_t *again, *item;
    size_t i;

    FUZZ_ASSERT(text, "a claim without text");
    if (json_is_string(v)) {
        FUZZ_ASSERT(!strcmp(text, json_string_value(v)), "string text");
        FUZZ_ASSERT(claim_matches(v, text)
                    == (strlen(text) == json_string_length(v)),
                    "a string does not match itself: '%s'", text);
        return;
    }
    again = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    FUZZ_ASSERT(again && json_equal(again, v), "'%s' reads back as another "
                "value", text);
    json_decref(again);
    if (!json_is_array(v) && !json_is_object(v)) {
        FUZZ_ASSERT(claim_matches(v, text), "'%s' does not match itself",
                    text);
    }
    json_array_foreach(v, i, item) {
        const char *t = claim_text(p, item);
        if (!json_is_array(item) && !json_is_object(item)
            && (!json_is_string(item)
                || strlen(t) == json_string_length(item))) {
            FUZZ_ASSERT(claim_matches(v, t), "array item '%s' not matched", t);
        }
    }
}

static void check_flag(const char *s)
{
    static const char *const yes[] = { "1", "t", "true", "y", "yes", "on" };
    static const char *const no[] = { "0", "f", "false", "n", "no", "off" };
    int want = -1;
    unsigned int i;

    for (i = 0; i < 6; i++) {
        want = !strcasecmp(s, yes[i]) ? 1 : !strcasecmp(s, no[i]) ? 0 : want;
    }
    FUZZ_ASSERT(flag_value(s) == want, "flag '%s'", s);
    FUZZ_ASSERT(flag_value(NULL) == -1, "no flag");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *s, *nl;
    json_t *doc;

    fuzz_init();
    apr_pool_create(&p, fuzz_process_pool());
    s = fuzz_cstr(p, data, size);
    nl = strchr(s, '\n');
    check_flag(s);
    if (nl) {
        *nl = '\0';
        doc = json_loads(nl + 1, JSON_DECODE_ANY, NULL);
        if (doc) {
            json_t *v;

            check_path(p, doc, s);
            v = claim_path(p, doc, s);
            if (v) {
                check_value(p, v);
            }
            check_value(p, doc);
            json_decref(doc);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
