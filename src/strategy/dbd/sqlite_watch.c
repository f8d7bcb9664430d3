/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * sqlite_watch.c — whether an SQLite database file has changed, read from
 * its header without SQLite: the generation the dbd strategy's cache=
 * follows (https://www.sqlite.org/fileformat.html).
 *
 * SQLite itself works this way in rollback-journal mode: whenever the file
 * is modified, bytes 24-39 of its header (the file change counter first)
 * change before the writer releases its EXCLUSIVE lock, and their pattern
 * does not repeat for a billion transactions.  So when no other process
 * holds that lock, equal bytes mean no transaction was committed since
 * they were read last.  That is a header read instead of a query: one
 * pread(), plus a stat() of the path and an F_GETLK, which take no lock.
 *
 * Where that does not hold, the answer is "no generation" and the caller
 * asks the database:
 *   - a writer holds the EXCLUSIVE lock (it may be a connection in
 *     locking_mode=EXCLUSIVE, which counts only its first transaction);
 *   - WAL mode (header bytes 18-19 are 2): changes live in the -wal file;
 *   - the file is missing, short, or not SQLite 3.
 * A file renamed over the old one is opened and watched from then on.
 *
 * The descriptor is never closed while the child runs: POSIX locks belong
 * to the process, and closing any descriptor of the file would drop the
 * locks that mod_dbd's SQLite connections of this process hold on it.  One
 * that a replacement retired stays open for the same reason; they are
 * closed when the child's pool is, after its threads have ended.
 */

#include "strategy/dbd/dbd.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* SQLite's unix VFS locks these bytes (os_unix.c, the pending byte at
 * 1 GiB): EXCLUSIVE is a write lock over the shared range. */
#define SHARED_FIRST    (0x40000000 + 2)
#define SHARED_SIZE     510

#define GENERATION_AT   24
#define HEADER_READ     (GENERATION_AT + TOKEN_CACHE_GENERATION)

#define MAX_RETIRED     16      /* replacements; then: unreadable */

typedef struct {
    int fd;                     /* -1: not open */
    dev_t dev;
    ino_t ino;
} watch_file;

struct sqlite_watch {
    const char *path;
    apr_thread_mutex_t *lock;   /* guards the rest */
    watch_file file;
    int retired[MAX_RETIRED];
    int nretired;
};

static apr_status_t watch_close(void *data)
{
    sqlite_watch *w = data;
    int i;

    for (i = 0; i < w->nretired; i++) {
        close(w->retired[i]);
    }
    if (w->file.fd >= 0) {
        close(w->file.fd);
    }
    w->file.fd = -1;
    w->nretired = 0;
    return APR_SUCCESS;
}

sqlite_watch *sqlite_watch_create(apr_pool_t *p, const char *path)
{
    sqlite_watch *w = apr_pcalloc(p, sizeof(*w));

    w->path = apr_pstrdup(p, path);
    w->file.fd = -1;
    if (apr_thread_mutex_create(&w->lock, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS) {
        return NULL;
    }
    apr_pool_cleanup_register(p, w, watch_close, apr_pool_cleanup_null);
    return w;
}

/* The open file that the path names now: opened on first use, and again
 * when the name leads to another file than the one held (renamed over,
 * or a symbolic link changed).  0 and *WHY if there is none. */
static int watch_file_now(sqlite_watch *w, watch_file *f, const char **why)
{
    struct stat st;
    int ok = 1;

    if (stat(w->path, &st) != 0) {
        *why = errno == ENOENT ? "the database file does not exist"
                               : "the database file cannot be examined";
        return 0;
    }
    apr_thread_mutex_lock(w->lock);
    if (w->file.fd < 0 || w->file.dev != st.st_dev
        || w->file.ino != st.st_ino) {
        int fd;

        if (w->file.fd >= 0 && w->nretired == MAX_RETIRED) {
            *why = "the database file was replaced too often";
            ok = 0;
        }
        else if ((fd = open(w->path, O_RDONLY | O_CLOEXEC)) < 0) {
            *why = "the database file cannot be opened";
            ok = 0;
        }
        else {
            struct stat opened;

            if (fstat(fd, &opened) == 0) {      /* renamed since stat()? */
                st = opened;
            }
            if (w->file.fd >= 0) {
                w->retired[w->nretired++] = w->file.fd;
            }
            w->file.fd = fd;
            w->file.dev = st.st_dev;
            w->file.ino = st.st_ino;
        }
    }
    *f = w->file;
    apr_thread_mutex_unlock(w->lock);
    return ok;
}

sqlite_watch_state sqlite_watch_read(sqlite_watch *w, unsigned char *gen,
                                     const char **why)
{
    static const char magic[16] = "SQLite format 3";   /* and its NUL */
    unsigned char h[HEADER_READ];
    struct flock fl;
    watch_file f;

    *why = NULL;
    if (!watch_file_now(w, &f, why)) {
        return SQLITE_WATCH_UNREADABLE;
    }

    /* first the lock, then the header: a writer that is done released
     * the lock after it changed the bytes */
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = SHARED_FIRST;
    fl.l_len = SHARED_SIZE;
    if (fcntl(f.fd, F_GETLK, &fl) != 0) {
        *why = "its locks cannot be tested";
        return SQLITE_WATCH_UNREADABLE;
    }
    if (fl.l_type != F_UNLCK) {
        *why = "another process is writing it";
        return SQLITE_WATCH_BUSY;
    }
    if (pread(f.fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)
        || memcmp(h, magic, sizeof(magic))) {
        *why = "it is empty or not an SQLite 3 database";
        return SQLITE_WATCH_UNREADABLE;
    }
    if (h[18] == 2 || h[19] == 2) {
        *why = "it is in WAL mode, where its header does not follow changes";
        return SQLITE_WATCH_WAL;
    }
    if (h[18] != 1 || h[19] != 1) {
        *why = "its header has an unknown file format version";
        return SQLITE_WATCH_UNREADABLE;
    }
    memcpy(gen, h + GENERATION_AT, TOKEN_CACHE_GENERATION);
    return SQLITE_WATCH_CURRENT;
}

/* ---- created_at, as the cache reads it -------------------------------- */

/* Only the exact text the module and SQLAlchemy write on SQLite: there,
 * and only there, SQLite's text comparison of created_at orders like the
 * instants, so the instant read here is the one the select compared. */
int sqlite_text_time(const char *s, apr_time_t *t)
{
    static const char form[] = "dddd-dd-dd dd:dd:dd.dddddd";
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
                                   30, 31 };
    apr_time_exp_t tm;
    int i, year;

    for (i = 0; form[i]; i++) {
        if (form[i] == 'd' ? !apr_isdigit(s[i]) : s[i] != form[i]) {
            return 0;
        }
    }
    if (s[i]) {
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    year = atoi(s);
    tm.tm_year = year - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    tm.tm_sec = atoi(s + 17);
    tm.tm_usec = atoi(s + 20);
    /* a day that does not exist would sort as text where no instant is */
    if (year < 1970 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1
        || tm.tm_mday > mdays[tm.tm_mon]
        || (tm.tm_mon == 1 && tm.tm_mday == 29
            && (year % 4 || (year % 100 == 0 && year % 400)))
        || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59) {
        return 0;
    }
    return apr_time_exp_gmt_get(t, &tm) == APR_SUCCESS;
}
