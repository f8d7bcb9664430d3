/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * b64url.h — strict base64url (RFC 4648 §5 without padding, as RFC 7515
 * §2 uses it), on APR alone: the JOSE engine and every other part of the
 * module share it.
 */

#ifndef AUTH_BACKEND_B64URL_H
#define AUTH_BACKEND_B64URL_H

#include "apr_pools.h"

/* Whether IN (LEN bytes) is the canonical unpadded encoding of something:
 * only the URL-safe alphabet, a length other than 1 mod 4, zero bits
 * below the last full byte.  Anything else has several spellings, which
 * RFC 7515 §2 and RFC 8725 do not allow. */
int b64url_is_canonical(const char *in, apr_size_t len);

/* Decodes into a NUL-terminated pool buffer: the decoded length, or -1
 * unless IN is canonical. */
apr_ssize_t b64url_decode(apr_pool_t *p, const char *in, apr_size_t len,
                          unsigned char **out);

/* base64url without padding, NUL-terminated. */
char *b64url_encode(apr_pool_t *p, const unsigned char *in, apr_size_t len);

#endif /* AUTH_BACKEND_B64URL_H */
