/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * url.c — the url= option of the redis strategy:
 *
 *   redis://[[user]:password@]host[:port][/db]
 *   unix:/path/to/socket[?db=N]
 *   redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/NAME[/db]
 *
 * The credentials are those of the data nodes; user and password are
 * %-decoded.  A URL may hold a password, so no message here ever quotes
 * any part of it, and `redacted` is what every log line shows instead.
 * Pure functions on APR only: t/unit/test_url.c tests them.
 */

#include "strategy/redis/redis.h"

#include "apr_escape.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include <sys/un.h>

#define FORM_TCP      "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]"
#define FORM_UNIX     "unix:/PATH[?db=N]"
#define FORM_SENTINEL "redis-sentinel://HOST[:PORT][,HOST[:PORT]...]/MASTER-NAME[/DB]"

/* A decimal number of 1 to 5 digits up to MAX, or -1. */
static int number(const char *s, const char *e, int max)
{
    int v = 0;

    if (e <= s || e - s > 5) {
        return -1;
    }
    for (; s < e; s++) {
        if (!apr_isdigit(*s)) {
            return -1;
        }
        v = v * 10 + (*s - '0');
    }
    return v <= max ? v : -1;
}

static int host_char(char c)
{
    return apr_isalnum(c) || c == '.' || c == '-' || c == '_';
}

/* [S, E) is HOST, HOST:PORT, [V6] or [V6]:PORT. */
static const char *parse_hostport(apr_pool_t *p, const char *s, const char *e,
                                  int default_port, redis_addr *a)
{
    const char *host, *host_end, *port = NULL, *c;

    if (s >= e) {
        return "a host is missing";
    }
    if (*s == '[') {
        host = s + 1;
        if (!(host_end = memchr(host, ']', e - host)) || host_end == host) {
            return "an IPv6 address must be written [ADDRESS]";
        }
        for (c = host; c < host_end; c++) {
            if (!apr_isxdigit(*c) && *c != ':' && *c != '.') {
                return "an IPv6 address holds a character that does not "
                       "belong there";
            }
        }
        if (host_end + 1 < e) {
            if (host_end[1] != ':') {
                return "unexpected text after an IPv6 address";
            }
            port = host_end + 2;
        }
    }
    else {
        host = s;
        host_end = memchr(s, ':', e - s);
        if (host_end) {
            port = host_end + 1;
        }
        else {
            host_end = e;
        }
        for (c = host; c < host_end; c++) {
            if (!host_char(*c)) {
                return "a host name holds a character that does not belong "
                       "there (letters, digits, '.', '-', '_')";
            }
        }
    }
    if (host_end == host) {
        return "a host is missing";
    }
    a->host = apr_pstrmemdup(p, host, host_end - host);
    a->path = NULL;
    a->port = default_port;
    if (port && (a->port = number(port, e, 65535)) < 1) {
        return "a port is not a number from 1 to 65535";
    }
    return NULL;
}

/* [S, E) is USER:PASSWORD, :PASSWORD or USER (password given elsewhere). */
static const char *parse_userinfo(apr_pool_t *p, const char *s, const char *e,
                                  redis_url *url)
{
    const char *colon = memchr(s, ':', e - s);
    const char *user_end = colon ? colon : e;

    if (user_end > s) {
        url->user = apr_punescape_url(p, apr_pstrmemdup(p, s, user_end - s),
                                      NULL, NULL, 0);
        if (!url->user) {
            return "the user name has a bad %-escape";
        }
    }
    if (colon) {
        if (colon + 1 == e) {
            return "the password after ':' is empty";
        }
        url->password = apr_punescape_url(p, apr_pstrmemdup(p, colon + 1,
                                                             e - colon - 1),
                                           NULL, NULL, 0);
        if (!url->password) {
            return "the password has a bad %-escape";
        }
    }
    else if (user_end == s) {
        return "the credentials before '@' are empty";
    }
    return NULL;
}

/* Splits off "[credentials@]" at the start of *S (up to E); credentials
 * never hold '@' unescaped after the last one, and hosts never do. */
static const char *take_userinfo(apr_pool_t *p, const char **s, const char *e,
                                 redis_url *url)
{
    const char *at = NULL, *c;
    const char *err;

    for (c = *s; c < e; c++) {
        if (*c == '@') {
            at = c;
        }
    }
    if (!at) {
        return NULL;
    }
    if ((err = parse_userinfo(p, *s, at, url))) {
        return err;
    }
    *s = at + 1;
    return NULL;
}

/* "" or "/" or "/DB" */
static const char *parse_db_path(const char *s, const char *e, int *db)
{
    *db = 0;
    if (s == e || (e - s == 1 && *s == '/')) {
        return NULL;
    }
    if (*s != '/' || (*db = number(s + 1, e, REDIS_MAX_DB)) < 0) {
        return "the database must be a number from 0 to 65535 after the "
               "host, as in redis://HOST:6379/0";
    }
    return NULL;
}

const char *redis_addr_text(apr_pool_t *p, const redis_addr *a)
{
    if (!a->host) {
        return a->path;
    }
    return apr_psprintf(p, strchr(a->host, ':') ? "[%s]:%d" : "%s:%d",
                        a->host, a->port);
}

static const char *parse_tcp(apr_pool_t *p, const char *s, redis_url *url)
{
    const char *e = s + strlen(s), *slash, *err;

    if ((err = take_userinfo(p, &s, e, url))) {
        return err;
    }
    slash = memchr(s, '/', e - s);
    if ((err = parse_hostport(p, s, slash ? slash : e, REDIS_DEFAULT_PORT,
                              &url->server))
        || (slash && (err = parse_db_path(slash, e, &url->db)))) {
        return err;
    }
    url->redacted = apr_psprintf(p, "redis://%s%s/%d",
                                 url->user || url->password ? "***@" : "",
                                 redis_addr_text(p, &url->server), url->db);
    return NULL;
}

static const char *parse_unix(apr_pool_t *p, const char *s, redis_url *url)
{
    const char *q = strchr(s, '?'), *c;
    apr_size_t len;

    if (!strncmp(s, "///", 3)) {        /* unix:///path, as redis-py writes */
        s += 2;
    }
    len = q ? (apr_size_t)(q - s) : strlen(s);
    if (len == 0 || *s != '/') {
        return "a unix socket needs an absolute path: " FORM_UNIX;
    }
    if (len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        return "the unix socket path is too long";
    }
    for (c = s; c < s + len; c++) {
        if (apr_iscntrl(*c)) {
            return "the unix socket path holds a control character";
        }
    }
    url->server.path = apr_pstrmemdup(p, s, len);
    url->server.host = NULL;
    if (q && (strncmp(q, "?db=", 4)
              || (url->db = number(q + 4, q + strlen(q), REDIS_MAX_DB)) < 0)) {
        return "after the unix socket path only ?db=N (0 to 65535) may "
               "follow";
    }
    url->redacted = url->db ? apr_psprintf(p, "unix:%s?db=%d",
                                           url->server.path, url->db)
                            : apr_pstrcat(p, "unix:", url->server.path, NULL);
    return NULL;
}

static const char *parse_sentinel(apr_pool_t *p, const char *s, redis_url *url)
{
    const char *e = s + strlen(s), *hosts_end, *name, *name_end, *c, *err;
    const char *list = "";

    if ((err = take_userinfo(p, &s, e, url))) {
        return err;
    }
    if (!(hosts_end = memchr(s, '/', e - s))) {
        return "the Sentinel URL names no master: " FORM_SENTINEL;
    }
    url->sentinels = apr_array_make(p, 3, sizeof(redis_addr));
    while (s < hosts_end) {
        const char *comma = memchr(s, ',', hosts_end - s);
        const char *end = comma ? comma : hosts_end;
        redis_addr *a = apr_array_push(url->sentinels);

        if ((err = parse_hostport(p, s, end, REDIS_SENTINEL_DEFAULT_PORT, a))) {
            return err;
        }
        list = apr_pstrcat(p, list, *list ? "," : "", redis_addr_text(p, a),
                           NULL);
        s = comma ? comma + 1 : end;
        if (comma && s == hosts_end) {
            return "the list of sentinels ends with ','";
        }
    }
    if (!url->sentinels->nelts) {
        return "the Sentinel URL lists no sentinel: " FORM_SENTINEL;
    }
    name = hosts_end + 1;
    name_end = memchr(name, '/', e - name);
    if (!name_end) {
        name_end = e;
    }
    if (name_end == name) {
        return "the Sentinel URL names no master: " FORM_SENTINEL;
    }
    for (c = name; c < name_end; c++) {
        if (!host_char(*c) && *c != ':') {
            return "the master name holds a character other than letters, "
                   "digits, '.', '-', '_' and ':'";
        }
    }
    url->master_name = apr_pstrmemdup(p, name, name_end - name);
    if ((err = parse_db_path(name_end, e, &url->db))) {
        return err;
    }
    url->redacted = apr_psprintf(p, "redis-sentinel://%s%s/%s/%d",
                                 url->user || url->password ? "***@" : "",
                                 list, url->master_name, url->db);
    return NULL;
}

const char *redis_url_parse(apr_pool_t *p, const char *text, redis_url *url)
{
    memset(url, 0, sizeof(*url));
    if (!strncasecmp(text, "redis://", 8)) {
        url->kind = REDIS_URL_TCP;
        return parse_tcp(p, text + 8, url);
    }
    if (!strncasecmp(text, "unix:", 5)) {
        url->kind = REDIS_URL_UNIX;
        return parse_unix(p, text + 5, url);
    }
    if (!strncasecmp(text, "redis-sentinel://", 17)) {
        url->kind = REDIS_URL_SENTINEL;
        return parse_sentinel(p, text + 17, url);
    }
    if (!strncasecmp(text, "rediss://", 9)) {
        return "rediss:// (TLS) is not supported by hiredis 0.14; reach a "
               "remote Redis through a TLS tunnel (stunnel, spiped) on "
               "localhost";
    }
    return "unknown scheme; the URL must be one of " FORM_TCP ", " FORM_UNIX
           ", " FORM_SENTINEL;
}
