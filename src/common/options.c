/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * options.c — the key=value words of AuthBackendTransport and
 * AuthBackendStrategy, and secrets given as file:, env: or literally.
 * All of it runs while the configuration is parsed: httpd is still root
 * then, so root-only key files can be read, and a mistake fails
 * `apache2 -t` with the file and line.
 */

#include "common/common.h"

#include "apr_file_io.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include <errno.h>
#include <stdlib.h>

#define SECRET_MAX_SIZE 65536

const char *options_parse(cmd_parms *cmd, const char *args, const char **type,
                          apr_array_header_t **opts)
{
    const char *word;

    *type = ap_getword_conf(cmd->pool, &args);
    if (!**type) {
        return apr_psprintf(cmd->pool, "%s needs a type", cmd->cmd->name);
    }
    *opts = apr_array_make(cmd->pool, 4, sizeof(auth_backend_option));
    while (*(word = ap_getword_conf(cmd->pool, &args))) {
        const char *eq = ap_strchr_c(word, '=');
        auth_backend_option *o;

        if (!eq || eq == word) {
            /* the word is not quoted back: it may be a misplaced secret */
            return apr_psprintf(cmd->pool,
                                "%s %s: expected key=value words, but option "
                                "%d has no key (is there a space after "
                                "'='?)", cmd->cmd->name, *type,
                                (*opts)->nelts + 1);
        }
        o = apr_array_push(*opts);
        o->key = apr_pstrmemdup(cmd->pool, word, eq - word);
        o->value = eq + 1;
        o->used = 0;
    }
    return NULL;
}

const char *options_unused(apr_pool_t *p, const apr_array_header_t *opts,
                           const char *const *known)
{
    const char *near;
    int i, j;

    for (i = 0; i < opts->nelts; i++) {
        const auth_backend_option *o =
            &APR_ARRAY_IDX(opts, i, auth_backend_option);
        if (o->used) {
            continue;
        }
        for (j = 0; j < i; j++) {
            if (!strcmp(APR_ARRAY_IDX(opts, j, auth_backend_option).key,
                        o->key)) {
                return apr_psprintf(p, "option '%s' is given more than once",
                                    o->key);
            }
        }
        near = known ? word_nearest(o->key, known) : NULL;
        return apr_psprintf(p, "unknown option '%s'%s%s%s", o->key,
                            near ? "; did you mean '" : "", near ? near : "",
                            near ? "'?" : "");
    }
    return NULL;
}

static const char *secret_from_file(cmd_parms *cmd, const char *key,
                                    const char *path, const char **value,
                                    apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    char *buf;
    apr_size_t n;
    char errbuf[120];

    path = ap_server_root_relative(cmd->temp_pool, path);
    if (!path) {
        return apr_psprintf(cmd->pool, "%s: invalid file path", key);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, cmd->temp_pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot read %s: %s", key, path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    if (fi.filetype != APR_REG || fi.size > SECRET_MAX_SIZE) {
        apr_file_close(f);
        return apr_psprintf(cmd->pool, "%s: %s is not a regular file of at "
                            "most %d bytes", key, path, SECRET_MAX_SIZE);
    }
    buf = apr_palloc(cmd->pool, (apr_size_t)fi.size + 1);
    rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(cmd->pool, "%s: cannot read %s: %s", key, path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    /* A secret written with `echo` or `openssl rand -hex` ends in a newline
     * that is not part of the secret fastapi-users was given. */
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    buf[n] = '\0';
    if (n == 0) {
        return apr_psprintf(cmd->pool, "%s: %s is empty", key, path);
    }
    *value = buf;
    *len = n;
    return NULL;
}

const char *option_secret(cmd_parms *cmd, const auth_backend *be,
                          const char *key, const char *spec,
                          const char **value, apr_size_t *len)
{
    if (!strncmp(spec, "file:", 5)) {
        return secret_from_file(cmd, key, spec + 5, value, len);
    }
    if (!strncmp(spec, "env:", 4)) {
        const char *v = getenv(spec + 4);
        if (!spec[4]) {
            return apr_psprintf(cmd->pool, "%s: env: needs a variable name",
                                key);
        }
        if (!v || !*v) {
            return apr_psprintf(cmd->pool,
                                "%s: environment variable %s is unset or "
                                "empty", key, spec + 4);
        }
        *value = apr_pstrdup(cmd->pool, v);
        *len = strlen(v);
        return NULL;
    }
    if (!*spec) {
        return apr_psprintf(cmd->pool, "%s is empty", key);
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                 "%s:%d: backend '%s': %s is written literally in the "
                 "configuration; prefer %s=file:PATH (mode 0600) or "
                 "%s=env:VAR",
                 cmd->directive->filename, cmd->directive->line_num,
                 be->name, key, key, key);
    *value = spec;
    *len = strlen(spec);
    return NULL;
}

const char *option_int(apr_pool_t *p, const char *key, const char *value,
                       apr_int64_t min, apr_int64_t max, apr_int64_t *out)
{
    char *end;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(value, &end, 10);
    if (!*value || *end || errno || !apr_isdigit(*value) || v < min
        || v > max) {
        return apr_psprintf(p, "%s must be a whole number from %"
                            APR_INT64_T_FMT " to %" APR_INT64_T_FMT
                            ", not '%s'", key, min, max,
                            value);
    }
    *out = v;
    return NULL;
}

const char *option_take_int(apr_pool_t *p, apr_array_header_t *opts,
                            const char *key, const char *name,
                            apr_int64_t min, apr_int64_t max,
                            apr_int64_t *out)
{
    const char *v = auth_backend_option_take(opts, key);

    return v ? option_int(p, name ? name : key, v, min, max, out) : NULL;
}

const char *option_take_flag(apr_pool_t *p, apr_array_header_t *opts,
                             const char *key, int *out)
{
    const char *v = auth_backend_option_take(opts, key);

    if (!v) {
        return NULL;
    }
    if (!strcasecmp(v, "on")) {
        *out = 1;
    }
    else if (!strcasecmp(v, "off")) {
        *out = 0;
    }
    else {
        return apr_psprintf(p, "%s must be on or off, not '%s'", key, v);
    }
    return NULL;
}

/* ---- suggestions ------------------------------------------------------- */

#define WORD_MAX 64

apr_size_t word_distance(const char *a, const char *b)
{
    apr_size_t la = strlen(a), lb = strlen(b), i, j;
    apr_size_t row[WORD_MAX + 1];

    if (la > WORD_MAX || lb > WORD_MAX) {
        return (apr_size_t)-1;
    }
    /* Levenshtein, ignoring case, one row at a time */
    for (j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (i = 1; i <= la; i++) {
        apr_size_t diag = row[0];

        row[0] = i;
        for (j = 1; j <= lb; j++) {
            apr_size_t up = row[j];
            apr_size_t best = diag + (apr_tolower(a[i - 1])
                                      != apr_tolower(b[j - 1]));

            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

const char *word_nearest(const char *word, const char *const *known)
{
    const char *best = NULL;
    apr_size_t d, bestd = (apr_size_t)-1;
    int i;

    for (i = 0; known[i]; i++) {
        d = word_distance(word, known[i]);
        if (d < bestd) {
            best = known[i];
            bestd = d;
        }
    }
    /* a slip of one or two keys, or of case; not a word that merely is
     * short */
    return best && bestd <= 2 && bestd < strlen(word) && strcmp(best, word)
           ? best : NULL;
}
