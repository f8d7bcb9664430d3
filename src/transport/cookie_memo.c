/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * cookie_memo.c — what util_cookies found in the Cookie header that a
 * connection sent last, so that the same header on the next request of
 * that connection is not parsed again.
 *
 * A browser sends the same Cookie header on every request until one of its
 * cookies changes.  ap_cookie_read() tokenises the whole header on each
 * request (apr_strtok, about 12k instructions for a JWT cookie: more than
 * the rest of a cached JWT check).  What it finds depends only on the
 * header's bytes and the cookie's name, so the memo keeps, for one
 * connection, the header, the value found and what was left of the header
 * once the cookie was taken out, and gives them back only for a header
 * equal byte for byte and the same transport configuration.
 *
 * It lives in the connection's pool and only the thread serving that
 * connection touches it.  A connection's pool grows by less than twice
 * COOKIE_MEMO_MAX however its headers change: the buffer is reused, and
 * replaced only by one at least twice as large.
 */

#include "transport/transport.h"

struct cookie_memo {
    apr_pool_t *pool;
    const void *owner;          /* NULL: empty */
    char *buf;                  /* "header\0value\0kept\0" */
    apr_size_t cap;
    apr_size_t header_len;
    apr_size_t value_len;
    int has_kept;               /* 0: no Cookie header was left */
};

cookie_memo *cookie_memo_create(apr_pool_t *p)
{
    cookie_memo *m = apr_pcalloc(p, sizeof(*m));

    m->pool = p;
    return m;
}

int cookie_memo_get(const cookie_memo *m, const void *owner,
                    const char *header, const char **value,
                    const char **kept)
{
    if (!m->owner || m->owner != owner
        || strncmp(m->buf, header, m->header_len + 1)) {
        return 0;
    }
    *value = m->buf + m->header_len + 1;
    *kept = m->has_kept ? *value + m->value_len + 1 : NULL;
    return 1;
}

void cookie_memo_put(cookie_memo *m, const void *owner, const char *header,
                     const char *value, const char *kept)
{
    apr_size_t hlen = strlen(header), vlen = strlen(value);
    apr_size_t klen = kept ? strlen(kept) : 0;
    apr_size_t need = hlen + vlen + klen + 3;
    char *at;

    m->owner = NULL;            /* empty unless it fits */
    if (need > COOKIE_MEMO_MAX) {
        return;
    }
    if (need > m->cap) {
        apr_size_t cap = m->cap ? m->cap : COOKIE_MEMO_MAX / 8;

        while (cap < need) {
            cap *= 2;
        }
        m->buf = apr_palloc(m->pool, cap);
        m->cap = cap;
    }
    at = m->buf;
    memcpy(at, header, hlen + 1);
    at += hlen + 1;
    memcpy(at, value, vlen + 1);
    at += vlen + 1;
    if (kept) {
        memcpy(at, kept, klen + 1);
    }
    m->header_len = hlen;
    m->value_len = vlen;
    m->has_kept = kept != NULL;
    m->owner = owner;
}
