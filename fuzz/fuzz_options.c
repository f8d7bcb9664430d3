/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * fuzz_options.c — the key=value option parser (src/options.c) and the
 * configure() functions of the transports and strategies, fed through the
 * directive handlers of src/config.c exactly as httpd calls them.  Input:
 * one byte (bit 0: AuthBackendStrategy, else AuthBackendTransport), then
 * the directive's arguments, e.g. "jwt secret=file:secret.txt leeway=5".
 * Relative file: paths resolve in the key sandbox (secret.txt, rsa.pem,
 * ec256-pub.pem ...), and nothing outside it can be read.
 * Properties: success sets the provider; a literal secret never shows in
 * an error message or a log line (the messages are the same when its
 * content is replaced); option_int() accepts exactly the decimal numbers
 * in range.
 */

#include "fuzz.h"

#include "apr_lib.h"

/* What cmd_transport / cmd_strategy answer for ARGS, and the log. */
static const char *configure(apr_pool_t *p, int strategy, const char *args,
                             const char **log)
{
    cmd_parms *cmd = fuzz_cmd(p, strategy ? "AuthBackendStrategy"
                                          : "AuthBackendTransport");
    auth_backend *be = apr_pcalloc(p, sizeof(*be));
    auth_backend_dir_conf *section = config_create_dir(p, NULL);
    const char *err;

    be->name = "fuzz";
    be->server = cmd->server;
    be->defined_in = "fuzz.conf:1";
    section->section = be;
    fuzz_log_reset();
    err = strategy ? cmd_strategy(cmd, section, args)
                   : cmd_transport(cmd, section, args);
    if (!err) {
        FUZZ_ASSERT(strategy ? be->strategy && be->strategy_name
                             : be->transport && be->transport_name,
                    "success without a provider");
    }
    *log = apr_pstrdup(p, fuzz_log_text());
    return err ? err : "";
}

/* WORD as one quoted configuration word that ap_getword_conf() reads back
 * unchanged. */
static const char *quote_word(apr_pool_t *p, const char *word)
{
    char *out = apr_palloc(p, 2 * strlen(word) + 3), *o = out;

    *o++ = '"';
    for (; *word; word++) {
        if (*word == '"' || *word == '\\') {
            *o++ = '\\';
        }
        *o++ = *word;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* The arguments again, with the value of each literal secret= replaced by
 * REPLACE (or kept when REPLACE is 0).  NULL: there is no literal secret. */
static const char *with_secrets(apr_pool_t *p, const char *type,
                                const apr_array_header_t *opts, char replace)
{
    const char *args = quote_word(p, type);
    int i, found = 0;

    for (i = 0; i < opts->nelts; i++) {
        const auth_backend_option *o =
            &APR_ARRAY_IDX(opts, i, auth_backend_option);
        const char *value = o->value;

        if (!strcmp(o->key, "secret") && strlen(value) >= 4
            && strncmp(value, "file:", 5) && strncmp(value, "env:", 4)) {
            found = 1;
            if (replace) {
                char *v = apr_pstrdup(p, value);
                memset(v, replace, strlen(v));
                value = v;
            }
        }
        args = apr_pstrcat(p, args, " ",
                           quote_word(p, apr_pstrcat(p, o->key, "=", value,
                                                     NULL)), NULL);
    }
    return found ? args : NULL;
}

/* option_int, independently: digits only, no overflow, in [MIN, MAX]. */
static int int_ok(const char *s, apr_int64_t min, apr_int64_t max)
{
    apr_uint64_t v = 0;

    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_isdigit(*s) || v > (APR_UINT64_C(0x7fffffffffffffff)
                                     - (apr_uint64_t)(*s - '0')) / 10) {
            return 0;
        }
        v = v * 10 + (*s - '0');
    }
    return (apr_int64_t)v >= min && (apr_int64_t)v <= max;
}

static void check_int(apr_pool_t *p, const char *s)
{
    static const apr_int64_t ranges[][2] = {
        { 0, 1 }, { 1, TOKEN_MAX_LIFETIME }, { 0, APR_INT64_MAX },
    };
    size_t i;

    for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        apr_int64_t v = -1;
        const char *err = option_int(p, "n", s, ranges[i][0], ranges[i][1],
                                     &v);
        FUZZ_ASSERT((err == NULL) == int_ok(s, ranges[i][0], ranges[i][1]),
                    "option_int('%s') in range %d", s, (int)i);
        FUZZ_ASSERT(err || (v >= ranges[i][0] && v <= ranges[i][1]),
                    "option_int gave %" APR_INT64_T_FMT, v);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *args, *type, *log, *plain, *masked, *err_a, *err_b, *log_b;
    apr_array_header_t *opts;
    int strategy, i;

    if (size < 1) {
        return 0;
    }
    fuzz_init();
    apr_pool_create(&p, fuzz_process_pool());
    strategy = data[0] & 1;
    args = fuzz_cstr(p, data + 1, size - 1);

    configure(p, strategy, args, &log);

    check_int(p, args);
    if (!options_parse(fuzz_cmd(p, "AuthBackendStrategy"), args, &type,
                       &opts)) {
        for (i = 0; i < opts->nelts; i++) {
            check_int(p, APR_ARRAY_IDX(opts, i, auth_backend_option).value);
        }
        if ((plain = with_secrets(p, type, opts, 0))) {
            masked = with_secrets(p, type, opts, 'x');
            err_a = configure(p, strategy, plain, &log);
            err_b = configure(p, strategy, masked, &log_b);
            FUZZ_ASSERT(!strcmp(err_a, err_b), "the message shows the "
                        "secret: '%s' / '%s'", err_a, err_b);
            FUZZ_ASSERT(!strcmp(log, log_b), "the log shows the secret");
        }
    }
    apr_pool_destroy(p);
    return 0;
}
