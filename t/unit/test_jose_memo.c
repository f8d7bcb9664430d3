/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * test_jose_memo.c — a connection's memo of its tokens' last JWS header
 * (jose_jws_parse_memo): a token read through the memo reads exactly as
 * without it, whatever the memo held before.
 */

#include "strategy/jwt/jose.h"
#include "tap.h"

#include "apr_strings.h"

#include <string.h>

static const char *forge(apr_pool_t *p, const char *header,
                         const char *payload, const char *sig)
{
    return apr_pstrcat(p, b64url_encode(p, (const unsigned char *)header,
                                             strlen(header)), ".",
                       b64url_encode(p, (const unsigned char *)payload,
                                          strlen(payload)), ".", sig, NULL);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* TOKEN parsed through MEMO gives what a plain parse gives: the same
 * answer, reason, alg, kid, typ, header and parts. */
static int reads_alike(apr_pool_t *p, jose_header_memo *memo,
                       const char *token)
{
    jose_jws *a = NULL, *b = NULL;
    const char *why_a = NULL, *why_b = NULL;
    apr_status_t ra = jose_jws_parse(p, token, strlen(token), &a, &why_a);
    apr_status_t rb = jose_jws_parse_memo(p, token, strlen(token), memo, &b,
                                          &why_b);

    if (ra != rb || !same_str(why_a, why_b) || !a != !b) {
        return 0;
    }
    return !a || (a->alg == b->alg && same_str(a->kid, b->kid)
                  && same_str(a->typ, b->typ)
                  && a->header_len == b->header_len
                  && !memcmp(a->header, b->header, a->header_len + 1)
                  && a->payload_len == b->payload_len
                  && !memcmp(a->payload, b->payload, a->payload_len)
                  && a->sig_len == b->sig_len
                  && !memcmp(a->sig, b->sig, a->sig_len)
                  && a->signing_input_len == b->signing_input_len
                  && !memcmp(a->signing_input, b->signing_input,
                             a->signing_input_len));
}

int main(void)
{
    apr_pool_t *p;
    jose_header_memo *m;
    jose_jws *jws = NULL;
    const char *why, *t1, *t2, *big, *kid;
    char *longkid;

    apr_initialize();
    apr_pool_create(&p, NULL);
    m = jose_header_memo_create(p);
    t1 = forge(p, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}",
               "{\"sub\":\"a\"}", "AAAA");
    t2 = forge(p, "{\"alg\":\"ES256\"}", "{\"sub\":\"b\"}", "AAAA");

    CHECK(reads_alike(p, m, t1) && reads_alike(p, m, t1),
          "the same header twice reads as without the memo");
    CHECK(reads_alike(p, m, t2) && reads_alike(p, m, t1),
          "another header replaces it: kid and typ follow the header");
    jose_jws_parse_memo(p, t1, strlen(t1), m, &jws, &why);
    CHECK(jws && jws->kid && !strcmp(jws->kid, "k1") && jws->typ
          && !strcmp(jws->typ, "JWT") && jws->alg == JOSE_RS256,
          "a header from the memo has its kid, typ and alg");
    kid = jws->kid;
    jose_jws_parse_memo(p, t2, strlen(t2), m, &jws, &why);
    CHECK(!strcmp(kid, "k1") && jws && !jws->kid && !jws->typ,
          "what a hit gave stays when the memo changes; none where none");

    /* the header part matches the memo, the rest does not parse */
    CHECK(reads_alike(p, m, forge(p, "{\"alg\":\"ES256\"}", "{}", "A=A"))
          && reads_alike(p, m, apr_pstrcat(p, t2, ".x", NULL))
          && reads_alike(p, m, forge(p, "{\"alg\":\"ES256\"}", "{}", "A")),
          "a remembered header with a bad payload or signature part");
    CHECK(reads_alike(p, m, forge(p, "{\"alg\":\"none\"}", "{}", ""))
          && reads_alike(p, m, forge(p, "{\"alg\":\"HS256\",\"alg\":\"HS256\""
                                     "}", "{}", "AA"))
          && reads_alike(p, m, t2),
          "refused headers are never remembered as read");
    /* the same bytes as a remembered header, with one changed */
    CHECK(reads_alike(p, m, forge(p, "{\"alg\":\"ES257\"}", "{}", "AA")),
          "a header one byte off the memo's");

    longkid = apr_palloc(p, JOSE_HEADER_MEMO_MAX + 1);
    memset(longkid, 'k', JOSE_HEADER_MEMO_MAX);
    longkid[JOSE_HEADER_MEMO_MAX] = '\0';
    big = forge(p, apr_pstrcat(p, "{\"alg\":\"HS256\",\"kid\":\"", longkid,
                               "\"}", NULL), "{}", "AA");
    CHECK(reads_alike(p, m, big) && reads_alike(p, m, big)
          && reads_alike(p, m, t1),
          "a header longer than the memo is read each time");
    CHECK(reads_alike(p, NULL, t1), "no memo (an HTTP/2 stream)");

    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
