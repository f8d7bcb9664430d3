/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * config_warn.c — mistakes that `apache2 -t` accepts and requests would
 * only fail closed on (401 or 500 for everyone), warned about at startup
 * with file and line:
 *   - an AuthType one or two letters away from backend ("bakend");
 *   - AuthBackendProvider in a section whose AuthType is another one, or
 *     that needs a user (Require valid-user ...) with no AuthType at all.
 * AuthType is mod_authn_core's, and its value per directory is private to
 * that module; the sections as written (ap_conftree, with file and line)
 * tell it instead: the section's own AuthType, else one of an enclosing
 * section or of a section of the same kind whose path leads to this one
 * (<Location /> for <Location /api>), as httpd's merge would give it.
 * Sections without AuthType backend that use the backends legitimately
 * are not warned about: login and logout handlers, AuthBackendOptional.
 * .htaccess files are read per request, after this: not checked.
 */

#include "config/config.h"
#include "common/common.h"

#include "apr_strings.h"
#include "http_log.h"

/* What the directives directly inside one section say. */
typedef struct {
    const ap_directive_t *provider;     /* AuthBackendProvider */
    const char *auth_type;              /* AuthType's value */
    int handler;                        /* SetHandler auth-backend-... */
    int optional;                       /* AuthBackendOptional on */
    int needs_user;                     /* a Require that names users */
} section_facts;

static const char *first_word(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d->args;

    return ap_getword_conf(p, &args);
}

/* Require providers that decide without a user */
static int require_needs_user(apr_pool_t *p, const ap_directive_t *d)
{
    static const char *const anonymous[] = { "all", "ip", "host", "local",
        "env", "method", "expr", "forward-dns", "not", NULL };
    const char *w = first_word(p, d);
    int i;

    for (i = 0; anonymous[i]; i++) {
        if (!strcasecmp(w, anonymous[i])) {
            return 0;
        }
    }
    return 1;
}

static void read_section(apr_pool_t *p, const ap_directive_t *sec,
                         section_facts *f)
{
    const ap_directive_t *d;

    memset(f, 0, sizeof(*f));
    for (d = sec->first_child; d; d = d->next) {
        if (!strcasecmp(d->directive, "AuthBackendProvider")) {
            f->provider = f->provider ? f->provider : d;
        }
        else if (!strcasecmp(d->directive, "AuthType")) {
            f->auth_type = first_word(p, d);
        }
        else if (!strcasecmp(d->directive, "SetHandler")) {
            f->handler = !strncasecmp(first_word(p, d), "auth-backend-", 13);
        }
        else if (!strcasecmp(d->directive, "AuthBackendOptional")) {
            f->optional = !strcasecmp(first_word(p, d), "on");
        }
        else if (!strcasecmp(d->directive, "Require")) {
            f->needs_user |= require_needs_user(p, d);
        }
    }
}

/* The path of <Location "/api"> etc.: its argument without quotes and
 * '>'; NULL for a regular expression, which may match anything. */
static const char *section_path(apr_pool_t *p, const ap_directive_t *sec)
{
    char *a = apr_pstrdup(p, sec->args ? sec->args : "");
    char *gt = strrchr(a, '>');
    const char *args, *w;
    apr_size_t n = strlen(sec->directive);

    if (gt) {
        *gt = '\0';
    }
    args = a;
    w = ap_getword_conf(p, &args);
    if (!strcmp(w, "~") || (n > 5 && !strcasecmp(sec->directive + n - 5,
                                                  "Match"))) {
        return NULL;
    }
    return w;
}

/* Whether section OTHER applies wherever SEC does, in the merge: the same
 * kind of section, and a path that SEC's path starts with. */
static int applies_too(apr_pool_t *p, const ap_directive_t *other,
                       const ap_directive_t *sec)
{
    const char *po, *ps;

    if (other == sec || !other->first_child
        || strcasecmp(other->directive, sec->directive)) {
        return 0;
    }
    po = section_path(p, other);
    ps = section_path(p, sec);
    return !po || (ps && !strncmp(ps, po, strlen(po)));
}

/* The AuthType that SEC inherits, or NULL: from an enclosing section, or
 * a section of the same kind on a shorter path, at any level above. */
static const char *inherited_auth_type(apr_pool_t *p,
                                       const ap_directive_t *sec)
{
    const ap_directive_t *level, *d;
    const char *found = NULL;
    section_facts f;

    for (level = sec; level; level = level->parent) {
        const ap_directive_t *first = level->parent
                                      ? level->parent->first_child
                                      : ap_conftree;
        for (d = first; d; d = d->next) {
            if (applies_too(p, d, sec)) {
                read_section(p, d, &f);
                /* any backend one: the merge may well pick it */
                if (f.auth_type && (!found || !strcasecmp(f.auth_type,
                                                          "backend"))) {
                    found = f.auth_type;
                }
            }
        }
        if (level->parent) {
            read_section(p, level->parent, &f);
            found = found ? found : f.auth_type;
        }
    }
    return found;
}

static void warn_section(apr_pool_t *p, server_rec *s,
                         const ap_directive_t *sec)
{
    section_facts f;
    const char *type;

    read_section(p, sec, &f);
    if (!f.provider || f.handler || f.optional) {
        return;
    }
    type = f.auth_type ? f.auth_type : inherited_auth_type(p, sec);
    if (type && !strcasecmp(type, "backend")) {
        return;
    }
    if (type && word_distance(type, "backend") <= 2) {
        return;             /* warned about as a slip already */
    }
    if (type || f.needs_user) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "%s:%d: AuthBackendProvider in %s %s>, where AuthType "
                     "is %s%s: its backends authenticate no request here "
                     "(add AuthType backend, or AuthBackendOptional on)",
                     f.provider->filename, f.provider->line_num,
                     sec->directive, section_path(p, sec)
                                     ? section_path(p, sec) : "...",
                     type ? type : "not set",
                     type ? ", not backend" : "");
    }
}

static void warn_tree(apr_pool_t *p, server_rec *s, const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "AuthType")) {
            const char *type = first_word(p, d);

            if (strcasecmp(type, "backend")
                && word_distance(type, "backend") <= 2) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                             "%s:%d: AuthType '%s' is no authentication "
                             "type mod_auth_backend knows; did you mean "
                             "'AuthType backend'?", d->filename,
                             d->line_num, type);
            }
        }
        if (d->first_child) {
            warn_section(p, s, d);
            warn_tree(p, s, d->first_child);
        }
    }
}

void config_warn(apr_pool_t *ptemp, server_rec *s)
{
    warn_tree(ptemp, s, ap_conftree);
}
