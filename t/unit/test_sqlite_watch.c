/* Unit tests of src/sqlite_watch.c (TAP output), on files whose header is
 * written here byte by byte: the generation is bytes 24-39; WAL, unknown
 * versions, short or foreign files have none; a write lock that another
 * process holds on SQLite's shared range means "busy", while its read
 * locks and the pending byte do not; a file renamed over the watched one
 * is followed.  And the only created_at text the cache accepts.  The dbd
 * integration tests run the same against real SQLite files. */

#include "strategy/dbd/dbd.h"
#include "common/common.h"

#include "apr_general.h"
#include "apr_strings.h"

#include "tap.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

module AP_MODULE_DECLARE_DATA auth_backend_module;   /* nothing is logged */

#define PENDING_BYTE 0x40000000L
#define SHARED_FIRST (PENDING_BYTE + 2)

static void write_header(const char *path, unsigned char version,
                         unsigned char counter, apr_size_t len)
{
    unsigned char h[100];
    FILE *f = fopen(path, "wb");

    memset(h, 0, sizeof(h));
    memcpy(h, "SQLite format 3", 16);
    h[16] = 0x10;                       /* page size 4096 */
    h[18] = h[19] = version;
    h[27] = counter;                    /* change counter, big-endian */
    h[31] = 2;                          /* pages */
    fwrite(h, 1, len, f);
    fclose(f);
}

static sqlite_watch_state state(sqlite_watch *w, unsigned char *gen)
{
    const char *why;
    sqlite_watch_state st = sqlite_watch_read(w, gen, &why);

    if (st != SQLITE_WATCH_CURRENT && !why) {
        return (sqlite_watch_state)-1;     /* a reason is always given */
    }
    return st;
}

/* A process that holds a lock of TYPE on LEN bytes at START of PATH until
 * it is killed; its pid. */
static pid_t lock_holder(const char *path, short type, off_t start, off_t len)
{
    int ready[2];
    char c;
    pid_t pid;

    if (pipe(ready) != 0) {
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        struct flock fl;
        int fd = open(path, O_RDWR);

        memset(&fl, 0, sizeof(fl));
        fl.l_type = type;
        fl.l_whence = SEEK_SET;
        fl.l_start = start;
        fl.l_len = len;
        c = fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1) {
            _exit(1);
        }
        pause();
        _exit(0);
    }
    close(ready[1]);
    if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 'y') {
        pid = -1;
    }
    close(ready[0]);
    return pid;
}

static void stop(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

static int text_is(const char *s, int y, int mo, int d, int h, int mi,
                   int sec, int usec)
{
    apr_time_exp_t tm;
    apr_time_t want, got;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_usec = usec;
    apr_time_exp_gmt_get(&want, &tm);
    return sqlite_text_time(s, &got) && got == want;
}

static int refused(const char *s)
{
    apr_time_t t;

    return !sqlite_text_time(s, &t);
}

int main(void)
{
    apr_pool_t *p;
    sqlite_watch *w;
    unsigned char g1[TOKEN_CACHE_GENERATION], g2[TOKEN_CACHE_GENERATION];
    char dir[] = "/tmp/test_sqlite_watch.XXXXXX";
    const char *db, *other, *why;
    pid_t pid;

    apr_initialize();
    apr_pool_create(&p, NULL);
    if (!mkdtemp(dir)) {
        return 1;
    }
    db = apr_pstrcat(p, dir, "/app.sqlite", NULL);
    other = apr_pstrcat(p, dir, "/new.sqlite", NULL);
    w = sqlite_watch_create(p, db);

    CHECK(sqlite_watch_read(w, g1, &why) == SQLITE_WATCH_UNREADABLE
          && strstr(why, "does not exist"), "a missing file: none, and why");
    write_header(db, 1, 7, 100);
    CHECK(state(w, g1) == SQLITE_WATCH_CURRENT && g1[3] == 7 && g1[7] == 2,
          "then, once it exists: bytes 24-39");
    write_header(db, 1, 8, 100);
    CHECK(state(w, g2) == SQLITE_WATCH_CURRENT
          && memcmp(g1, g2, sizeof(g1)), "a new counter: another generation");
    CHECK(state(w, g1) == SQLITE_WATCH_CURRENT && !memcmp(g1, g2, sizeof(g1)),
          "read again: the same");

    write_header(db, 2, 8, 100);
    CHECK(state(w, g1) == SQLITE_WATCH_WAL, "WAL (version 2): none");
    write_header(db, 3, 8, 100);
    CHECK(state(w, g1) == SQLITE_WATCH_UNREADABLE, "version 3: none");
    write_header(db, 1, 8, 30);
    CHECK(state(w, g1) == SQLITE_WATCH_UNREADABLE, "a short file: none");
    write_header(db, 1, 8, 0);
    CHECK(state(w, g1) == SQLITE_WATCH_UNREADABLE, "an empty file: none");
    {
        FILE *f = fopen(db, "wb");

        fputs("SQLite format 2\n and more than forty bytes of something else",
              f);
        fclose(f);
        CHECK(state(w, g1) == SQLITE_WATCH_UNREADABLE,
              "another file format: none");
    }

    write_header(db, 1, 9, 100);
    pid = lock_holder(db, F_WRLCK, SHARED_FIRST + 100, 1);
    CHECK(pid > 0 && sqlite_watch_read(w, g1, &why) == SQLITE_WATCH_BUSY
          && strstr(why, "writing"),
          "another process's write lock in the shared range: busy");
    stop(pid);
    CHECK(state(w, g1) == SQLITE_WATCH_CURRENT, "released: current again");
    pid = lock_holder(db, F_RDLCK, SHARED_FIRST, 510);
    CHECK(pid > 0 && state(w, g1) == SQLITE_WATCH_CURRENT,
          "a reader's shared lock: current");
    stop(pid);
    pid = lock_holder(db, F_WRLCK, PENDING_BYTE, 2);
    CHECK(pid > 0 && state(w, g1) == SQLITE_WATCH_CURRENT,
          "pending and reserved locks (nothing written yet): current");
    stop(pid);

    CHECK(state(w, g1) == SQLITE_WATCH_CURRENT && g1[3] == 9, "before: 9");
    write_header(other, 1, 42, 100);
    CHECK(rename(other, db) == 0 && state(w, g1) == SQLITE_WATCH_CURRENT
          && g1[3] == 42, "a file renamed over it is followed");
    pid = lock_holder(db, F_WRLCK, SHARED_FIRST, 510);
    CHECK(pid > 0 && state(w, g1) == SQLITE_WATCH_BUSY,
          "and its locks are the ones tested");
    stop(pid);
    unlink(db);
    CHECK(state(w, g1) == SQLITE_WATCH_UNREADABLE, "deleted: none");
    write_header(db, 1, 43, 100);
    CHECK(state(w, g1) == SQLITE_WATCH_CURRENT && g1[3] == 43,
          "created again: followed");

    CHECK(text_is("2026-11-27 02:43:30.123456", 2026, 11, 27, 2, 43, 30,
                  123456), "created_at: the module's and SQLAlchemy's text");
    CHECK(text_is("2024-02-29 23:59:59.999999", 2024, 2, 29, 23, 59, 59,
                  999999), "a leap day");
    CHECK(text_is("2000-02-29 00:00:00.000000", 2000, 2, 29, 0, 0, 0, 0),
          "a leap day of a year divisible by 400");
    CHECK(refused("2026-11-27T02:43:30.123456"), "not with a T");
    CHECK(refused("2026-11-27 02:43:30.123456+00:00"), "not with a zone");
    CHECK(refused("2026-11-27 02:43:30.123456Z"), "not with a Z");
    CHECK(refused("2026-11-27 02:43:30.12345"), "not with five digits");
    CHECK(refused("2026-11-27 02:43:30"), "not without a fraction");
    CHECK(refused(" 2026-11-27 02:43:30.123456"), "not with a space first");
    CHECK(refused("2026-02-29 00:00:00.000000")
          && refused("1900-02-29 00:00:00.000000"),
          "not a 29 February of a common year");
    CHECK(refused("2026-04-31 00:00:00.000000")
          && refused("2026-13-01 00:00:00.000000")
          && refused("2026-00-10 00:00:00.000000")
          && refused("2026-01-00 00:00:00.000000"),
          "not a day that does not exist");
    CHECK(refused("2026-01-01 24:00:00.000000")
          && refused("2026-01-01 23:60:00.000000")
          && refused("2026-12-31 23:59:60.000000"),
          "not an hour, minute or (leap) second out of range");
    CHECK(refused("1969-12-31 23:59:59.999999"), "not before 1970");
    CHECK(refused("") && refused("2026-1-27 02:43:30.123456"),
          "not empty or short");

    unlink(db);
    rmdir(dir);
    apr_pool_destroy(p);        /* closes the descriptors (cleanup) */
    apr_terminate();
    return tap_done();
}
