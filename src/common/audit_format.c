/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * audit_format.c — the text of an audit line (see audit.c), kept apart from
 * the logging so that the escaping can be unit-tested without httpd.
 *
 *   auth_backend: event=E reason=R client=A user="U" backend=B k=v detail="D"
 *
 * Fields are key=value words separated by one space, always in that order,
 * absent ones left out.  A value can never end its field early, forge
 * another field or break the line: bare values keep only [A-Za-z0-9._:/@+-],
 * quoted ones (user names and details, which come from clients) keep
 * printable ASCII but '"', '%', '\' and '='; every other byte is written
 * %XX.  So an '=' always follows a key, and a pattern such as
 * "event=login_failed" cannot match inside a value a client chose.
 * Percent-encoding rather than backslashes also keeps httpd's own error-log
 * escaping, which doubles backslashes, out of the way.
 */

#include "common/common.h"

#include "apr_lib.h"
#include "apr_strings.h"

static int keeps(unsigned char c, int quoted)
{
    if (apr_isalnum(c) || (c && strchr("._:/@+-", c))) {
        return 1;
    }
    return quoted && c >= 0x20 && c < 0x7f && !strchr("\"%\\=", c);
}

const char *audit_value(apr_pool_t *p, const char *v, int quoted)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s;
    apr_size_t n = 0;
    char *out, *d;

    for (s = (const unsigned char *)v; *s; s++) {
        n += keeps(*s, quoted) ? 1 : 3;
    }
    d = out = apr_palloc(p, n + 3);
    if (quoted) {
        *d++ = '"';
    }
    for (s = (const unsigned char *)v; *s; s++) {
        if (keeps(*s, quoted)) {
            *d++ = (char)*s;
        }
        else {
            *d++ = '%';
            *d++ = hex[*s >> 4];
            *d++ = hex[*s & 15];
        }
    }
    if (quoted) {
        *d++ = '"';
    }
    *d = '\0';
    return out;
}

static void field(apr_array_header_t *words, const char *key,
                  const char *value, int quoted)
{
    if (value) {
        APR_ARRAY_PUSH(words, const char *) =
            apr_pstrcat(words->pool, key, "=",
                        audit_value(words->pool, value, quoted), NULL);
    }
}

const char *audit_line(apr_pool_t *p, const audit_fields *f)
{
    apr_array_header_t *words = apr_array_make(p, 8, sizeof(const char *));
    const char *const *x;

    APR_ARRAY_PUSH(words, const char *) = AUDIT_PREFIX;
    field(words, "event", f->event, 0);
    field(words, "reason", f->reason, 0);
    field(words, "client", f->client, 0);
    field(words, "user", f->user, 1);
    field(words, "backend", f->backend, 0);
    for (x = f->extra; x && x[0] && x[1]; x += 2) {
        field(words, x[0], x[1], 0);
    }
    field(words, "detail", f->detail, 1);
    return apr_array_pstrcat(p, words, ' ');
}
