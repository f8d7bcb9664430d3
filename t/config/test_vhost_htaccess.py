"""Backends per virtual host, and AuthType backend from .htaccess."""

import pytest

from harness import session
from tokens import fastapi_users_token

MAIN_SECRET = "main-server-secret-0123456789-abcdefgh"
VHOST_SECRET = "virtual-host-secret-0123456789-abcdef"


@pytest.fixture(scope="module")
def server(httpd_factory):
    conf = """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/main-secret
</AuthBackend>
<AuthBackend shared>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/main-secret audience=shared
</AuthBackend>

<VirtualHost *:@PORT@>
    ServerName main.test
    DocumentRoot @ROOT@/htdocs
    <Location /p>
        AuthType backend
        AuthName p
        AuthBackendProvider api
        Require valid-user
    </Location>
</VirtualHost>

<VirtualHost *:@PORT@>
    ServerName other.test
    DocumentRoot @ROOT@/htdocs
    # overrides the main server's "api"; "shared" is inherited
    <AuthBackend api>
        AuthBackendTransport bearer
        AuthBackendStrategy jwt secret=file:@ROOT@/vhost-secret
    </AuthBackend>
    <Location /p>
        AuthType backend
        AuthName p
        AuthBackendProvider api
        Require valid-user
    </Location>
    <Location /s>
        AuthType backend
        AuthName s
        AuthBackendProvider shared
        Require valid-user
    </Location>
</VirtualHost>

<Directory @ROOT@/htdocs/ht>
    AllowOverride AuthConfig
</Directory>
AliasMatch "^/(p|s)/(.*)$" "@ROOT@/htdocs/$2"
"""
    h = httpd_factory(conf, start=False)
    h.write("main-secret", MAIN_SECRET, mode=0o600)
    h.write("vhost-secret", VHOST_SECRET, mode=0o600)
    h.write("htdocs/ht/good/.htaccess",
            "AuthType backend\nAuthName ht\nAuthBackendProvider api\n"
            "Require valid-user\n")
    h.write("htdocs/ht/good/data.json", '{"ht":1}\n')
    h.write("htdocs/ht/bad/.htaccess",
            "AuthType backend\nAuthName ht\nAuthBackendProvider nosuch\n"
            "Require valid-user\n")
    h.write("htdocs/ht/bad/data.json", '{"ht":2}\n')
    return h.start()


def get(server, host, path, secret=None, **kw):
    headers = {"Host": host}
    if secret:
        headers["Authorization"] = "Bearer " + fastapi_users_token(secret,
                                                                   **kw)
    return session().get(server.url(path), headers=headers, timeout=10)


def test_each_virtual_host_uses_its_own_backend(server):
    assert get(server, "main.test", "/p/data.json", MAIN_SECRET) \
        .status_code == 200
    assert get(server, "main.test", "/p/data.json", VHOST_SECRET) \
        .status_code == 401
    assert get(server, "other.test", "/p/data.json", VHOST_SECRET) \
        .status_code == 200
    assert get(server, "other.test", "/p/data.json", MAIN_SECRET) \
        .status_code == 401


def test_virtual_host_inherits_the_main_servers_backends(server):
    assert get(server, "other.test", "/s/data.json", MAIN_SECRET,
               audience="shared").status_code == 200


def test_htaccess_can_protect_a_directory(server):
    assert get(server, "main.test", "/ht/good/data.json").status_code == 401
    r = get(server, "main.test", "/ht/good/data.json", MAIN_SECRET)
    assert r.status_code == 200
    assert r.json() == {"ht": 1}


def test_htaccess_naming_an_unknown_backend_fails_closed(server):
    mark = server.log_mark()
    r = get(server, "main.test", "/ht/bad/data.json", MAIN_SECRET)
    assert r.status_code == 500
    assert "unknown backend 'nosuch'" in server.log_since(mark, "nosuch")
