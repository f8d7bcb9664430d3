/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * claims.c — what a verified token's claims must say, checked from the
 * jwt strategy's own strict parse of the payload, as PyJWT checks them for
 * fastapi-users: exp and aud required, nbf and iat honoured, a string sub;
 * iss when the backend names an issuer.
 */

#include "strategy/jwt/jwt.h"

#include "apr_lib.h"

/* Each check: AUTH_BACKEND_OK, or the status with *CODE and *REASON. */
#define REFUSE(c, r) (*code = (c), *reason = (r), AUTH_BACKEND_DENIED)

/* The time claims are NumericDates (RFC 7519 §2): integer or not.  1 and
 * *T if NAME is there, 0 if not, -1 if it is not a number. */
static int numeric_date(json_t *claims, const char *name, double *t)
{
    json_t *v = json_object_get(claims, name);

    if (!v) {
        return 0;
    }
    if (!json_is_number(v)) {
        return -1;
    }
    *t = json_number_value(v);
    return 1;
}

static auth_backend_status check_times(const jwt_conf *c, json_t *claims,
                                       double now, double *exp,
                                       const char **code, const char **reason)
{
    double t = 0;
    int found;

    switch (numeric_date(claims, "exp", &t)) {
    case 0:
        return REFUSE(REFUSED_MISSING_CLAIM, "it has no exp claim");
    case -1:
        return REFUSE(REFUSED_INVALID_CLAIM, "exp is not a number");
    }
    if (t <= now - (double)c->leeway) {
        *code = REFUSED_EXPIRED;
        *reason = "it has expired";
        return AUTH_BACKEND_EXPIRED;
    }
    *exp = t;
    if ((found = numeric_date(claims, "nbf", &t)) < 0) {
        return REFUSE(REFUSED_INVALID_CLAIM, "nbf is not a number");
    }
    if (found && t > now + (double)c->leeway) {
        return REFUSE(REFUSED_NOT_YET_VALID, "it is not valid yet (nbf)");
    }
    if ((found = numeric_date(claims, "iat", &t)) < 0) {
        return REFUSE(REFUSED_INVALID_CLAIM, "iat is not a number");
    }
    if (found && t > now + (double)c->leeway) {
        return REFUSE(REFUSED_NOT_YET_VALID,
                      "it was issued in the future (iat)");
    }
    return AUTH_BACKEND_OK;
}

static int audience_accepted(const jwt_conf *c, const char *aud)
{
    int i;

    for (i = 0; i < c->audiences->nelts; i++) {
        if (!strcmp(aud, APR_ARRAY_IDX(c->audiences, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

/* aud is a string or an array of strings, one of them accepted here. */
static auth_backend_status check_audience(const jwt_conf *c, json_t *claims,
                                          const char **code,
                                          const char **reason)
{
    json_t *v = json_object_get(claims, "aud");
    int found = 0;
    size_t i;

    if (json_is_string(v)) {
        found = audience_accepted(c, json_string_value(v));
    }
    else if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++) {
            json_t *e = json_array_get(v, i);
            if (!json_is_string(e)) {
                return REFUSE(REFUSED_INVALID_CLAIM,
                              "aud holds a value that is not a string");
            }
            found = found || audience_accepted(c, json_string_value(e));
        }
    }
    if (!found) {
        return v ? REFUSE(REFUSED_WRONG_AUDIENCE,
                          "its audience (aud) is not accepted here")
                 : REFUSE(REFUSED_MISSING_CLAIM, "it has no aud claim");
    }
    return AUTH_BACKEND_OK;
}

/* sub becomes r->user and log fields: a short printable string. */
static auth_backend_status check_subject(json_t *claims, const char **sub,
                                         const char **code,
                                         const char **reason)
{
    json_t *v = json_object_get(claims, "sub");
    const char *s;
    size_t i, len;

    if (!json_is_string(v)) {
        return REFUSE(v ? REFUSED_INVALID_CLAIM : REFUSED_MISSING_CLAIM,
                      "it has no sub claim (a string)");
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || len > MAX_SUB_LENGTH || strlen(s) != len) {
        return REFUSE(REFUSED_INVALID_CLAIM,
                      "sub is empty, too long or holds NUL");
    }
    for (i = 0; i < len; i++) {
        if (apr_iscntrl(s[i])) {
            return REFUSE(REFUSED_INVALID_CLAIM,
                          "sub holds control characters");
        }
    }
    *sub = s;
    return AUTH_BACKEND_OK;
}

auth_backend_status jwt_claims_validate(const jwt_conf *c, json_t *claims,
                                        double now, const char **sub,
                                        double *exp, const char **code,
                                        const char **reason)
{
    auth_backend_status st;

    if ((st = check_times(c, claims, now, exp, code, reason))
        != AUTH_BACKEND_OK) {
        return st;
    }
    if (c->issuer) {
        json_t *iss = json_object_get(claims, "iss");

        if (!json_is_string(iss) || strcmp(json_string_value(iss), c->issuer)) {
            return REFUSE(REFUSED_WRONG_ISSUER, "its issuer (iss) is missing "
                          "or not the configured one");
        }
    }
    if ((st = check_audience(c, claims, code, reason)) != AUTH_BACKEND_OK) {
        return st;
    }
    return check_subject(claims, sub, code, reason);
}
