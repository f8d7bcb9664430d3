/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * token_cache.c — a bounded, per-process cache of tokens that were fully
 * verified, so that a client sending the same JWT on every request pays
 * for its signature once.  Only for stateless tokens: a cached JWT could
 * not have been revoked anyway, while Redis and SQL tokens must be looked
 * up each time so that a logout takes effect at once.
 *
 * An entry matches only the very same token, compared byte for byte (no
 * digest, so no collision to reason about), and never outlives the token's
 * exp.  The table is direct-mapped: a new entry replaces whatever shares
 * its slot, so memory stays bounded without LRU bookkeeping, and tokens
 * crafted to share a slot only evict each other.  One mutex guards it; it
 * is held for a compare and a copy.
 *
 * A cache may follow a generation of its store (the dbd strategy's SQLite
 * file): entries are put and found under the generation the caller read,
 * and a different one empties the cache, so nothing read before a change
 * of the store is found after it.
 */

#include "common/common.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <stdlib.h>

typedef struct {
    char *data;                 /* malloc'd "token\0user\0claims\0"; NULL: empty */
    apr_size_t token_len;
    apr_size_t user_len;
    double valid_until;         /* exp + leeway */
} cache_entry;

struct token_cache {
    apr_thread_mutex_t *lock;
    cache_entry *slots;
    unsigned int nslots;
    unsigned char generation[TOKEN_CACHE_GENERATION];  /* of the entries */
};

static apr_status_t cache_free(void *data)
{
    token_cache *c = data;
    unsigned int i;

    for (i = 0; i < c->nslots; i++) {
        free(c->slots[i].data);
        c->slots[i].data = NULL;
    }
    return APR_SUCCESS;
}

token_cache *token_cache_create(apr_pool_t *p, unsigned int nslots)
{
    token_cache *c = apr_pcalloc(p, sizeof(*c));

    c->nslots = nslots;
    c->slots = apr_pcalloc(p, nslots * sizeof(cache_entry));
    if (apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS) {
        return NULL;
    }
    apr_pool_cleanup_register(p, c, cache_free, apr_pool_cleanup_null);
    return c;
}

/* The slot comes from the token's last bytes (a JWT's signature, which
 * varies the most): hashing all of it would cost more than the lookup. */
static cache_entry *slot_of(const token_cache *c, const char *token,
                            apr_size_t len)
{
    apr_ssize_t klen = len < 32 ? (apr_ssize_t)len : 32;

    return &c->slots[apr_hashfunc_default(token + len - klen, &klen)
                     % c->nslots];
}

/* Under the lock: 1 if the entries belong to generation GEN (NULL: the
 * caller has none); else forgets them all, for GEN is newer, or at worst
 * a request's older view, which only costs lookups. */
static int same_generation(token_cache *c, const unsigned char *gen)
{
    if (!gen || !memcmp(c->generation, gen, TOKEN_CACHE_GENERATION)) {
        return 1;
    }
    cache_free(c);
    memcpy(c->generation, gen, TOKEN_CACHE_GENERATION);
    return 0;
}

int token_cache_get(token_cache *c, const unsigned char *gen,
                    const char *token, double now, apr_pool_t *p,
                    const char **user, const char **claims)
{
    apr_size_t len = strlen(token);
    cache_entry *e = slot_of(c, token, len);
    int hit = 0;

    apr_thread_mutex_lock(c->lock);
    if (same_generation(c, gen) && e->data && e->token_len == len && !memcmp(e->data, token, len)) {
        if (now < e->valid_until) {
            /* copied out under the lock: the entry may be replaced as
             * soon as it is released */
            const char *u = e->data + len + 1;
            *user = apr_pstrmemdup(p, u, e->user_len);
            *claims = apr_pstrdup(p, u + e->user_len + 1);
            hit = 1;
        }
        else {
            free(e->data);
            e->data = NULL;
        }
    }
    apr_thread_mutex_unlock(c->lock);
    return hit;
}

void token_cache_put(token_cache *c, const unsigned char *gen,
                     const char *token, double valid_until,
                     const char *user, const char *claims)
{
    apr_size_t tlen = strlen(token), ulen = strlen(user);
    apr_size_t clen = strlen(claims);
    cache_entry *e = slot_of(c, token, tlen);
    char *data;

    if (tlen > TOKEN_CACHE_MAX_TOKEN || !(data = malloc(tlen + ulen + clen + 3))) {
        return;                 /* a cache may forget */
    }
    memcpy(data, token, tlen + 1);
    memcpy(data + tlen + 1, user, ulen + 1);
    memcpy(data + tlen + ulen + 2, claims, clen + 1);

    apr_thread_mutex_lock(c->lock);
    if (gen && memcmp(c->generation, gen, TOKEN_CACHE_GENERATION)) {
        /* read before the store changed (or before a request that saw
         * the change emptied the cache): too old to keep */
        apr_thread_mutex_unlock(c->lock);
        free(data);
        return;
    }
    free(e->data);
    e->data = data;
    e->token_len = tlen;
    e->user_len = ulen;
    e->valid_until = valid_until;
    apr_thread_mutex_unlock(c->lock);
}

void token_cache_forget(token_cache *c, const char *token, apr_size_t len)
{
    cache_entry *e = slot_of(c, token, len);

    apr_thread_mutex_lock(c->lock);
    if (e->data && e->token_len == len && !memcmp(e->data, token, len)) {
        free(e->data);
        e->data = NULL;
    }
    apr_thread_mutex_unlock(c->lock);
}

void token_cache_clear(token_cache *c)
{
    apr_thread_mutex_lock(c->lock);
    cache_free(c);
    apr_thread_mutex_unlock(c->lock);
}
