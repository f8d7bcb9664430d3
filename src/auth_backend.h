/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * auth_backend.h — declarations shared by the files of mod_auth_backend.
 * The module is built with -fvisibility=hidden: nothing here leaks into
 * httpd's global symbol table, only the module record does.
 */

#ifndef AUTH_BACKEND_PRIVATE_H
#define AUTH_BACKEND_PRIVATE_H

#include "mod_auth_backend.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "util_filter.h"
#include "mod_auth.h"

#include "apr_hash.h"
#include "apr_tables.h"

extern module AP_MODULE_DECLARE_DATA auth_backend_module;

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(auth_backend);
#endif

/* Log lines need no escaping here: httpd 2.4 escapes control characters
 * and backslashes in every error-log message itself. */

#define AUTH_BACKEND_LOGIN_HANDLER   "auth-backend-login"
#define AUTH_BACKEND_LOGOUT_HANDLER  "auth-backend-logout"
#define AUTH_BACKEND_JSON_FILTER     "AUTH_BACKEND_JSON"
#define AUTH_BACKEND_LIMIT_FILTER    "AUTH_BACKEND_BODY_LIMIT"

#define AUTH_BACKEND_DEFAULT_LOGIN_MAX_BODY 8192

/* ---- configuration (config.c) ------------------------------------------ */

/* Per server (and virtual host): the <AuthBackend> sections by name. A
 * virtual host sees the main server's backends plus its own. */
typedef struct {
    apr_hash_t *backends;               /* name -> auth_backend * */
} auth_backend_server_conf;

/* One authn provider of AuthBackendLoginProvider, resolved at parse time. */
typedef struct {
    const char *name;
    const authn_provider *provider;
} login_provider;

typedef struct throttle_limits throttle_limits;     /* throttle.c */

/* Per directory / location. */
typedef struct {
    apr_array_header_t *backend_names;    /* AuthBackendProvider: const char * */
    apr_array_header_t *login_providers;  /* AuthBackendLoginProvider */
    apr_off_t login_max_body;             /* AuthBackendLoginMaxBody */
    unsigned int login_max_body_set:1;
    const char *login_url;                /* AuthBackendLoginURL */
    const char *login_redirect;           /* AuthBackendLoginRedirect */
    const char *logout_redirect;          /* AuthBackendLogoutRedirect */
    apr_array_header_t *trusted_origins;  /* AuthBackendTrustedOrigin:
                                             normalised, const char * */

    /* Set only in the fresh vector that <AuthBackend> walks its body with:
     * the backend being defined. */
    auth_backend *section;

    /* Authorization and identity (user_query.c, identity.c, optional.c) */
    const struct user_query *user_query;  /* AuthBackendUserQuery */
    int optional;                         /* AuthBackendOptional */
    int pass_claims;                      /* AuthBackendPassClaims: PASS_* */
    const char *env_prefix;               /* AuthBackendClaimPrefix env */
    const char *header_prefix;            /* AuthBackendClaimPrefix headers */
    const char *user_header;              /* AuthBackendUserHeader */
    unsigned int optional_set:1;
    unsigned int pass_claims_set:1;
    /* a Require line here reads the user record: load it while
     * authenticating, where an unreachable database can still be a 503 */
    unsigned int record_rules:1;

    const throttle_limits *throttle;      /* AuthBackendLoginThrottle */
} auth_backend_dir_conf;

/* Merges the members above (authz_config.c). */
void authz_config_merge(auth_backend_dir_conf *conf,
                        const auth_backend_dir_conf *base,
                        const auth_backend_dir_conf *add);

void *config_create_dir(apr_pool_t *p, char *dir);
void *config_merge_dir(apr_pool_t *p, void *basev, void *addv);
void *config_create_server(apr_pool_t *p, server_rec *s);
void *config_merge_server(apr_pool_t *p, void *basev, void *addv);

const char *cmd_backend_section(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_transport(cmd_parms *cmd, void *mconfig, const char *args);
const char *cmd_strategy(cmd_parms *cmd, void *mconfig, const char *args);
const char *cmd_backend_provider(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_login_provider(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_login_max_body(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_redirect_url(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_trusted_origin(cmd_parms *cmd, void *mconfig, const char *arg);

int config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                 server_rec *s);
int config_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s);
void config_child_init(apr_pool_t *pchild, server_rec *s);

/* Every <AuthBackend> of the configuration once (allocated from P). */
apr_array_header_t *backends_all(apr_pool_t *p, server_rec *s);

/* The backend NAME as seen from the request's server, or NULL. */
const auth_backend *backend_find(request_rec *r, const char *name);

/* ---- key=value options and secrets (options.c) ------------------------- */

/* Splits "TYPE key=value ..." (quoting as in any httpd directive). */
const char *options_parse(cmd_parms *cmd, const char *args, const char **type,
                          apr_array_header_t **opts);
/* NULL, or a message naming the first option nobody consumed. */
const char *options_unused(apr_pool_t *p, const apr_array_header_t *opts);
/* Reads a secret given as file:PATH, env:VAR or a literal (which draws a
 * startup warning).  Never puts the secret itself into a message. */
const char *option_secret(cmd_parms *cmd, const auth_backend *be,
                          const char *key, const char *spec,
                          const char **value, apr_size_t *len);
/* An integer in [min, max]. */
const char *option_int(apr_pool_t *p, const char *key, const char *value,
                       apr_int64_t min, apr_int64_t max, apr_int64_t *out);

/* ---- tokens (token.c) --------------------------------------------------- */

#define OPAQUE_TOKEN_BYTES   32
#define OPAQUE_TOKEN_LENGTH  43     /* base64url of 32 bytes, no padding */
#define TOKEN_MAX_LENGTH     8192
#define TOKEN_DEFAULT_LIFETIME 3600         /* fastapi-users' documented value */
#define TOKEN_MAX_LIFETIME   315360000      /* ten years, in seconds */

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
int token_is_b64token(const char *s, apr_size_t len);
/* 43 characters of the base64url alphabet that decode to 32 bytes. */
int token_is_opaque(const char *s);
/* 32 bytes from the OS CSPRNG, base64url without padding. */
apr_status_t token_generate_opaque(apr_pool_t *p, const char **token);
/* Strict base64url decoding: no padding, no foreign characters, no
 * non-zero spare bits.  Returns the decoded length or -1; *out is
 * NUL-terminated. */
apr_ssize_t b64url_decode(apr_pool_t *p, const char *in, apr_size_t len,
                          unsigned char **out);
/* base64url without padding. */
const char *b64url_encode(apr_pool_t *p, const unsigned char *in,
                          apr_size_t len);

/* ---- verified-token cache (token_cache.c) ------------------------------- */

/* Longer tokens are not cached: an entry holds the token and its claims. */
#define TOKEN_CACHE_MAX_TOKEN 2048
/* The largest cache= any strategy takes. */
#define TOKEN_CACHE_MAX_SLOTS 65536

/* The size of a store generation (sqlite_watch.c): bytes 24-39 of an
 * SQLite file. */
#define TOKEN_CACHE_GENERATION 16

typedef struct token_cache token_cache;

/* NSLOTS entries in P (a child's pool: the cache is per process). */
token_cache *token_cache_create(apr_pool_t *p, unsigned int nslots);
/* 1 and the cached user and claims (copied into P) when TOKEN is cached
 * and still valid at NOW; else 0.  GEN (TOKEN_CACHE_GENERATION bytes, or
 * NULL for a cache without generations): the store's generation the
 * caller just read; a different one than the entries' empties the cache. */
int token_cache_get(token_cache *c, const unsigned char *gen,
                    const char *token, double now, apr_pool_t *p,
                    const char **user, const char **claims);
/* Remembers a verified TOKEN until VALID_UNTIL (its exp plus leeway), if
 * GEN (read before TOKEN was looked up; NULL: none) is still the
 * entries' generation. */
void token_cache_put(token_cache *c, const unsigned char *gen,
                     const char *token, double valid_until,
                     const char *user, const char *claims);
/* Drops the entry of TOKEN (LEN bytes, not NUL-terminated), if any. */
void token_cache_forget(token_cache *c, const char *token, apr_size_t len);
/* Drops every entry. */
void token_cache_clear(token_cache *c);

/* ---- an SQLite file's generation (sqlite_watch.c) ------------------------ */

typedef struct sqlite_watch sqlite_watch;

typedef enum {
    SQLITE_WATCH_CURRENT,       /* the generation was read */
    SQLITE_WATCH_BUSY,          /* another process holds the write lock */
    SQLITE_WATCH_WAL,           /* WAL mode: the header does not tell */
    SQLITE_WATCH_UNREADABLE     /* missing, replaced, not SQLite 3 */
} sqlite_watch_state;

/* Watches the database file PATH (absolute), opened on first use, in P (a
 * child's pool).  NULL if a mutex cannot be created. */
sqlite_watch *sqlite_watch_create(apr_pool_t *p, const char *path);
/* SQLITE_WATCH_CURRENT and the file's generation in GEN
 * (TOKEN_CACHE_GENERATION bytes): equal generations, read while no other
 * process writes, mean no transaction was committed in between.  Else
 * *WHY says why there is none. */
sqlite_watch_state sqlite_watch_read(sqlite_watch *w, unsigned char *gen,
                                     const char **why);
/* 1 and the instant in *T if S is "YYYY-MM-DD HH:MM:SS.ffffff" (UTC, as
 * SQLite rows of the dbd strategy hold created_at), nothing else; else 0. */
int sqlite_text_time(const char *s, apr_time_t *t);

/* ---- a connection's last Cookie header (cookie_memo.c) ------------------ */

/* Header, value and what stripping left, together; a larger header is
 * parsed on every request as before. */
#define COOKIE_MEMO_MAX 8192

typedef struct cookie_memo cookie_memo;

/* An empty memo that grows in P (the connection's pool). */
cookie_memo *cookie_memo_create(apr_pool_t *p);
/* 1 when HEADER is byte for byte the one last stored for OWNER (the
 * transport's configuration): VALUE is what ap_cookie_read() found in it
 * and KEPT the Cookie header it left (NULL: none).  Both point into the
 * memo: copy them before the next put. */
int cookie_memo_get(const cookie_memo *m, const void *owner,
                    const char *header, const char **value,
                    const char **kept);
/* Stores them in place of whatever the memo held. */
void cookie_memo_put(cookie_memo *m, const void *owner, const char *header,
                     const char *value, const char *kept);

/* ---- per-request state (request.c) ------------------------------------- */

typedef struct {
    unsigned int json_errors:1;        /* render this request's errors as JSON */
    const auth_backend *backend;       /* the backend that authenticated */
    const char *claims;                /* its claims (JSON), if any */
    apr_array_header_t *refused;       /* transports whose token was refused */
    apr_table_t *hidden;               /* backend name -> the token hidden
                                          from the application */

    /* Authorization and identity (claims.c, user_query.c) */
    const char *user;                  /* r->user as this module set it */
    struct json_t *claims_json;        /* claims, parsed once */
    const struct user_query *record_query;  /* what record holds */
    int record_status;                 /* RECORD_*: 0 = not looked up */
    struct json_t *record;             /* the user record, as claims */
} auth_backend_request;

auth_backend_request *request_state(request_rec *r);
auth_backend_request *request_state_get(request_rec *r);   /* or NULL */
/* Remembers TOKEN of backend BE, just removed from the request, for the
 * subrequests and internal redirects that copy the request's headers. */
void request_hide_token(request_rec *r, const auth_backend *be,
                        const char *token);
/* The token of BE that the main or a previous request hid, or NULL. */
const char *request_hidden_token(request_rec *r, const auth_backend *be);
/* The request the client sent: R without subrequests and redirects. */
request_rec *request_initial(request_rec *r);

/* ---- authentication (authn.c) ------------------------------------------ */

/* Walks the backends NAMES in order; the first that yields a user wins.
 * On AUTH_BACKEND_OK, *be, *user, *token and *claims describe it. */
auth_backend_status backends_authenticate(request_rec *r,
                                          const apr_array_header_t *names,
                                          const auth_backend **be,
                                          const char **user,
                                          const char **token,
                                          const char **claims);
/* Adds the challenge of every backend in NAMES to a 401. */
void backends_challenge(request_rec *r, const apr_array_header_t *names,
                        const char *realm);
int authn_check(request_rec *r);
int authn_note_failure(request_rec *r, const char *auth_type);
/* HTTP status for a failed walk: 503, 500 or 401. */
int status_for(auth_backend_status st);

/* Takes the tokens of every backend in NAMES out of the request. */
void backends_hide(request_rec *r, const apr_array_header_t *names);
/* Sets r->user and the request state once backend BE accepted a token. */
void authn_accept(request_rec *r, const auth_backend *be, const char *user,
                  const char *claims);

/* ---- authorization and identity ------------------------------------------ */

/* AuthBackendPassClaims */
#define PASS_NONE     0
#define PASS_ENV      1
#define PASS_HEADERS  2

#define DEFAULT_ENV_PREFIX     "AUTH_CLAIM_"
#define DEFAULT_HEADER_PREFIX  "X-Auth-Claim-"
/* longer claim values are not passed to the application */
#define CLAIM_VALUE_MAX        4096

/* The user record (user_query.c) */
enum {
    RECORD_NONE = 0,            /* not looked up yet */
    RECORD_FOUND,
    RECORD_UNKNOWN,             /* no row: no such user */
    RECORD_UNAVAILABLE,         /* the database cannot be reached: 503 */
    RECORD_ERROR                /* misconfiguration: 500 */
};

typedef struct user_query user_query;

const char *cmd_user_query(cmd_parms *cmd, void *mconfig, const char *arg);
int user_query_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s);
/* The query that applies to R's identity from backend BE, or NULL. */
const user_query *user_query_for(request_rec *r, const auth_backend *be);
/* Loads the record of the identity ST (owned by request OWNER) once per
 * request; returns RECORD_*. */
int user_record(request_rec *r, request_rec *owner, auth_backend_request *st);
/* After a token was accepted: loads the record now if a Require line of
 * the location will read it.  OK, or the HTTP status to answer. */
int user_record_preload(request_rec *r);
/* OK for RECORD_FOUND and RECORD_UNKNOWN, else 503 or 500. */
int record_http_status(request_rec *r, int rs);
/* 1 / 0 for the spellings of true and false databases use, else -1. */
int flag_value(const char *v);

/* The identity of R that this module established (in R, or in the request
 * R was derived from, whose request is returned in *OWNER), or NULL. */
auth_backend_request *identity_get(request_rec *r, request_rec **owner);
/* The claims of an identity as a JSON object (the token's), parsed once. */
struct json_t *claims_token(request_rec *owner, auth_backend_request *st);
/* Claim PATH ("a.b" reaches into objects) of the identity: the token's
 * claims, else the user record's columns.  *value is NULL when missing.
 * Returns RECORD_* of the record lookup it needed, or RECORD_FOUND. */
int claims_find(request_rec *r, const char *path,
                struct json_t **value);
/* PATH in the object OBJ: the member of that exact name, else "a.b.c"
 * through nested objects; NULL if missing. */
struct json_t *claim_path(apr_pool_t *p, struct json_t *obj,
                          const char *path);
/* Nonzero when claim value V equals TEXT: strings as they are, numbers
 * and booleans by their JSON text, arrays when any element does. */
int claim_matches(struct json_t *v, const char *text);
/* The text of a claim for the application: strings as they are, other
 * values as compact JSON (malloc-free: allocated from P). */
const char *claim_text(apr_pool_t *p, struct json_t *v);

void authz_register(apr_pool_t *p);

const char *cmd_optional(cmd_parms *cmd, void *mconfig, int on);
/* AuthBackendOptional: authenticates R if it can, never refuses it. */
void optional_authenticate(request_rec *r);

const char *cmd_pass_claims(cmd_parms *cmd, void *mconfig, const char *arg);
const char *cmd_claim_prefix(cmd_parms *cmd, void *mconfig, const char *kind,
                             const char *prefix);
const char *cmd_user_header(cmd_parms *cmd, void *mconfig, const char *arg);
/* Removes identity headers a client may have sent. */
void identity_scrub(request_rec *r);
int identity_header_parser(request_rec *r);
int identity_check_access(request_rec *r);
int identity_fixups(request_rec *r);

/* Every <AuthBackend> is also an authn provider of its name (basic_bridge.c) */
const char *basic_bridge_register(cmd_parms *cmd, const auth_backend *be);
int basic_bridge_is(const authn_provider *provider);
int basic_bridge_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s);

/* ---- dbd helpers (strategy_dbd.c) ------------------------------------------ */

/* The parameters of an apr_dbd statement; -1 for BLOB/CLOB ones. */
int statement_params(const char *sql);
/* mod_dbd's setting NAME (DBDriver, DBDParams) for server S, as mod_dbd
 * merges it, read from the configuration tree. */
const char *dbd_setting(apr_pool_t *p, const server_rec *s, const char *name);

/* ---- the browser flow (browser.c) ----------------------------------------- */

/* A page load by a browser rather than an API call: Sec-Fetch-Mode:
 * navigate, or an Accept that prefers HTML; never with X-Requested-With. */
int browser_navigation(request_rec *r);
/* NEXT if it is a same-origin path that is safe to redirect to (with
 * the characters RFC 3986 forbids, like '<' and '"', percent-encoded), or
 * NULL. */
const char *browser_local_path(apr_pool_t *p, const char *next);
/* S as a form (query) value, %-escapes in upper case. */
const char *browser_form_encode(apr_pool_t *p, const char *s);
/* Where an unauthenticated browser is sent: LOGIN_URL?next=<this URL>. */
const char *browser_login_location(request_rec *r, const char *login_url);
/* Makes the response a 303 to LOCATION (no body). */
int browser_see_other(request_rec *r, const char *location);
/* "scheme://host:port" of URL in lower case with the port always written,
 * or NULL if URL is not an http(s) URL; BARE: nothing but an origin. */
const char *origin_normalize(apr_pool_t *p, const char *url, int bare);
/* The CSRF defence for requests whose token a browser sends by itself:
 * OK for a safe method or a request from this server's own origin or a
 * trusted one, else HTTP_FORBIDDEN (logged, naming WHAT was refused). */
int csrf_check(request_rec *r, const auth_backend_dir_conf *conf,
               const char *what);

/* ---- handlers (login.c, logout.c) -------------------------------------- */

int login_handler(request_rec *r);
int logout_handler(request_rec *r);
apr_status_t login_body_limit_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                     ap_input_mode_t mode,
                                     apr_read_type_e block,
                                     apr_off_t readbytes);

/* ---- JSON bodies (json.c) ----------------------------------------------- */

/* {"detail":"DETAIL"} */
const char *json_detail(apr_pool_t *p, const char *detail);
/* {"access_token":"TOKEN","token_type":"bearer"} */
const char *json_token_response(apr_pool_t *p, const char *token);
/* One problem with a form field, as FastAPI reports it in a 422. */
typedef struct {
    const char *field;
    const char *type;          /* "missing", "value_error" ... */
    const char *msg;
} field_error;
/* FastAPI's 422 body: {"detail":[{"type":T,"loc":["body",F],"msg":M}, ...]}
 * ("input": null for a missing field; a given value is never echoed). */
const char *json_field_errors(apr_pool_t *p, const apr_array_header_t *errors);
/* Writes BODY as the whole application/json response; returns OK. */
int json_respond(request_rec *r, int status, const char *body);
/* Turns httpd's error page for a request this module answered into JSON. */
void json_insert_error_filter(request_rec *r);
apr_status_t json_error_filter(ap_filter_t *f, apr_bucket_brigade *bb);

/* ---- audit log (audit.c, audit_format.c) ---------------------------------- */

/* Every line of the audit log starts with this (README: Audit log). */
#define AUDIT_PREFIX "auth_backend:"

/* The events, each logged at one level (audit.c). */
typedef enum {
    AUDIT_LOGIN_SUCCEEDED,      /* info */
    AUDIT_LOGIN_FAILED,         /* warn: unknown user or wrong password */
    AUDIT_LOGIN_THROTTLED,      /* warn: AuthBackendLoginThrottle */
    AUDIT_LOGIN_REJECTED,       /* info: not a usable login request */
    AUDIT_LOGOUT,               /* info */
    AUDIT_LOGOUT_REJECTED,      /* info: not a usable logout request */
    AUDIT_TOKEN_REFUSED,        /* warn */
    AUDIT_CSRF_REFUSED          /* warn */
} audit_event;

/* The reasons a token is refused (reason= of token_refused). */
#define REFUSED_MALFORMED        "malformed"
#define REFUSED_DUPLICATE        "duplicate"
#define REFUSED_WRONG_ALGORITHM  "wrong_algorithm"
#define REFUSED_UNSUPPORTED      "unsupported_header"
#define REFUSED_BAD_SIGNATURE    "bad_signature"
#define REFUSED_EXPIRED          "expired"
#define REFUSED_NOT_YET_VALID    "not_yet_valid"
#define REFUSED_MISSING_CLAIM    "missing_claim"
#define REFUSED_INVALID_CLAIM    "invalid_claim"
#define REFUSED_WRONG_AUDIENCE   "wrong_audience"
#define REFUSED_WRONG_ISSUER     "wrong_issuer"
#define REFUSED_UNKNOWN          "unknown"
#define REFUSED_BAD_USER         "bad_user"
#define REFUSED_UNRECOGNIZED     "unrecognized"
#define REFUSED_USER_MISMATCH    "user_mismatch"

typedef struct {
    const char *event;
    const char *reason;
    const char *client;
    const char *user;                   /* quoted */
    const char *backend;
    const char *const *extra;           /* key, value, ..., NULL (bare) */
    const char *detail;                 /* quoted, last */
} audit_fields;

/* V as the value of a field: bare, or QUOTED in double quotes; whatever
 * could end the field or the line is %XX. */
const char *audit_value(apr_pool_t *p, const char *v, int quoted);
/* "auth_backend: event=... reason=... ..." (NULL fields left out). */
const char *audit_line(apr_pool_t *p, const audit_fields *f);
/* Logs EVENT of request R at the event's level.  USER, BE, DETAIL and
 * EXTRA may be NULL; the client address is R's. */
void audit_log(request_rec *r, audit_event event, const char *reason,
               const char *user, const auth_backend *be, const char *detail,
               const char *const *extra);
/* event=token_refused for backend BE. */
void audit_token_refused(request_rec *r, const auth_backend *be,
                         const char *reason, const char *detail);

/* ---- login throttling (throttle.c, throttle_key.c) ------------------------ */

#define THROTTLE_MAX_FAILURES 100000
#define THROTTLE_MAX_PERIOD   86400         /* seconds */

typedef struct throttle_ticket throttle_ticket;

const char *cmd_login_throttle(cmd_parms *cmd, void *mconfig,
                               const char *args);
const char *cmd_throttle_cache(cmd_parms *cmd, void *mconfig,
                               const char *arg);
void throttle_merge(auth_backend_dir_conf *conf,
                    const auth_backend_dir_conf *base,
                    const auth_backend_dir_conf *add);
void throttle_register_hooks(apr_pool_t *p);
/* Before the password of USER is checked at a login that backend BE
 * answers: 0 and a *TICKET to settle once it is (NULL when nothing is
 * counted), or the seconds until the client may try again: the limit is
 * reached (logged), and the password must not be checked. */
apr_int64_t throttle_acquire(request_rec *r, const auth_backend *be,
                             const char *user, throttle_ticket **ticket);
/* After the check, with what the authn provider said. */
void throttle_settle(request_rec *r, throttle_ticket *ticket,
                     authn_status res);
/* The cache keys of the counters of user name USER and client address
 * IP (the /64 network of an IPv6 address). */
const char *throttle_user_key(apr_pool_t *p, const char *user);
const char *throttle_address_key(apr_pool_t *p, const char *ip);
/* "60", "60s", "15m", "1h": NULL and *SECONDS, or an error message. */
const char *throttle_parse_period(apr_pool_t *p, const char *s,
                                  apr_int64_t *seconds);

/* ---- built-in providers -------------------------------------------------- */

extern const auth_backend_transport_provider transport_bearer;
extern const auth_backend_transport_provider transport_cookie;
extern const auth_backend_strategy_provider strategy_jwt;
extern const auth_backend_strategy_provider strategy_dbd;
extern const auth_backend_strategy_provider strategy_redis;

#endif /* AUTH_BACKEND_PRIVATE_H */
