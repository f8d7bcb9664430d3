/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * audit.c — the audit log: one line in one format (audit_format.c) for
 * every login, failed or throttled login, logout, refused token and CSRF
 * refusal, whatever transport or strategy saw it, so that an administrator
 * (or fail2ban) greps one pattern.  Each event has one level.
 */

#include "common/common.h"

static const struct {
    const char *name;
    int level;
} events[] = {
    /* in the order of audit_event */
    { "login_succeeded", APLOG_INFO },
    { "login_failed",    APLOG_WARNING },
    { "login_throttled", APLOG_WARNING },
    { "login_rejected",  APLOG_INFO },
    { "logout",          APLOG_INFO },
    { "logout_rejected", APLOG_INFO },
    { "token_refused",   APLOG_WARNING },
    { "csrf_refused",    APLOG_WARNING }
};

void audit_log(request_rec *r, audit_event event, const char *reason,
               const char *user, const auth_backend *be, const char *detail,
               const char *const *extra)
{
    audit_fields f;
    int level = events[event].level;

    if (!APLOG_R_IS_LEVEL(r, level)) {
        return;
    }
    f.event = events[event].name;
    f.reason = reason;
    f.client = r->useragent_ip;
    f.user = user;
    f.backend = be ? be->name : NULL;
    f.extra = extra;
    f.detail = detail;
    ap_log_rerror(APLOG_MARK, level, 0, r, "%s", audit_line(r->pool, &f));
}

void audit_token_refused(request_rec *r, const auth_backend *be,
                         const char *reason, const char *detail)
{
    audit_log(r, AUDIT_TOKEN_REFUSED, reason, NULL, be, detail, NULL);
}
