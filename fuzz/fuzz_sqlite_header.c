/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_sqlite_header.c — what the dbd strategy's cache= reads from an
 * SQLite file without SQLite (src/strategy/dbd/sqlite_watch.c): the
 * header of the database file, which any process that can write the file
 * controls, and the created_at text of a row.  The input is written as
 * the database file and read through one watcher, and is also the text of
 * a created_at.
 * Properties: a generation is read exactly when the file starts with
 * "SQLite format 3\0" and is at least 40 bytes long with the rollback-
 * journal format bytes (18 and 19 both 1), and it is bytes 24-39; WAL
 * format bytes say WAL; anything else is unreadable with a reason; a
 * created_at is accepted exactly in the form "YYYY-MM-DD HH:MM:SS.ffffff"
 * naming a real UTC instant from 1970 on, and the instant is the one an
 * independent calendar computation gives.
 */

#include "fuzz.h"

#include "strategy/dbd/dbd.h"

#include <unistd.h>

static char path[] = "/tmp/fuzz_sqlite_header.XXXXXX";
static int fd = -1;
static sqlite_watch *watch;

static void remove_file(void)
{
    unlink(path);
}

static void check_header(const uint8_t *data, size_t size)
{
    static const char magic[16] = "SQLite format 3";
    unsigned char gen[TOKEN_CACHE_GENERATION];
    const char *why;
    sqlite_watch_state st;
    int sqlite = size >= 40 && !memcmp(data, magic, sizeof(magic));

    FUZZ_ASSERT(ftruncate(fd, 0) == 0 && (size == 0
                || pwrite(fd, data, size, 0) == (ssize_t)size), "write");
    memset(gen, 0, sizeof(gen));
    st = sqlite_watch_read(watch, gen, &why);
    if (sqlite && data[18] == 1 && data[19] == 1) {
        FUZZ_ASSERT(st == SQLITE_WATCH_CURRENT && !why
                    && !memcmp(gen, data + 24, sizeof(gen)),
                    "generation of a rollback-journal database: %d", st);
        return;
    }
    FUZZ_ASSERT(st != SQLITE_WATCH_CURRENT && why && *why,
                "a generation from a file that has none (%zu bytes)", size);
    FUZZ_ASSERT(st == (sqlite && (data[18] == 2 || data[19] == 2)
                       ? SQLITE_WATCH_WAL : SQLITE_WATCH_UNREADABLE),
                "state %d: %s", st, why);
}

/* days from 1970-01-01 to Y-M-D (proleptic Gregorian) */
static apr_int64_t days_from_civil(int y, int m, int d)
{
    apr_int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int num(const char *s, int n)
{
    int v = 0;

    while (n--) {
        v = v * 10 + (*s++ - '0');
    }
    return v;
}

static void check_time(const char *s)
{
    static const char form[] = "dddd-dd-dd dd:dd:dd.dddddd";
    apr_time_t t = -1;
    int ok = strlen(s) == sizeof(form) - 1, i, y, mo, d, leap, mdays;

    for (i = 0; ok && form[i]; i++) {
        ok = form[i] == 'd' ? s[i] >= '0' && s[i] <= '9' : s[i] == form[i];
    }
    if (!ok) {
        FUZZ_ASSERT(!sqlite_text_time(s, &t), "'%s' accepted", s);
        return;
    }
    y = num(s, 4);
    mo = num(s + 5, 2);
    d = num(s + 8, 2);
    leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
    mdays = mo == 2 ? 28 + leap : mo == 4 || mo == 6 || mo == 9 || mo == 11
            ? 30 : 31;
    ok = y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays
         && num(s + 11, 2) < 24 && num(s + 14, 2) < 60 && num(s + 17, 2) < 60;
    FUZZ_ASSERT(sqlite_text_time(s, &t) == ok, "'%s': %s", s,
                ok ? "refused" : "accepted");
    if (ok) {
        apr_int64_t want = days_from_civil(y, mo, d) * 86400
                           + num(s + 11, 2) * 3600 + num(s + 14, 2) * 60
                           + num(s + 17, 2);
        FUZZ_ASSERT(t == want * APR_USEC_PER_SEC + num(s + 20, 6),
                    "'%s' is %" APR_TIME_T_FMT, s, t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;

    fuzz_init();
    if (fd < 0) {
        FUZZ_ASSERT((fd = mkstemp(path)) >= 0, "mkstemp");
        atexit(remove_file);
        watch = sqlite_watch_create(fuzz_process_pool(), path);
        FUZZ_ASSERT(watch, "watch");
    }
    apr_pool_create(&p, fuzz_process_pool());
    check_header(data, size);
    check_time(fuzz_cstr(p, data, size));
    apr_pool_destroy(p);
    return 0;
}
