/* Licensed under the Apache License, Version 2.0 (the "License"); see LICENSE.
 *
 * support.c — the process-wide fixture of the fuzz harnesses: a server with
 * this module's configuration, requests and subrequests, cmd_parms for the
 * directive handlers, backends defined through those handlers, and a
 * sandbox with the key files that options may name.
 */

#include "fuzz.h"

#include "ap_provider.h"
#include "http_core.h"
#include "http_protocol.h"
#include "apr_buckets.h"
#include "apr_file_io.h"
#include "apr_lib.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

/* The module record, as mod_auth_backend.c declares it; the fuzz build has
 * one module, at index 0. */
module AP_MODULE_DECLARE_DATA auth_backend_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL, NULL, AP_MODULE_FLAG_NONE
};

static apr_pool_t *process_pool;
static server_rec *server;
static char sandbox[256];

static const char *const sandbox_files[] = {
    "secret.txt", "secret512.txt", "rsa.pem", "rsa-pub.pem", "ec256.pem",
    "ec256-pub.pem", NULL
};

apr_pool_t *fuzz_process_pool(void)
{
    return process_pool;
}

const char *fuzz_sandbox(void)
{
    return sandbox;
}

char *fuzz_cstr(apr_pool_t *p, const uint8_t *data, size_t size)
{
    return apr_pstrmemdup(p, (const char *)data, size);
}

/* ---- the key sandbox ---------------------------------------------------------- */

static void sandbox_remove(void)
{
    int i;

    for (i = 0; sandbox_files[i]; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", sandbox, sandbox_files[i]);
        unlink(path);
    }
    rmdir(sandbox);
}

static FILE *sandbox_open(const char *name)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", sandbox, name);
    if (!(f = fopen(path, "w"))) {
        perror(path);
        abort();
    }
    return f;
}

static void write_secret(const char *name, const char *secret)
{
    FILE *f = sandbox_open(name);

    fprintf(f, "%s\n", secret);
    fclose(f);
}

static void write_key_pair(const char *priv_name, const char *pub_name,
                           EVP_PKEY *k)
{
    FILE *f;

    if (!k) {
        fprintf(stderr, "fuzz: cannot generate a key\n");
        abort();
    }
    f = sandbox_open(priv_name);
    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    f = sandbox_open(pub_name);
    PEM_write_PUBKEY(f, k);
    fclose(f);
    EVP_PKEY_free(k);
}

static void sandbox_create(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(sandbox, sizeof(sandbox), "%s/auth-backend-fuzz.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(sandbox)) {
        perror("mkdtemp");
        abort();
    }
    atexit(sandbox_remove);
    write_secret("secret.txt", FUZZ_SECRET);
    write_secret("secret512.txt", FUZZ_SECRET512);
    write_key_pair("rsa.pem", "rsa-pub.pem",
                   EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
    write_key_pair("ec256.pem", "ec256-pub.pem",
                   EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
}

/* ---- server, requests, directives --------------------------------------------- */

void fuzz_register_providers(void)
{
    builtin_providers_register(process_pool);
}

void fuzz_init(void)
{
    void **vector;

    if (process_pool) {
        return;
    }
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&process_pool, NULL);
    auth_backend_module.module_index = 0;

    server = apr_pcalloc(process_pool, sizeof(*server));
    server->process = NULL;
    server->server_hostname = "localhost";
    server->port = 80;
    server->defn_name = "fuzz.conf";
    server->defn_line_number = 1;
    /* every log line is formatted (see stubs.c) */
    server->log.level = APLOG_TRACE8;
    vector = apr_pcalloc(process_pool, sizeof(void *));
    vector[0] = config_create_server(process_pool, server);
    server->module_config = (ap_conf_vector_t *)vector;
    server->lookup_defaults = NULL;
    server->timeout = apr_time_from_sec(60);

    sandbox_create();
    fuzz_register_providers();
}

request_rec *fuzz_request(apr_pool_t *p)
{
    request_rec *r = apr_pcalloc(p, sizeof(*r));
    conn_rec *c = apr_pcalloc(p, sizeof(*c));
    void **dir = apr_pcalloc(p, sizeof(void *));

    c->pool = p;
    c->base_server = server;
    c->bucket_alloc = apr_bucket_alloc_create(p);
    c->client_ip = "127.0.0.1";
    c->keepalive = AP_CONN_UNKNOWN;
    c->conn_config = (ap_conf_vector_t *)apr_pcalloc(p, sizeof(void *));

    r->pool = p;
    r->connection = c;
    r->server = server;
    r->request_time = apr_time_now();
    r->the_request = "GET / HTTP/1.1";
    r->protocol = "HTTP/1.1";
    r->proto_num = HTTP_VERSION(1, 1);
    r->hostname = "localhost";
    r->method = "GET";
    r->method_number = M_GET;
    r->uri = "/";
    r->unparsed_uri = "/";
    r->filename = NULL;
    r->useragent_ip = "127.0.0.1";
    r->headers_in = apr_table_make(p, 8);
    r->headers_out = apr_table_make(p, 4);
    r->err_headers_out = apr_table_make(p, 4);
    r->subprocess_env = apr_table_make(p, 4);
    r->notes = apr_table_make(p, 4);
    r->request_config = (ap_conf_vector_t *)apr_pcalloc(p, sizeof(void *));
    dir[0] = config_create_dir(p, NULL);
    r->per_dir_config = (ap_conf_vector_t *)dir;
    return r;
}

auth_backend_dir_conf *fuzz_dir_conf(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &auth_backend_module);
}

request_rec *fuzz_subrequest(request_rec *r)
{
    request_rec *sub = apr_pmemdup(r->pool, r, sizeof(*r));

    sub->main = r;
    sub->prev = sub->next = NULL;
    sub->headers_in = apr_table_copy(r->pool, r->headers_in);
    sub->headers_out = apr_table_make(r->pool, 4);
    sub->err_headers_out = apr_table_make(r->pool, 4);
    sub->notes = apr_table_make(r->pool, 4);
    sub->request_config = (ap_conf_vector_t *)apr_pcalloc(r->pool,
                                                          sizeof(void *));
    return sub;
}

cmd_parms *fuzz_cmd(apr_pool_t *p, const char *name)
{
    cmd_parms *cmd = apr_pcalloc(p, sizeof(*cmd));
    command_rec *rec = apr_pcalloc(p, sizeof(*rec));
    ap_directive_t *d = apr_pcalloc(p, sizeof(*d));

    rec->name = name;
    d->directive = name;
    d->filename = "fuzz.conf";
    d->line_num = 1;
    cmd->cmd = rec;
    cmd->directive = d;
    cmd->pool = p;
    cmd->temp_pool = p;
    cmd->server = server;
    cmd->override = OR_AUTHCFG | ACCESS_CONF;
    return cmd;
}

auth_backend *fuzz_backend(const char *name, const char *transport,
                           const char *strategy)
{
    auth_backend_server_conf *sconf =
        ap_get_module_config(server->module_config, &auth_backend_module);
    auth_backend *be = apr_pcalloc(process_pool, sizeof(*be));
    auth_backend_dir_conf *section = config_create_dir(process_pool, NULL);
    const char *err;

    be->name = name;
    be->server = server;
    be->defined_in = "fuzz.conf:1";
    section->section = be;
    if ((err = cmd_transport(fuzz_cmd(process_pool, "AuthBackendTransport"),
                             section, transport))
        || (err = cmd_strategy(fuzz_cmd(process_pool, "AuthBackendStrategy"),
                               section, strategy))) {
        fprintf(stderr, "fuzz: backend %s: %s\n", name, err);
        abort();
    }
    if (be->strategy->child_init) {
        be->strategy->child_init(process_pool, server, be);
    }
    apr_hash_set(sconf->backends, name, APR_HASH_KEY_STRING, be);
    return be;
}

/* ---- oracles -------------------------------------------------------------------- */

int fuzz_percent_decode(char *s, int form)
{
    char *in = s, *out = s;
    int n = 0;

    while (*in) {
        if (*in == '%' && apr_isxdigit(in[1]) && apr_isxdigit(in[2])) {
            char h[3] = { in[1], in[2], 0 };
            if (!(*out++ = (char)strtol(h, NULL, 16))) {
                return -1;
            }
            in += 3;
            n++;
        }
        else if (form && *in == '+') {
            *out++ = ' ';
            in++;
        }
        else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return n;
}

static int path_form_is_safe(const char *s)
{
    if (s[0] != '/' || s[1] == '/' || s[1] == '\\') {
        return 0;
    }
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\') {
            return 0;
        }
    }
    return 1;
}

int fuzz_path_is_safe(apr_pool_t *p, const char *s)
{
    char *copy = apr_pstrdup(p, s);
    int n;

    /* each decoding that decodes something shortens the string */
    do {
        if (!path_form_is_safe(copy)) {
            return 0;
        }
    } while ((n = fuzz_percent_decode(copy, 0)) > 0);
    return n == 0;          /* -1: it decodes to a NUL */
}
