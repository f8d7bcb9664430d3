/* The few lines of TAP the C unit tests print: "ok N - name" or
 * "not ok N - name" per check, then the plan; the exit status tells
 * make check. */

#ifndef AUTH_BACKEND_TAP_H
#define AUTH_BACKEND_TAP_H

#include <stdio.h>

static int tap_failures, tap_count;

#define CHECK(cond, name) do {                                            \
        tap_count++;                                                      \
        if (cond) printf("ok %d - %s\n", tap_count, name);                \
        else { tap_failures++; printf("not ok %d - %s\n", tap_count,      \
                                      name); }                            \
    } while (0)

/* Prints the plan; the value for main() to return. */
static int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failures ? 1 : 0;
}

#endif
