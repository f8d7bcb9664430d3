/* test_jose --bench (placeholder while the benchmark is written) */
#include "jose.h"
void jose_bench(apr_pool_t *p);
void jose_bench(apr_pool_t *p) { (void)p; }
