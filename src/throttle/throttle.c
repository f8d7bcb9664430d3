/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * throttle.c — AuthBackendLoginThrottle: failed logins are counted per user
 * name and per client address in a mod_socache cache shared by every
 * process of the server (shmcb unless AuthBackendThrottleCache names
 * another), and past the limit the login handler answers 429 without
 * checking the password.  The cache and its global mutex are set up as
 * mod_authn_socache does it: the instance is created while the
 * configuration is read, initialised in post_config, and the mutex is
 * reopened in every child.
 *
 * A counter is a window that opens with its first failure and lasts the
 * period: FAILURES failures fit in it, then every attempt is refused until
 * it ends.  An attempt takes its place in the window *before* the password
 * is checked, under the mutex, so that parallel requests cannot all slip
 * through below the limit; a success gives the place back (and clears the
 * user's counter), a failure keeps it.  A refused attempt counts nowhere:
 * an attacker cannot extend a lockout with requests that check nothing.
 */

#include "throttle/throttle.h"
#include "common/common.h"

#include "ap_provider.h"
#include "ap_socache.h"
#include "http_core.h"
#include "http_main.h"
#include "util_mutex.h"
#include "apr_general.h"
#include "apr_strings.h"

/* Within the 16 characters socache allows; names shmcb's file, if any. */
#define CACHE_NAME "auth-backend-thr"
/* The type for the Mutex directive. */
#define MUTEX_TYPE "auth-backend-throttle"
#define DEFAULT_PROVIDER "shmcb"

static const char *const counter_name[2] = { "user", "address" };

/* AuthBackendLoginThrottle off */
static const throttle_limits throttle_off = { { 0, 0 }, { 0, 0 } };

/* Server-wide, as the cache is: reset by pre_config on every (re)start. */
static const ap_socache_provider_t *cache_provider;
static ap_socache_instance_t *cache_instance;
static const char *cache_spec;          /* "shmcb[:args]", for log lines */
static apr_global_mutex_t *cache_mutex;
static const char *used_at;             /* file:line of the first limit */
static apr_array_header_t *uses;        /* every limit (throttle_use) */
/* shmcb: counters are kept under a keyed hash (throttle_spread_key) with
 * this secret, new on every start as the cache is */
static int spread;
static unsigned char spread_secret[32];

/* One counter as the cache stores it. */
typedef struct {
    apr_time_t end;                     /* when the window closes */
    apr_uint32_t count;                 /* attempts in it */
} window;

/* The places an attempt took, to settle once the password is checked. */
struct throttle_ticket {
    const char *key[2];                 /* NULL: not counted */
    apr_time_t end[2];                  /* the window the place is in */
};

/* ---- configuration -------------------------------------------------------- */

#define USAGE "AuthBackendLoginThrottle takes FAILURES PERIOD, or " \
              "user=FAILURES/PERIOD and/or address=FAILURES/PERIOD, or off"

/* FAILURES/PERIOD, or FAILURES and PERIOD as two words */
static const char *parse_limit(cmd_parms *cmd, const char *failures,
                               const char *period, throttle_limits *t,
                               int which)
{
    apr_int64_t n, secs;
    const char *err;

    if ((err = option_int(cmd->pool, "FAILURES", failures, 1,
                          THROTTLE_MAX_FAILURES, &n))
        || (err = throttle_parse_period(cmd->pool, period, &secs))) {
        return apr_pstrcat(cmd->pool, "AuthBackendLoginThrottle: ", err,
                           NULL);
    }
    t->max[which] = (unsigned int)n;
    t->period[which] = secs;
    return NULL;
}

/* Where limits T are set, for the cache size check and error messages. */
static void record_use(cmd_parms *cmd, const throttle_limits *t)
{
    throttle_use *u;

    if (!uses) {
        uses = apr_array_make(cmd->pool, 4, sizeof(throttle_use));
    }
    u = apr_array_push(uses);
    u->limits = t;
    u->where = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                            cmd->directive->line_num);
    if (!used_at) {
        used_at = u->where;
    }
}

const char *cmd_login_throttle(cmd_parms *cmd, void *mconfig,
                               const char *args)
{
    auth_backend_dir_conf *conf = mconfig;
    throttle_limits *t = apr_pcalloc(cmd->pool, sizeof(*t));
    const char *words[3], *err;
    int n = 0, i;

    if (conf->section) {
        return "AuthBackendLoginThrottle is not allowed inside <AuthBackend>";
    }
    while (*args && n < 3) {
        words[n++] = ap_getword_conf(cmd->pool, &args);
    }
    if (n == 1 && !strcasecmp(words[0], "off")) {
        conf->throttle = &throttle_off;
        return NULL;
    }
    if (n == 2 && !ap_strchr_c(words[0], '=')
        && !ap_strchr_c(words[1], '=')) {
        if ((err = parse_limit(cmd, words[0], words[1], t, BY_USER))) {
            return err;
        }
        t->max[BY_ADDRESS] = t->max[BY_USER];
        t->period[BY_ADDRESS] = t->period[BY_USER];
    }
    else if (n >= 1 && n <= 2) {
        for (i = 0; i < n; i++) {
            const char *v = ap_strchr_c(words[i], '=');
            const char *slash = v ? ap_strchr_c(v, '/') : NULL;
            int which = -1;

            if (v && !strncmp(words[i], "user=", 5)) {
                which = BY_USER;
            }
            else if (v && !strncmp(words[i], "address=", 8)) {
                which = BY_ADDRESS;
            }
            if (!v) {
                return USAGE;
            }
            if (which < 0 || !slash) {
                return apr_psprintf(cmd->pool, "AuthBackendLoginThrottle: "
                                    "'%s' is not user=FAILURES/PERIOD or "
                                    "address=FAILURES/PERIOD", words[i]);
            }
            if (t->max[which]) {
                return apr_psprintf(cmd->pool, "AuthBackendLoginThrottle: "
                                    "%s= is given twice",
                                    counter_name[which]);
            }
            if ((err = parse_limit(cmd, apr_pstrmemdup(cmd->temp_pool, v + 1,
                                                       slash - v - 1),
                                   slash + 1, t, which))) {
                return err;
            }
        }
    }
    if (!t->max[BY_USER] && !t->max[BY_ADDRESS]) {
        return USAGE;
    }
    conf->throttle = t;
    record_use(cmd, t);
    return NULL;
}

const char *cmd_throttle_cache(cmd_parms *cmd, void *mconfig,
                               const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *colon = ap_strchr_c(arg, ':');
    const char *name = colon ? apr_pstrmemdup(cmd->pool, arg, colon - arg)
                             : arg;

    (void)mconfig;
    if (err) {
        return err;
    }
    if (cache_spec) {
        return "AuthBackendThrottleCache is given twice";
    }
    cache_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                        AP_SOCACHE_PROVIDER_VERSION);
    if (!cache_provider) {
        return apr_psprintf(cmd->pool, "AuthBackendThrottleCache: unknown "
                            "socache provider '%s'; load its module "
                            "(mod_socache_%s?) before this line", name,
                            name);
    }
    err = cache_provider->create(&cache_instance, colon ? colon + 1 : NULL,
                                 cmd->temp_pool, cmd->pool);
    if (err) {
        cache_provider = NULL;
        cache_instance = NULL;
        return apr_psprintf(cmd->pool, "AuthBackendThrottleCache: %s", err);
    }
    cache_spec = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

void throttle_merge(auth_backend_dir_conf *conf,
                    const auth_backend_dir_conf *base,
                    const auth_backend_dir_conf *add)
{
    conf->throttle = add->throttle ? add->throttle : base->throttle;
}

/* ---- startup ---------------------------------------------------------------- */

static int throttle_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp)
{
    apr_status_t rv = ap_mutex_register(pconf, MUTEX_TYPE, NULL,
                                        APR_LOCK_DEFAULT, 0);

    (void)ptemp;
    cache_provider = NULL;
    cache_instance = NULL;
    cache_spec = NULL;
    cache_mutex = NULL;
    used_at = NULL;
    uses = NULL;
    spread = 0;
    if (rv != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, rv, plog, "cannot register "
                      "the %s mutex", MUTEX_TYPE);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* Also under `apache2 -t`: the default provider must be there. */
static int throttle_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp;
    if (!used_at) {
        return OK;
    }
    /* at startup the warning goes to the error log, from post_config */
    if (ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST
        && throttle_shmcb_bytes(cache_spec)) {
        throttle_size_check(s, throttle_shmcb_bytes(cache_spec), uses);
    }
    if (cache_provider) {
        return OK;
    }
    cache_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP,
                                        DEFAULT_PROVIDER,
                                        AP_SOCACHE_PROVIDER_VERSION);
    if (!cache_provider) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s: "
                     "AuthBackendLoginThrottle keeps its counters in a "
                     "shared cache: load mod_socache_shmcb, or name another "
                     "socache provider with AuthBackendThrottleCache",
                     used_at);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static apr_status_t cache_destroy(void *data)
{
    if (cache_instance) {
        cache_provider->destroy(cache_instance, data);
        cache_instance = NULL;
    }
    return APR_SUCCESS;
}

static apr_status_t mutex_destroy(void *data)
{
    (void)data;
    if (cache_mutex) {
        apr_global_mutex_destroy(cache_mutex);
        cache_mutex = NULL;
    }
    return APR_SUCCESS;
}

/* How counters are keyed, and whether the cache can hold them; the
 * hints for the cache.  A shmcb cache picks the sub-cache of a key by its
 * first byte: the keys are spread over all of them by a keyed hash, and
 * the hints say what an entry really takes (shmcb adds an index of 24
 * bytes), so that shmcb makes as many index slots as the data area holds
 * counters. */
static apr_status_t keys_setup(apr_pool_t *pconf, server_rec *s,
                               struct ap_socache_hints *hints)
{
    const char *why = throttle_name_init(pconf);
    apr_size_t bytes = throttle_shmcb_bytes(cache_spec);
    apr_status_t rv = APR_SUCCESS;

    if (why) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s: %s", used_at,
                     why);
    }
    hints->avg_id_len = 64;
    hints->avg_obj_size = sizeof(window);
    hints->expiry_interval = 60 * APR_USEC_PER_SEC;
    spread = bytes > 0;
    if (spread) {
        hints->avg_id_len = THROTTLE_SHMCB_ENTRY - sizeof(window);
        rv = apr_generate_random_bytes(spread_secret, sizeof(spread_secret));
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "login throttle: "
                         "cannot make the secret of the cache keys");
        }
        throttle_size_check(s, bytes, uses);
    }
    return rv;
}

/* The key that the counter KEY of kind WHICH is kept under. */
static const char *cache_key(apr_pool_t *p, const char *key, int which)
{
    return spread ? throttle_spread_key(p, spread_secret,
                                        sizeof(spread_secret), key, which)
                  : key;
}

static int throttle_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    /* static: a provider may keep the pointer */
    static struct ap_socache_hints hints;
    apr_status_t rv;

    (void)plog;
    if (!used_at
        || ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (!cache_instance) {
        const char *err;

        if ((err = cache_provider->create(&cache_instance, NULL, ptemp,
                                          pconf))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "login throttle: "
                         "cannot create the %s cache: %s", DEFAULT_PROVIDER,
                         err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        cache_spec = DEFAULT_PROVIDER;
    }
    if (keys_setup(pconf, s, &hints) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ap_global_mutex_create(&cache_mutex, NULL, MUTEX_TYPE, NULL, s,
                                pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "login throttle: "
                     "cannot create the %s mutex", MUTEX_TYPE);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, mutex_destroy,
                              apr_pool_cleanup_null);
    rv = cache_provider->init(cache_instance, CACHE_NAME, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "login throttle: "
                     "cannot initialise the %s cache", cache_spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, s, cache_destroy, apr_pool_cleanup_null);
    return OK;
}

static void throttle_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (!cache_mutex) {
        return;
    }
    rv = apr_global_mutex_child_init(&cache_mutex,
                                     apr_global_mutex_lockfile(cache_mutex),
                                     pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "login throttle: cannot "
                     "reopen the %s mutex in this process", MUTEX_TYPE);
    }
}

void throttle_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(throttle_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(throttle_check_config, NULL, NULL,
                         APR_HOOK_MIDDLE);
    ap_hook_post_config(throttle_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(throttle_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

/* ---- the counters ------------------------------------------------------------- */

/* The cache fails: logins go on unthrottled (see README: fail open). */
static void cache_failed(request_rec *r, apr_status_t rv, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "login throttle: the %s "
                  "cache failed to %s; this login is not throttled",
                  cache_spec ? cache_spec : "(no)", what);
}

/* APR_SUCCESS and *W (zero when there is no counter), or a failure. */
static apr_status_t window_get(request_rec *r, const char *key, window *w)
{
    unsigned char buf[sizeof(window)];
    unsigned int len = sizeof(buf);
    apr_status_t rv;

    memset(w, 0, sizeof(*w));
    rv = cache_provider->retrieve(cache_instance, r->server,
                                  (const unsigned char *)key,
                                  (unsigned int)strlen(key), buf, &len,
                                  r->pool);
    if (APR_STATUS_IS_NOTFOUND(rv)) {
        return APR_SUCCESS;
    }
    if (rv == APR_SUCCESS && len == sizeof(*w)) {
        memcpy(w, buf, sizeof(*w));
    }
    return rv;
}

static apr_status_t window_put(request_rec *r, const char *key,
                               const window *w)
{
    unsigned char buf[sizeof(window)];

    memcpy(buf, w, sizeof(buf));
    return cache_provider->store(cache_instance, r->server,
                                 (const unsigned char *)key,
                                 (unsigned int)strlen(key), w->end, buf,
                                 sizeof(buf), r->pool);
}

static int lock(request_rec *r)
{
    apr_status_t rv;

    if (!cache_instance || !cache_mutex) {
        cache_failed(r, APR_EINIT, "start (it was not set up)");
        return 0;
    }
    if ((rv = apr_global_mutex_lock(cache_mutex)) != APR_SUCCESS) {
        cache_failed(r, rv, "lock its mutex");
        return 0;
    }
    return 1;
}

static void unlock(request_rec *r)
{
    apr_status_t rv = apr_global_mutex_unlock(cache_mutex);

    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "login throttle: cannot "
                      "release the %s mutex", MUTEX_TYPE);
    }
}

/* A login refused for LIMIT (BY_*): audited, and the seconds to wait. */
static apr_int64_t throttled(request_rec *r, const auth_backend *be,
                             const throttle_limits *t, const char *user,
                             int limit, apr_time_t wait)
{
    apr_int64_t secs = (wait + APR_USEC_PER_SEC - 1) / APR_USEC_PER_SEC;
    const char *extra[3];

    extra[0] = "retry_after";
    extra[1] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, secs);
    extra[2] = NULL;
    audit_log(r, AUDIT_LOGIN_THROTTLED,
              limit == BY_USER ? "user_limit" : "address_limit", user, be,
              apr_psprintf(r->pool, "%u failed logins within %"
                           APR_INT64_T_FMT " s for this %s; the password "
                           "is not checked", t->max[limit],
                           t->period[limit], counter_name[limit]),
              extra);
    return secs;
}

apr_int64_t throttle_acquire(request_rec *r, const auth_backend *be,
                             const char *user, throttle_ticket **ticket)
{
    const auth_backend_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &auth_backend_module);
    const throttle_limits *t = conf->throttle;
    throttle_ticket *tk;
    window w[2];
    apr_time_t now = apr_time_now(), wait = 0;
    apr_status_t rv = APR_SUCCESS;
    int i, limit = -1;

    *ticket = NULL;
    if (!t || (!t->max[BY_USER] && !t->max[BY_ADDRESS])) {
        return 0;
    }
    tk = apr_pcalloc(r->pool, sizeof(*tk));
    if (t->max[BY_USER]) {
        tk->key[BY_USER] = cache_key(r->pool,
                                     throttle_user_key(r->pool, user),
                                     BY_USER);
    }
    if (t->max[BY_ADDRESS]) {
        tk->key[BY_ADDRESS] = cache_key(r->pool, throttle_address_key(
                                                     r->pool,
                                                     r->useragent_ip),
                                        BY_ADDRESS);
    }
    if (!lock(r)) {
        return 0;
    }
    for (i = 0; i < 2 && rv == APR_SUCCESS; i++) {
        if (tk->key[i] && (rv = window_get(r, tk->key[i], &w[i]))
                          == APR_SUCCESS
            && w[i].end > now && w[i].count >= t->max[i]
            && w[i].end - now > wait) {
            wait = w[i].end - now;
            limit = i;
        }
    }
    /* a refused attempt takes no place: it checks no password */
    for (i = 0; i < 2 && rv == APR_SUCCESS && !wait; i++) {
        if (!tk->key[i]) {
            continue;
        }
        if (w[i].end <= now) {
            w[i].end = now + apr_time_from_sec(t->period[i]);
            w[i].count = 0;
        }
        w[i].count++;
        tk->end[i] = w[i].end;
        rv = window_put(r, tk->key[i], &w[i]);
    }
    unlock(r);
    if (rv != APR_SUCCESS) {
        cache_failed(r, rv, "count the attempt");
        return 0;
    }
    if (wait) {
        return throttled(r, be, t, user, limit, wait);
    }
    *ticket = tk;
    return 0;
}

/* Takes back the place of an attempt, if its window is still there. */
static apr_status_t give_back(request_rec *r, const char *key,
                              apr_time_t end)
{
    window w;
    apr_status_t rv = window_get(r, key, &w);

    if (rv != APR_SUCCESS || w.end != end || !w.count) {
        return rv;
    }
    w.count--;
    return window_put(r, key, &w);
}

void throttle_settle(request_rec *r, throttle_ticket *tk, authn_status res)
{
    apr_status_t rv = APR_SUCCESS;

    /* a failure keeps the places it took */
    if (!tk || res == AUTH_DENIED || res == AUTH_USER_NOT_FOUND
        || !lock(r)) {
        return;
    }
    if (tk->key[BY_ADDRESS]) {
        rv = give_back(r, tk->key[BY_ADDRESS], tk->end[BY_ADDRESS]);
    }
    if (tk->key[BY_USER] && rv == APR_SUCCESS) {
        /* the right password clears the user's failures */
        rv = res == AUTH_GRANTED
             ? cache_provider->remove(cache_instance, r->server,
                                      (const unsigned char *)tk->key[BY_USER],
                                      (unsigned int)strlen(tk->key[BY_USER]),
                                      r->pool)
             : give_back(r, tk->key[BY_USER], tk->end[BY_USER]);
        if (APR_STATUS_IS_NOTFOUND(rv)) {
            rv = APR_SUCCESS;
        }
    }
    unlock(r);
    if (rv != APR_SUCCESS) {
        cache_failed(r, rv, "settle the attempt");
    }
}
