/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * stubs.c — the httpd functions the module's sources call, written for the
 * fuzzing build (APR, APR-util, jansson and libcrypto are the real
 * libraries).  Three kinds:
 *
 *  - small re-implementations of httpd's parsing helpers, behaving like
 *    httpd 2.4 for everything the module relies on (ap_getword_conf,
 *    ap_cookie_read, ap_parse_form_data, ap_unescape_url_keep2f ...);
 *  - a provider registry, log and response capture;
 *  - functions the fuzzed code paths never call: they abort, so that a
 *    harness that strays into them fails loudly instead of testing a fake.
 */

/* first: with offsetof() defined, APR's ring macros use it instead of a
 * member access through a null pointer, which UBSan reports */
#include <stddef.h>

#include "fuzz.h"

#include "ap_mpm.h"
#include "ap_provider.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_cookies.h"
#include "util_mutex.h"
#include "util_script.h"
#include "apr_buckets.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include <stdarg.h>

static void not_reached(const char *fn)
{
    fprintf(stderr, "fuzz stub: %s is not expected on a fuzzed path\n", fn);
    abort();
}

/* ---- logging ------------------------------------------------------------- */

static char log_buf[1 << 16];
static apr_size_t log_len;
static int log_echo = -1;

void fuzz_log_reset(void)
{
    log_len = 0;
    log_buf[0] = '\0';
}

const char *fuzz_log_text(void)
{
    return log_buf;
}

/* Every message is formatted, whatever its level, so that a bad argument
 * (a freed or unterminated string) shows up under ASan. */
static void log_line(int level, const char *fmt, va_list ap)
{
    char line[8192];
    apr_size_t n;

    apr_vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    if (log_len + n + 2 < sizeof(log_buf)) {
        memcpy(log_buf + log_len, line, n);
        log_len += n;
        log_buf[log_len++] = '\n';
        log_buf[log_len] = '\0';
    }
    if (log_echo < 0) {
        log_echo = getenv("FUZZ_LOG") != NULL;
    }
    if (log_echo) {
        fprintf(stderr, "[log %d] %s\n", level & APLOG_LEVELMASK, line);
    }
}

AP_DECLARE(void) ap_log_error_(const char *file, int line, int module_index,
                               int level, apr_status_t status,
                               const server_rec *s, const char *fmt, ...)
{
    va_list ap;

    (void)file; (void)line; (void)module_index; (void)status; (void)s;
    va_start(ap, fmt);
    log_line(level, fmt, ap);
    va_end(ap);
}

AP_DECLARE(void) ap_log_rerror_(const char *file, int line, int module_index,
                                int level, apr_status_t status,
                                const request_rec *r, const char *fmt, ...)
{
    va_list ap;

    (void)file; (void)line; (void)module_index; (void)status; (void)r;
    va_start(ap, fmt);
    log_line(level, fmt, ap);
    va_end(ap);
}

/* ---- words and escapes ----------------------------------------------------- */

/* Configuration words: leading space skipped; '...' or "..." quoted, where
 * a backslash escapes the quote character or another backslash; unquoted,
 * up to the next space, where "\\" is one backslash. */
AP_DECLARE(char *) ap_getword_conf(apr_pool_t *p, const char **line)
{
    const char *s = *line, *end;
    char quote = 0, *word, *w;

    while (apr_isspace(*s)) {
        s++;
    }
    if (*s == '"' || *s == '\'') {
        quote = *s++;
    }
    /* find the end, then copy with the escapes resolved */
    for (end = s; *end; end++) {
        if (quote ? *end == quote : apr_isspace(*end)) {
            break;
        }
        if (*end == '\\' && (end[1] == '\\' || (quote && end[1] == quote))) {
            end++;
        }
    }
    word = w = apr_palloc(p, end - s + 1);
    for (; s < end; s++) {
        if (*s == '\\' && (s[1] == '\\' || (quote && s[1] == quote))) {
            s++;
        }
        *w++ = *s;
    }
    *w = '\0';
    if (quote && *end == quote) {
        end++;
    }
    while (apr_isspace(*end)) {
        end++;
    }
    *line = end;
    return word;
}

/* Up to STOP (or the end); any run of STOP after it is skipped. */
AP_DECLARE(char *) ap_getword(apr_pool_t *p, const char **line, char stop)
{
    const char *s = *line, *end = s;
    char *word;

    while (*end && *end != stop) {
        end++;
    }
    word = apr_pstrmemdup(p, s, end - s);
    while (stop && *end == stop) {
        end++;
    }
    *line = end;
    return word;
}

AP_DECLARE(void) ap_str_tolower(char *s)
{
    for (; *s; s++) {
        *s = apr_tolower(*s);
    }
}

/* Form encoding: letters, digits and ".-*_" as they are, space as '+',
 * the rest %xx in lower case (as httpd writes it). */
AP_DECLARE(char *) ap_escape_urlencoded(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char *out = apr_palloc(p, 3 * strlen(s) + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (apr_isalnum(c) || ap_strchr_c(".-*_", c)) {
            *o++ = c;
        }
        else if (c == ' ') {
            *o++ = '+';
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

static int hex_value(char c)
{
    return apr_isdigit(c) ? c - '0' : apr_tolower(c) - 'a' + 10;
}

/* Decodes %XX in place.  A '%' without two hex digits stays and makes the
 * result HTTP_BAD_REQUEST; a decoded NUL ends the string and makes it
 * HTTP_NOT_FOUND (a bad escape wins); without DECODE_SLASHES, %2F stays
 * encoded. */
AP_DECLARE(int) ap_unescape_url_keep2f(char *url, int decode_slashes)
{
    char *in = url, *out = url;
    int bad_escape = 0, bad_path = 0;

    while (*in) {
        if (*in != '%') {
            *out++ = *in++;
        }
        else if (!apr_isxdigit(in[1]) || !apr_isxdigit(in[2])) {
            bad_escape = 1;
            *out++ = *in++;
        }
        else {
            char c = (char)(hex_value(in[1]) * 16 + hex_value(in[2]));
            if (c == '/' && !decode_slashes) {
                *out++ = *in++;         /* "%2F" copied as it is */
                *out++ = *in++;
                *out++ = *in++;
                continue;
            }
            if (c == '\0') {
                bad_path = 1;
            }
            *out++ = c;
            in += 3;
        }
    }
    *out = '\0';
    return bad_escape ? HTTP_BAD_REQUEST : bad_path ? HTTP_NOT_FOUND : OK;
}

/* scheme://host[:port]URI; the fuzz server is plain http. */
AP_DECLARE(char *) ap_construct_url(apr_pool_t *p, const char *uri,
                                    request_rec *r)
{
    const char *host = r->hostname ? r->hostname : r->server->server_hostname;
    apr_port_t port = r->server->port ? r->server->port : 80;

    return port == 80
           ? apr_pstrcat(p, "http://", host, uri, NULL)
           : apr_psprintf(p, "http://%s:%u%s", host, port, uri);
}

/* Confined to the fuzzing sandbox, unlike httpd's: fuzzed file: options
 * must not read (or block on) files of the machine. */
AP_DECLARE(char *) ap_server_root_relative(apr_pool_t *p, const char *fname)
{
    char *path;

    if (apr_filepath_merge(&path, fuzz_sandbox(), fname,
                           APR_FILEPATH_SECUREROOT, p) != APR_SUCCESS) {
        return NULL;
    }
    return path;
}

/* ---- cookies ------------------------------------------------------------------ */

typedef struct {
    apr_pool_t *p;
    const char *name;
    apr_size_t name_len;
    const char *value;
    int duplicated;
    apr_table_t *kept;
} cookie_scan;

/* One Cookie or Cookie2 header, split at ',' and ';' as util_cookies does:
 * a "NAME=" pair (after leading space) gives the value, and is dropped
 * together with the "$Attr" pairs that follow it; the others are kept. */
static int cookie_header(void *data, const char *key, const char *val)
{
    cookie_scan *scan = data;
    char *groups = apr_pstrdup(scan->p, val), *group, *last_group;
    const char *kept = "";
    int others = 0, eating = 0;

    for (group = apr_strtok(groups, ",", &last_group); group;
         group = apr_strtok(NULL, ",", &last_group)) {
        const char *sep = *kept ? "," : "";
        char *pair, *last_pair;

        for (pair = apr_strtok(group, ";", &last_pair); pair;
             pair = apr_strtok(NULL, ";", &last_pair)) {
            const char *trimmed = pair;

            while (apr_isspace(*trimmed)) {
                trimmed++;
            }
            if (!strncmp(trimmed, scan->name, scan->name_len)
                && trimmed[scan->name_len] == '=') {
                const char *v = trimmed + scan->name_len + 1;
                if (scan->value && strcmp(scan->value, v)) {
                    scan->duplicated = 1;
                }
                scan->value = v;
                eating = 1;
                continue;
            }
            if (*trimmed != '$') {
                others++;
                eating = 0;
            }
            if (!eating) {
                kept = apr_pstrcat(scan->p, kept, sep, pair, NULL);
                sep = ";";
            }
        }
    }
    if (others) {
        apr_table_addn(scan->kept, key, kept);
    }
    return 1;
}

AP_DECLARE(apr_status_t) ap_cookie_read(request_rec *r, const char *name,
                                        const char **val, int remove)
{
    cookie_scan scan = { r->pool, name, strlen(name), NULL, 0, NULL };

    scan.kept = apr_table_make(r->pool, 2);
    apr_table_do(cookie_header, &scan, r->headers_in, "Cookie", "Cookie2",
                 NULL);
    if (scan.duplicated) {
        return APR_EGENERAL;
    }
    if (remove) {
        apr_table_unset(r->headers_in, "Cookie");
        apr_table_unset(r->headers_in, "Cookie2");
        r->headers_in = apr_table_overlay(r->pool, r->headers_in, scan.kept);
    }
    *val = scan.value ? apr_pstrdup(r->pool, scan.value) : NULL;
    return APR_SUCCESS;
}

AP_DECLARE(apr_status_t) ap_cookie_check_string(const char *string)
{
    if (!string || !*string || strpbrk(string, "=&;")) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* ---- forms ---------------------------------------------------------------------- */

static const char *form_body = "";
static apr_size_t form_body_len;

void fuzz_set_body(const char *data, apr_size_t len)
{
    form_body = data;
    form_body_len = len;
}

/* Values go into brigades of small buckets, so that the module's reading
 * of a value split over buckets is exercised (httpd splits at 8 KiB). */
#define FORM_BUCKET 7

static apr_bucket_brigade *form_value(request_rec *r, const char *v,
                                      apr_size_t len)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool,
                                                r->connection->bucket_alloc);
    apr_size_t off, n;

    for (off = 0; off < len; off += n) {
        n = len - off < FORM_BUCKET ? len - off : FORM_BUCKET;
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(
                                        v + off, n,
                                        r->connection->bucket_alloc));
    }
    return bb;
}

/* application/x-www-form-urlencoded from the body set with
 * fuzz_set_body(), as httpd parses it: fields end at a raw '&'; a name
 * ends at the first '=' (decoded or not); '+' is a space and %XY a byte
 * (a non-hex digit counts as 0, and a '%' without two characters after it
 * is dropped); a field without '=' is dropped.  More than SIZE decoded
 * bytes or NUM fields is HTTP_REQUEST_ENTITY_TOO_LARGE. */
AP_DECLARE(int) ap_parse_form_data(request_rec *r, ap_filter_t *f,
                                   apr_array_header_t **ptr,
                                   apr_size_t num, apr_size_t size)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *in = form_body, *end = form_body + form_body_len;
    char *buf = apr_palloc(r->pool, form_body_len + 1);
    apr_size_t total = 0, fields = 0;

    (void)f;
    *ptr = apr_array_make(r->pool, 4, sizeof(ap_form_pair_t));
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
        return OK;                  /* httpd discards the body */
    }
    while (in < end) {
        apr_size_t n = 0, name_len = 0;
        int in_value = 0;

        if (++fields > num) {
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
        for (; in < end && *in != '&'; in++) {
            char c = *in;
            if (c == '+') {
                c = ' ';
            }
            else if (c == '%') {
                if (end - in < 3 || in[1] == '&' || in[2] == '&') {
                    continue;
                }
                c = (char)((apr_isxdigit(in[1]) ? hex_value(in[1]) : 0) * 16
                           + (apr_isxdigit(in[2]) ? hex_value(in[2]) : 0));
                in += 2;
            }
            if (c == '=' && !in_value) {
                in_value = 1;
                name_len = n;
                continue;
            }
            buf[n++] = c;
            if (++total > size) {
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
        }
        if (in < end) {
            in++;                   /* the '&' */
        }
        if (in_value) {
            ap_form_pair_t *pair = apr_array_push(*ptr);
            pair->name = apr_pstrmemdup(r->pool, buf, name_len);
            pair->value = form_value(r, apr_pmemdup(r->pool, buf + name_len,
                                                    n - name_len),
                                     n - name_len);
        }
    }
    return OK;
}

/* ---- providers -------------------------------------------------------------------- */

typedef struct {
    const char *group, *name, *version;
    const void *provider;
} provider_entry;

static apr_array_header_t *providers;

AP_DECLARE(apr_status_t) ap_register_provider(apr_pool_t *pool,
                                              const char *provider_group,
                                              const char *provider_name,
                                              const char *provider_version,
                                              const void *provider)
{
    provider_entry *e;

    if (!providers) {
        providers = apr_array_make(pool, 8, sizeof(provider_entry));
    }
    e = apr_array_push(providers);
    e->group = provider_group;
    e->name = provider_name;
    e->version = provider_version;
    e->provider = provider;
    return APR_SUCCESS;
}

AP_DECLARE(void *) ap_lookup_provider(const char *provider_group,
                                      const char *provider_name,
                                      const char *provider_version)
{
    int i;

    for (i = 0; providers && i < providers->nelts; i++) {
        provider_entry *e = &APR_ARRAY_IDX(providers, i, provider_entry);
        if (!strcmp(e->group, provider_group)
            && !strcmp(e->name, provider_name)
            && !strcmp(e->version, provider_version)) {
            return (void *)e->provider;
        }
    }
    return NULL;
}

AP_DECLARE(apr_array_header_t *) ap_list_provider_names(apr_pool_t *pool,
                                              const char *provider_group,
                                              const char *provider_version)
{
    apr_array_header_t *names = apr_array_make(pool, 4,
                                               sizeof(ap_list_provider_names_t));
    int i;

    for (i = 0; providers && i < providers->nelts; i++) {
        provider_entry *e = &APR_ARRAY_IDX(providers, i, provider_entry);
        if (!strcmp(e->group, provider_group)
            && !strcmp(e->version, provider_version)) {
            ((ap_list_provider_names_t *)apr_array_push(names))->provider_name =
                e->name;
        }
    }
    return names;
}

/* ---- responses ----------------------------------------------------------------------- */

static char response[1 << 16];
static apr_size_t response_len;

void fuzz_response_reset(void)
{
    response_len = 0;
    response[0] = '\0';
}

const char *fuzz_response_body(apr_size_t *len)
{
    *len = response_len;
    return response;
}

AP_DECLARE(int) ap_rwrite(const void *buf, int nbyte, request_rec *r)
{
    (void)r;
    if (nbyte < 0 || response_len + (apr_size_t)nbyte >= sizeof(response)) {
        return -1;
    }
    memcpy(response + response_len, buf, nbyte);
    response_len += nbyte;
    response[response_len] = '\0';
    return nbyte;
}

AP_DECLARE(void) ap_set_content_type(request_rec *r, const char *ct)
{
    r->content_type = ct;
}

AP_DECLARE(void) ap_set_content_type_ex(request_rec *r, const char *ct,
                                        int trusted)
{
    (void)trusted;
    r->content_type = ct;
}

AP_DECLARE(void) ap_set_content_length(request_rec *r, apr_off_t length)
{
    r->clength = length;
    apr_table_setn(r->headers_out, "Content-Length",
                   apr_off_t_toa(r->pool, length));
}

/* The login handler adds its body limit filter; ap_parse_form_data()
 * above enforces the limit by itself. */
AP_DECLARE(ap_filter_t *) ap_add_input_filter(const char *name, void *ctx,
                                              request_rec *r, conn_rec *c)
{
    (void)name; (void)ctx; (void)r; (void)c;
    return NULL;
}

/* ---- not on any fuzzed path ------------------------------------------------------------ */

AP_DECLARE_DATA ap_directive_t *ap_conftree = NULL;

AP_DECLARE(ap_filter_t *) ap_add_output_filter(const char *name, void *ctx,
                                               request_rec *r, conn_rec *c)
{
    (void)name; (void)ctx; (void)r; (void)c;
    not_reached(__func__);
    return NULL;
}

AP_DECLARE(apr_status_t) ap_get_brigade(ap_filter_t *filter,
                                        apr_bucket_brigade *bucket,
                                        ap_input_mode_t mode,
                                        apr_read_type_e block,
                                        apr_off_t readbytes)
{
    (void)filter; (void)bucket; (void)mode; (void)block; (void)readbytes;
    not_reached(__func__);
    return APR_EGENERAL;
}

AP_DECLARE(apr_status_t) ap_pass_brigade(ap_filter_t *filter,
                                         apr_bucket_brigade *bucket)
{
    (void)filter; (void)bucket;
    not_reached(__func__);
    return APR_EGENERAL;
}

AP_DECLARE(void) ap_remove_output_filter(ap_filter_t *f)
{
    (void)f;
    not_reached(__func__);
}

AP_DECLARE(const char *) ap_auth_name(request_rec *r)
{
    (void)r;
    not_reached(__func__);
    return NULL;
}

AP_DECLARE(const char *) ap_auth_type(request_rec *r)
{
    (void)r;
    not_reached(__func__);
    return NULL;
}

AP_DECLARE(void) ap_note_auth_failure(request_rec *r)
{
    (void)r;
    not_reached(__func__);
}

AP_DECLARE(void) ap_custom_response(request_rec *r, int status,
                                    const char *string)
{
    (void)r; (void)status; (void)string;
    not_reached(__func__);
}

AP_DECLARE(int) ap_index_of_response(int status)
{
    (void)status;
    not_reached(__func__);
    return 0;
}

AP_DECLARE(const char *) ap_response_code_string(request_rec *r,
                                                 int error_index)
{
    (void)r; (void)error_index;
    not_reached(__func__);
    return NULL;
}

AP_DECLARE(const char *) ap_check_cmd_context(cmd_parms *cmd,
                                              unsigned forbidden)
{
    (void)cmd; (void)forbidden;
    not_reached(__func__);
    return NULL;
}

AP_DECLARE(ap_conf_vector_t *) ap_create_per_dir_config(apr_pool_t *p)
{
    (void)p;
    not_reached(__func__);
    return NULL;
}

AP_DECLARE(const char *) ap_walk_config(ap_directive_t *conftree,
                                        cmd_parms *parms,
                                        ap_conf_vector_t *section_vector)
{
    (void)conftree; (void)parms; (void)section_vector;
    not_reached(__func__);
    return NULL;
}

AP_DECLARE(int) ap_state_query(int query_code)
{
    (void)query_code;
    not_reached(__func__);
    return 0;
}

/* login_timing.c reads password files at startup */
AP_DECLARE(apr_status_t) ap_pcfg_openfile(ap_configfile_t **ret_cfg,
                                          apr_pool_t *p, const char *name)
{
    (void)ret_cfg; (void)p; (void)name;
    not_reached(__func__);
    return APR_EGENERAL;
}

AP_DECLARE(apr_status_t) ap_cfg_getline(char *buf, apr_size_t bufsize,
                                        ap_configfile_t *cfp)
{
    (void)buf; (void)bufsize; (void)cfp;
    not_reached(__func__);
    return APR_EGENERAL;
}

AP_DECLARE(int) ap_cfg_closefile(ap_configfile_t *cfp)
{
    (void)cfp;
    not_reached(__func__);
    return 0;
}

/* Since the throttle, the audit log and the Basic bridge landed, the
 * module's objects also name these; no fuzzed path reaches them. */

AP_DECLARE(void) ap_log_perror_(const char *file, int line, int module_index,
                                int level, apr_status_t status,
                                apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;

    (void)file; (void)line; (void)module_index; (void)status; (void)p;
    va_start(ap, fmt);
    log_line(level, fmt, ap);
    va_end(ap);
}

/* As httpd decides it: a body is coming when one is announced. */
AP_DECLARE(int) ap_request_has_body(request_rec *r)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t n = 0;

    if (r->header_only) {
        return 0;
    }
    if (apr_table_get(r->headers_in, "Transfer-Encoding")) {
        return 1;
    }
    return cl && apr_strtoff(&n, cl, NULL, 10) == APR_SUCCESS && n > 0;
}

AP_DECLARE(apr_status_t) ap_register_auth_provider(apr_pool_t *pool,
                                                   const char *provider_group,
                                                   const char *provider_name,
                                                   const char *provider_version,
                                                   const void *provider,
                                                   int type)
{
    (void)pool; (void)provider_group; (void)provider_name;
    (void)provider_version; (void)provider; (void)type;
    not_reached(__func__);
    return APR_EGENERAL;
}

AP_DECLARE(apr_status_t) ap_mutex_register(apr_pool_t *pconf,
                                           const char *type,
                                           const char *default_dir,
                                           apr_lockmech_e default_mech,
                                           apr_int32_t options)
{
    (void)pconf; (void)type; (void)default_dir; (void)default_mech;
    (void)options;
    not_reached(__func__);
    return APR_EGENERAL;
}

AP_DECLARE(apr_status_t) ap_global_mutex_create(apr_global_mutex_t **mutex,
                                                const char **name,
                                                const char *type,
                                                const char *instance_id,
                                                server_rec *server,
                                                apr_pool_t *pool,
                                                apr_int32_t options)
{
    (void)mutex; (void)name; (void)type; (void)instance_id; (void)server;
    (void)pool; (void)options;
    not_reached(__func__);
    return APR_EGENERAL;
}

#define NOT_REACHED_HOOK(name)                                              \
    AP_DECLARE(void) ap_hook_##name(ap_HOOK_##name##_t *pf,                 \
                                    const char *const *pre,                 \
                                    const char *const *succ, int order)     \
    {                                                                       \
        (void)pf; (void)pre; (void)succ; (void)order;                       \
        not_reached(__func__);                                              \
    }

NOT_REACHED_HOOK(pre_config)
NOT_REACHED_HOOK(post_config)
NOT_REACHED_HOOK(check_config)
NOT_REACHED_HOOK(child_init)

/* The redis strategy sizes its pool by the MPM's threads: one here.  The
 * harnesses register every built-in provider (config/builtin.c), so the
 * redis strategy is linked in although none drives it. */
AP_DECLARE(apr_status_t) ap_mpm_query(int query_code, int *result)
{
    (void)query_code;
    *result = 1;
    return APR_SUCCESS;
}

/* ---- tokens and protocols (identity.c, upgrade.c) ------------------------ */

/* httpd's rule: TOK is one of LINE's comma- or space-separated tokens,
 * compared without case. */
AP_DECLARE(int) ap_find_token(apr_pool_t *p, const char *line,
                              const char *tok)
{
    apr_size_t n = strlen(tok);

    (void)p;
    while (line && *line) {
        while (*line == ',' || *line == ' ' || *line == '\t') {
            line++;
        }
        if (!strncasecmp(line, tok, n)
            && (!line[n] || strchr(", \t;", line[n]))) {
            return 1;
        }
        while (*line && *line != ',') {
            line++;
        }
    }
    return 0;
}

AP_DECLARE(const char *) ap_parse_token_list_strict(apr_pool_t *p,
                                                    const char *tok,
                                                    apr_array_header_t **tokens,
                                                    int skip_invalid)
{
    char *copy = apr_pstrdup(p, tok), *last, *t;

    (void)skip_invalid;
    *tokens = apr_array_make(p, 2, sizeof(const char *));
    for (t = apr_strtok(copy, ", \t", &last); t;
         t = apr_strtok(NULL, ", \t", &last)) {
        APR_ARRAY_PUSH(*tokens, const char *) = t;
    }
    return NULL;
}

/* No protocol module here: nothing is ever switched to. */
AP_DECLARE(const char *) ap_select_protocol(conn_rec *c, request_rec *r,
                                            server_rec *s,
                                            const apr_array_header_t *choices)
{
    (void)c;
    (void)r;
    (void)s;
    (void)choices;
    return NULL;
}

AP_DECLARE(const char *) ap_get_protocol(conn_rec *c)
{
    (void)c;
    return "http/1.1";
}
