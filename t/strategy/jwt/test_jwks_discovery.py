"""discovery=: the key set found through an OpenID Provider's metadata
(OpenID Connect Discovery 1.0), as Keycloak, Entra ID, Auth0 or Google
publish it.  Two local HTTPS servers with the test CA: one serves the
metadata at ISSUER/.well-known/openid-configuration, the other the key
set its jwks_uri names."""

import json

import pytest

import conf
from config_check import assert_syntax_error, line_of
from harness import Httpd, session
from jwks_server import JwksServer, Key, TestCA
from wait import wait_until

SUFFIX = "/.well-known/openid-configuration"


@pytest.fixture(scope="module")
def ca():
    c = TestCA()
    yield c
    c.cleanup()


@pytest.fixture
def made():
    things = []
    yield things
    for t in things:
        t.stop() if isinstance(t, JwksServer) else t.cleanup()


def provider(ca, made, *keys):
    """(issuer, metadata server, key-set server)."""
    keyset = JwksServer(ca, keys=keys).start()
    meta = JwksServer(ca, path="/realms/main" + SUFFIX, document={})
    meta.start()
    made += [keyset, meta]
    issuer = meta.url[:-len(SUFFIX)]
    meta.set_document({"issuer": issuer, "jwks_uri": keyset.url,
                       "id_token_signing_alg_values_supported": ["RS256"]})
    return issuer, meta, keyset


def start(ca, made, meta, extra=""):
    text = conf.backend("idp", "jwt discovery=%s jwks-ca=file:%s "
                        "jwks-refresh=2 jwks-min-refresh=1 jwks-timeout=2 %s"
                        % (meta.url, ca.ca_cert, extra))
    text += conf.location("/p", "idp", name="p")
    text += 'AliasMatch "^/p/(.*)$" "@ROOT@/htdocs/$1"\n'
    h = Httpd(text)
    made.append(h)
    return h.start()


def status(h, token):
    return session().get(h.url("/p/data.json"), timeout=15, headers={
        "Authorization": "Bearer " + token}).status_code


def wait_status(h, token, expected, what):
    wait_until(lambda: status(h, token) == expected, 10, 0.2, what)


def test_key_set_and_issuer_come_from_the_metadata(ca, made):
    k1 = Key.rsa("k1", alg="RS256")
    issuer, meta, keyset = provider(ca, made, k1)
    h = start(ca, made, meta)
    wait_status(h, k1.token(iss=issuer), 200, "a token of the issuer")
    assert meta.hits >= 1 and keyset.hits >= 1
    # the issuer is required and checked, as if issuer= had been given
    assert status(h, k1.token()) == 401
    assert status(h, k1.token(iss=issuer + "/other")) == 401
    # rotation through the metadata's key set
    k2 = Key.rsa("k2", alg="RS256")
    keyset.set_keys(k1, k2)
    wait_status(h, k2.token(iss=issuer), 200, "the new kid after rotation")


def test_metadata_naming_another_issuer_is_not_used(ca, made):
    k1 = Key.rsa("k1", alg="RS256")
    issuer, meta, keyset = provider(ca, made, k1)
    meta.set_document({"issuer": "https://evil.example", "jwks_uri":
                       keyset.url})
    h = start(ca, made, meta)
    mark = h.log_mark()
    wait_until(lambda: "names another issuer" in h.log_since(mark), 10,
               0.2, "the fetch refused for the wrong issuer")
    assert status(h, k1.token(iss=issuer)) == 503
    assert keyset.hits == 0
    # fixed metadata: the keys arrive without a restart
    meta.set_document({"issuer": issuer, "jwks_uri": keyset.url})
    wait_status(h, k1.token(iss=issuer), 200, "after the metadata is fixed")


@pytest.mark.parametrize("doc,reason", [
    ({"issuer": None}, "names another issuer"),
    ({"jwks_uri": "http://127.0.0.1:1/keys"}, "no https:// jwks_uri"),
    ({"jwks_uri": None}, "no https:// jwks_uri"),
    ("not json", "not a JSON object"),
])
def test_bad_metadata_keeps_the_last_good_set(ca, made, doc, reason):
    k1 = Key.rsa("k1", alg="RS256")
    issuer, meta, keyset = provider(ca, made, k1)
    h = start(ca, made, meta)
    good = meta.document
    wait_status(h, k1.token(iss=issuer), 200, "the first fetch")
    mark = h.log_mark()
    if isinstance(doc, dict):
        bad = json.loads(good)
        for k, v in doc.items():
            if v is None:
                bad.pop(k)
            else:
                bad[k] = v
        meta.set_document(bad)
    else:
        meta.set_document(doc)
    wait_until(lambda: reason in h.log_since(mark), 10, 0.2,
               "a warn line: " + reason)
    assert "the last good key set stays in use" in h.log_since(mark)
    assert status(h, k1.token(iss=issuer)) == 200


@pytest.mark.parametrize("options,reasons", [
    ("discovery=https://sso.example/realms/x",
     ["discovery takes the https:// URL of an OpenID Provider's metadata"]),
    ("discovery=http://sso.example/realms/x" + SUFFIX,
     ["discovery takes an https:// URL"]),
    ("discovery=https://sso.example/x%s jwks=https://sso.example/k"
     % SUFFIX, ["give jwks= or discovery=, not both"]),
    ("discovery=https://sso.example/x%s issuer=https://other.example"
     % SUFFIX, ["is not the issuer that discovery= names"]),
    ("discovery=https://sso.example/x%s secret=file:/etc/hostname"
     % SUFFIX, ["discovery= takes the place of secret="]),
])
def test_config_errors(httpd_config, options, reasons):
    h = httpd_config(conf.backend("idp", "jwt " + options)
                     + conf.location("/p", "idp", name="p"))
    assert_syntax_error(h, line_of(h, "AuthBackendStrategy"), *reasons)
