/* Unit tests of src/token_cache.c (TAP output): what the JWT cache and
 * the redis strategy's cache= rely on — exact matches only, expiry,
 * forgetting one entry or all, a full slot replaced — and the generations
 * the dbd strategy's cache= follows. */

#include "common/common.h"

#include "apr_general.h"
#include "apr_strings.h"

#include "tap.h"

module AP_MODULE_DECLARE_DATA auth_backend_module;   /* nothing is logged */

static int hit(token_cache *c, apr_pool_t *p, const char *token, double now,
               const char *want_user)
{
    const char *user = NULL, *claims = NULL;

    return token_cache_get(c, NULL, token, now, p, &user, &claims)
           && !strcmp(user, want_user);
}

static int miss(token_cache *c, apr_pool_t *p, const char *token, double now)
{
    const char *user, *claims;

    return !token_cache_get(c, NULL, token, now, p, &user, &claims);
}

int main(void)
{
    apr_pool_t *p;
    token_cache *c, *one;
    const char *a = "tokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const char *b = "tokenBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    char *a_prefix;
    char *big;

    apr_initialize();
    apr_pool_create(&p, NULL);
    c = token_cache_create(p, 64);
    CHECK(c != NULL, "a cache of 64 slots");

    CHECK(miss(c, p, a, 100), "empty: no hit");
    token_cache_put(c, NULL, a, 200, "alice", "{\"sub\":\"alice\"}");
    CHECK(hit(c, p, a, 100, "alice"), "a stored token is found");
    CHECK(miss(c, p, b, 100), "another token is not");
    a_prefix = apr_pstrndup(p, a, strlen(a) - 1);
    CHECK(miss(c, p, a_prefix, 100), "a prefix of the token is not");
    CHECK(miss(c, p, apr_pstrcat(p, a, "x", NULL), 100),
          "the token and more is not");
    CHECK(miss(c, p, a, 200), "not at its valid_until");
    CHECK(miss(c, p, a, 150), "an expired entry is dropped, not revived");

    token_cache_put(c, NULL, a, 300, "alice", "");
    token_cache_put(c, NULL, b, 300, "bob", "");
    token_cache_forget(c, b, strlen(b) - 1);
    CHECK(hit(c, p, b, 100, "bob"), "forgetting a prefix keeps the token");
    token_cache_forget(c, b, strlen(b));
    CHECK(miss(c, p, b, 100), "a forgotten token is not found");
    CHECK(hit(c, p, a, 100, "alice"), "forgetting one keeps the others");
    token_cache_forget(c, b, strlen(b));
    CHECK(hit(c, p, a, 100, "alice"), "forgetting twice is harmless");

    token_cache_put(c, NULL, b, 300, "bob", "");
    token_cache_clear(c);
    CHECK(miss(c, p, a, 100) && miss(c, p, b, 100), "clear forgets all");
    token_cache_put(c, NULL, a, 300, "alice2", "");
    CHECK(hit(c, p, a, 100, "alice2"), "usable after clear");

    one = token_cache_create(p, 1);
    token_cache_put(one, NULL, a, 300, "alice", "");
    token_cache_put(one, NULL, b, 300, "bob", "");
    CHECK(miss(one, p, a, 100) && hit(one, p, b, 100, "bob"),
          "one slot: the newer token replaces the older");

    {
        unsigned char g1[TOKEN_CACHE_GENERATION] = { 1 };
        unsigned char g2[TOKEN_CACHE_GENERATION] = { 1 };
        const char *user, *claims;
        token_cache *g = token_cache_create(p, 64);

        g2[TOKEN_CACHE_GENERATION - 1] = 1;     /* differs in the last byte */
        token_cache_put(g, g1, a, 300, "alice", "");
        CHECK(!token_cache_get(g, g1, a, 100, p, &user, &claims),
              "a put under a generation no lookup has seen is dropped");
        token_cache_put(g, g1, a, 300, "alice", "");
        CHECK(token_cache_get(g, g1, a, 100, p, &user, &claims)
              && !strcmp(user, "alice"), "found under its generation");
        CHECK(!token_cache_get(g, g2, a, 100, p, &user, &claims),
              "not under another generation");
        CHECK(!token_cache_get(g, g1, a, 100, p, &user, &claims),
              "a change of generation forgot it, even back to the old one");
        token_cache_put(g, g2, b, 300, "bob", "");
        CHECK(!token_cache_get(g, g2, b, 100, p, &user, &claims),
              "a put under another generation than the entries' is dropped");
        token_cache_put(g, g2, b, 300, "bob", "");
        token_cache_put(g, g1, a, 300, "alice", "");
        CHECK(token_cache_get(g, g2, b, 100, p, &user, &claims)
              && !strcmp(user, "bob")
              && !token_cache_get(g, g2, a, 100, p, &user, &claims),
              "a put read before a change does not land after it");
        CHECK(token_cache_get(g, NULL, b, 100, p, &user, &claims),
              "NULL: no generation is checked");
    }

    big = apr_palloc(p, TOKEN_CACHE_MAX_TOKEN + 2);
    memset(big, 'x', TOKEN_CACHE_MAX_TOKEN + 1);
    big[TOKEN_CACHE_MAX_TOKEN + 1] = '\0';
    token_cache_put(c, NULL, big, 300, "carol", "");
    CHECK(miss(c, p, big, 100), "a token over the size limit is not cached");

    apr_pool_destroy(p);        /* frees the entries (cleanup) */
    apr_terminate();
    return tap_done();
}
