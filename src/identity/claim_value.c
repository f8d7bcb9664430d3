/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * claim_value.c — claim values, without httpd: finding a claim by name or
 * path, comparing it with a word of a Require line, writing it for the
 * application, and reading the flags databases write.  Pure functions
 * (APR and jansson only), unit-tested in t/unit/test_claims.c.
 */

#include "identity/identity.h"

#include "apr_strings.h"

#include <jansson.h>
#include <stdlib.h>

/* PATH in OBJ: the member of that exact name (claim names may hold dots,
 * "https://example.com/roles"), else "a.b.c" through nested objects. */
json_t *claim_path(apr_pool_t *p, json_t *obj, const char *path)
{
    json_t *v = json_object_get(obj, path);
    const char *dot;

    if (v) {
        return v;
    }
    /* "a.b.c": every part a member of an object; an empty part ("a..b",
     * "a.") names nothing */
    for (v = obj; v && path; path = dot ? dot + 1 : NULL) {
        dot = strchr(path, '.');
        if (dot == path || !*path || !json_is_object(v)) {
            return NULL;
        }
        v = json_object_get(v, dot ? apr_pstrmemdup(p, path, dot - path)
                                   : path);
    }
    return v;
}

/* A scalar's JSON text, compared with TEXT. */
static int scalar_matches(const json_t *v, const char *text)
{
    char *dumped;
    int same;

    if (json_is_string(v)) {
        return json_string_length(v) == strlen(text)
               && !strcmp(json_string_value(v), text);
    }
    if (json_is_object(v) || json_is_array(v)) {
        return 0;
    }
    dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    same = dumped && !strcmp(dumped, text);
    free(dumped);
    return same;
}

int claim_matches(json_t *v, const char *text)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *item;

        json_array_foreach(v, i, item) {
            if (scalar_matches(item, text)) {
                return 1;
            }
        }
        return 0;
    }
    return v && scalar_matches(v, text);
}

const char *claim_text(apr_pool_t *p, json_t *v)
{
    char *dumped;
    const char *copy;

    if (json_is_string(v)) {
        return apr_pstrdup(p, json_string_value(v));
    }
    dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT
                           | JSON_PRESERVE_ORDER);
    copy = dumped ? apr_pstrdup(p, dumped) : NULL;
    free(dumped);
    return copy;
}

int flag_value(const char *v)
{
    static const char *const yes[] = { "1", "t", "true", "y", "yes", "on" };
    static const char *const no[] = { "0", "f", "false", "n", "no", "off" };
    unsigned int i;

    for (i = 0; v && i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!strcasecmp(v, yes[i])) {
            return 1;
        }
        if (!strcasecmp(v, no[i])) {
            return 0;
        }
    }
    return -1;
}
