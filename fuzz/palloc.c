/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * palloc.c — makes APR pool memory visible to AddressSanitizer in the
 * fuzzing build.  A pool hands out slices of large blocks, so writing past
 * the end of an apr_palloc()'d buffer lands in the next slice and ASan
 * sees nothing.  Here apr_palloc() is replaced (the executable's definition
 * interposes the one in libapr, which calls it through its PLT as well):
 * every allocation is its own malloc() block with ASan's red zones, freed
 * when the pool is cleared or destroyed.
 *
 * The blocks of a pool are freed by one cleanup, registered at the pool's
 * first allocation, so it runs after the cleanups registered later (pool
 * cleanups run last-in first-out): as with real pools, a cleanup may still
 * read memory allocated after it was registered.  apr_psprintf() writes
 * into the pool's blocks directly and stays invisible.
 *
 * LeakSanitizer is told that the blocks are no leaks (a pool frees them;
 * the list that leads to them lives in pool memory, which APR may mmap()
 * where LSan does not look), and it still follows the pointers in them,
 * so memory malloc()'d and lost by module code is reported.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE      /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/lsan_interface.h>

#include "apr_pools.h"

typedef void *(*palloc_fn)(apr_pool_t *, apr_size_t);

typedef struct block {
    void *mem;
    struct block *next;
} block;

static palloc_fn real_palloc;
static __thread int inside;          /* APR's own bookkeeping: real pools */
static const char blocks_key[] = "fuzz-palloc-blocks";

static apr_status_t free_blocks(void *data)
{
    block **head = data, *b;

    for (b = *head; b; b = b->next) {
        free(b->mem);
    }
    *head = NULL;
    return APR_SUCCESS;
}

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    block **head = NULL, *b;
    void *mem;

    if (!real_palloc) {
        real_palloc = (palloc_fn)dlsym(RTLD_NEXT, "apr_palloc");
        if (!real_palloc) {
            fprintf(stderr, "palloc.c: no apr_palloc in libapr\n");
            abort();
        }
    }
    if (inside) {
        return real_palloc(p, size);
    }
    inside = 1;
    apr_pool_userdata_get((void **)&head, blocks_key, p);
    if (!head) {
        head = real_palloc(p, sizeof(*head));
        *head = NULL;
        apr_pool_userdata_setn(head, blocks_key, NULL, p);
        apr_pool_cleanup_register(p, head, free_blocks, apr_pool_cleanup_null);
    }
    b = real_palloc(p, sizeof(*b));
    inside = 0;

    mem = malloc(size ? size : 1);
    if (!mem) {
        abort();
    }
    __lsan_ignore_object(mem);
    b->mem = mem;
    b->next = *head;
    *head = b;
    return mem;
}

#undef apr_pcalloc
void *apr_pcalloc(apr_pool_t *p, apr_size_t size)
{
    return memset(apr_palloc(p, size), 0, size);
}
