/* Unit tests of src/cookie_memo.c (TAP output): the memo answers only for
 * the very same header and transport, gives back what was stored (a kept
 * header or none), and stores nothing over its size limit. */

#include "transport/transport.h"

#include "apr_general.h"
#include "apr_strings.h"

#include "tap.h"

module AP_MODULE_DECLARE_DATA auth_backend_module;   /* nothing is logged */

static const int web, keep;     /* two transport configurations */

static int answers(const cookie_memo *m, const void *owner,
                   const char *header, const char *want_value,
                   const char *want_kept)
{
    const char *value = NULL, *kept = "unset";

    if (!cookie_memo_get(m, owner, header, &value, &kept)) {
        return 0;
    }
    return !strcmp(value, want_value)
           && (want_kept ? kept && !strcmp(kept, want_kept) : !kept);
}

static int silent(const cookie_memo *m, const void *owner, const char *header)
{
    const char *value, *kept;

    return !cookie_memo_get(m, owner, header, &value, &kept);
}

int main(void)
{
    apr_pool_t *p;
    cookie_memo *m;
    const char *h = "a=1; fastapiusersauth=TOKEN; b=2";
    char *big;

    apr_initialize();
    apr_pool_create(&p, NULL);
    m = cookie_memo_create(p);

    CHECK(silent(m, &web, h), "empty: no answer");
    CHECK(silent(m, NULL, h), "empty: no answer for a NULL owner either");

    cookie_memo_put(m, &web, h, "TOKEN", "a=1; b=2");
    CHECK(answers(m, &web, h, "TOKEN", "a=1; b=2"),
          "the same header gives back the value and the kept header");
    CHECK(answers(m, &web, apr_pstrdup(p, h), "TOKEN", "a=1; b=2"),
          "compared by bytes, not by address");
    CHECK(silent(m, &keep, h), "another transport gets no answer");
    CHECK(silent(m, &web, "a=1; fastapiusersauth=TOKEN; b=3"),
          "a header that differs in its last byte gets none");
    CHECK(silent(m, &web, "a=1; fastapiusersauth=TOKEN; b="),
          "a prefix of the header gets none");
    CHECK(silent(m, &web, "a=1; fastapiusersauth=TOKEN; b=2; "
                 "fastapiusersauth=OTHER"),
          "the header and more gets none (a second copy of the cookie)");
    CHECK(silent(m, &web, ""), "an empty header gets none");

    cookie_memo_put(m, &web, "fastapiusersauth=T2", "T2", NULL);
    CHECK(answers(m, &web, "fastapiusersauth=T2", "T2", NULL),
          "no header left after stripping is given back as NULL");
    CHECK(silent(m, &web, h), "a new entry replaces the previous one");

    cookie_memo_put(m, &keep, "keep=", "", NULL);
    CHECK(answers(m, &keep, "keep=", "", NULL), "an empty value is kept");

    big = apr_palloc(p, COOKIE_MEMO_MAX + 1);
    memset(big, 'x', COOKIE_MEMO_MAX);
    big[COOKIE_MEMO_MAX] = '\0';
    memcpy(big, "fastapiusersauth=", 17);
    cookie_memo_put(m, &web, big, "x", NULL);
    CHECK(silent(m, &web, big), "a header over the size limit is not kept");
    CHECK(silent(m, &keep, "keep="),
          "and the memo is empty after it, not stale");

    big[COOKIE_MEMO_MAX / 2] = '\0';
    cookie_memo_put(m, &web, big, big + 17, NULL);
    CHECK(answers(m, &web, big, big + 17, NULL),
          "a large header under the limit grows the buffer");
    cookie_memo_put(m, &web, h, "TOKEN", "a=1; b=2");
    CHECK(answers(m, &web, h, "TOKEN", "a=1; b=2"),
          "a smaller one reuses it");

    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
