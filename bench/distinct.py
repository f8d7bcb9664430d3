"""The many-distinct-tokens mode of bench.py (`--distinct N`).

Real traffic comes from many clients, each with its own token: a benchmark
that repeats one token measures the per-process cache, not verification.
Here every JWT location gets N distinct valid tokens (PyJWT, one `sub` per
token), written one a line to a file, and a wrk Lua script sends the next
one on every request (each wrk thread starts at its own offset).  With N
larger than the location's `cache=` (1024 by default, direct-mapped, one
table per child process) practically every request is a cache miss: between
two uses of a token, N - 1 others pass through the same 1024 slots.

The forged locations use the same backends as their valid siblings, with N
tokens signed by another key of the same kind: each is refused (401) after
a full signature check, which is what a flood of garbage tokens costs.
mod_auth_openidc (`AuthType oauth20`) checks the very same token files.

`openssl speed` measures the verify cost of each key kind in every round,
so that the module's extra CPU per request can be compared with the
physical limit of the machine at that moment.
"""

import json
import os
import re
import subprocess
import textwrap
import time
import uuid

import jwt  # PyJWT, as fastapi-users makes its tokens
from cryptography.hazmat.primitives import serialization

AUDIENCE = ["fastapi-users:auth"]
# far enough in the future for the longest run, and the same for all
LIFETIME = 2 * 86400

# openssl speed's name of a key kind, and the label of its line
SPEED = {"rsa2048": r"rsa 2048 bits", "ecdsap256": r"ecdsa \(nistp256\)",
         "ed25519": r"EdDSA \(Ed25519\)"}

# Token sets: algorithm and the key file (in the work directory) they are
# signed with; None is the HS256 secret.  "forged-*" are signed by a key the
# server does not know, of the same kind as the valid set's.
TOKEN_SETS = {
    "hs256": ("HS256", None),
    "rs256": ("RS256", "rsa.key"),
    "ps256": ("PS256", "rsa.key"),
    "es256": ("ES256", "ec.key"),
    "eddsa": ("EdDSA", "ed.key"),
    "forged-rs256": ("RS256", "rsa-forged.key"),
    "forged-es256": ("ES256", "ec-forged.key"),
    # RS256 with a kid, for the key-set backend (jwks=file:)
    "rs256-kid": ("RS256", "rsa.key"),
    # HS256 naming the 38th of fifty issuers (issuer routing)
    "hs256-iss": ("HS256", None),
}
ISSUERS = 50
ROUTED_ISSUER = "https://idp37.example"
JWKS_KID = "bench-rs256"

# the extra keys this mode needs beyond bench.py's rsa.key and ec.key
KEYS = {
    "ed.key": "-algorithm ED25519",
    "rsa-forged.key": "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
    "ec-forged.key": "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
}

LUA = """-- bench.py --distinct: one token of %(file)s per request, in turn;
-- each of the %(threads)d wrk threads starts at its own offset.
local file, nthreads = "%(file)s", %(threads)d
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
end

function init(args)
   -- whole requests made once, so that wrk's per-request Lua work is
   -- a table read, the same for every location
   reqs = {}
   for line in io.lines(file) do
      reqs[#reqs + 1] = wrk.format(nil, nil,
                                   {Authorization = "Bearer " .. line})
   end
   n = #reqs
   i = math.floor(id * n / nthreads)
end

function request()
   i = i %% n + 1
   return reqs[i]
end
"""


def make_keys(work, sh):
    for name, opts in KEYS.items():
        sh("openssl genpkey %s -out %s/%s 2>/dev/null" % (opts, work, name))
        os.chmod(os.path.join(work, name), 0o600)
    # mod_auth_openidc 2.4.12 takes RSA verification keys as X.509
    # certificates (OIDCOAuthVerifyCertFiles)
    sh("openssl req -x509 -new -key %s/rsa.key -subj /CN=bench -days 3 "
       "-out %s/rsa.crt 2>/dev/null" % (work, work))


def make_tokens(work, name, n, secret, threads):
    """N distinct tokens of set NAME in WORK/tokens-NAME.txt, and the wrk
    script that cycles through them; returns the script's path."""
    algorithm, key_file = TOKEN_SETS[name]
    if key_file:
        with open(os.path.join(work, key_file), "rb") as f:
            # a key object, not the PEM: PyJWT would parse a PEM per token
            key = serialization.load_pem_private_key(f.read(), None)
    else:
        key = secret
    started = time.time()
    exp = int(started) + LIFETIME
    path = os.path.join(work, "tokens-%s.txt" % name)
    seen = set()
    with open(path, "w") as f:
        for _ in range(n):
            payload = {"sub": str(uuid.uuid4()), "aud": AUDIENCE,
                       "exp": exp}
            if name == "hs256-iss":
                payload["iss"] = ROUTED_ISSUER
            token = jwt.encode(payload, key, algorithm=algorithm,
                               headers={"kid": JWKS_KID}
                               if name.endswith("-kid") else None)
            seen.add(token)
            f.write(token + "\n")
    if len(seen) != n:
        raise SystemExit("tokens-%s: %d tokens, %d distinct"
                         % (name, n, len(seen)))
    print("made %d %s tokens (%s) in %.1f s"
          % (n, name, algorithm, time.time() - started), flush=True)
    script = os.path.join(work, "cycle-%s.lua" % name)
    with open(script, "w") as f:
        f.write(LUA % {"file": path, "threads": threads})
    return script


def sample_tokens(work, name):
    """The first, a middle and the last token of a set, for the checks."""
    with open(os.path.join(work, "tokens-%s.txt" % name)) as f:
        tokens = f.read().split()
    return [tokens[0], tokens[len(tokens) // 2], tokens[-1]]


def openssl_verify_us():
    """Verify cost in µs of RSA-2048, ECDSA P-256 and Ed25519, one core,
    by `openssl speed` (about 6 s); {} where it cannot be read."""
    out = subprocess.run(["openssl", "speed", "-seconds", "1"] + list(SPEED),
                         capture_output=True, text=True).stdout
    found = {}
    for kind, label in SPEED.items():
        m = re.search(label + r".*?\s([\d.]+)\s*$", out, re.M)
        if m and float(m.group(1)) > 0:
            found[kind] = 1e6 / float(m.group(1))
    return found


def jwks_locations(work, Location):
    """A key-set backend: WORK/jwks.json holds rsa.key's public half with a
    kid and four other keys (a provider publishes several), and the tokens
    name the kid."""
    from jwcrypto import jwk     # python3-jwcrypto (deps.sh test)
    with open(os.path.join(work, "rsa.key"), "rb") as f:
        mine = jwk.JWK.from_pem(f.read())
    keys = [dict(json.loads(mine.export_public()), kid=JWKS_KID,
                 alg="RS256", use="sig")]
    for i in range(4):
        other = jwk.JWK.generate(kty="RSA", size=2048)
        keys.append(dict(json.loads(other.export_public()),
                         kid="other-%d" % i, alg="RS256", use="sig"))
    with open(os.path.join(work, "jwks.json"), "w") as f:
        json.dump({"keys": keys}, f)
    return [Location("jwt-jwks", "bearer",
                     "jwt jwks=file:%s/jwks.json" % work,
                     tokens="rs256-kid", verify="rsa2048",
                     target=("cpu_x", 1.5))]


def issuer_locations(Location):
    """Fifty HS256 backends of distinct issuers behind one location: a
    token goes to its issuer's backend only (src/authn/route.c), so this
    should cost what /jwt-hs256 does.  They share the secret: were the
    backends tried one by one, each before idp37 would check the
    signature, and it would show."""
    names = ["iss%02d" % i for i in range(ISSUERS)]

    class Issuers(Location):
        def conf(self):
            text = "".join(
                "<AuthBackend %s>\n    AuthBackendTransport bearer\n"
                "    AuthBackendStrategy jwt secret=file:@ROOT@/secret "
                "issuer=https://idp%02d.example\n</AuthBackend>\n" % (n, i)
                for i, n in enumerate(names))
            return text + ("<Location /%s>\n    AuthName bench\n"
                           "    AuthType backend\n"
                           "    AuthBackendProvider %s\n"
                           "    Require valid-user\n</Location>\n"
                           % (self.name, " ".join(names)))

    return [Issuers("jwt-50-issuers", tokens="hs256-iss",
                    target=("cpu_abs", 5.0))]


def locations(work, Location, peer_so):
    """The locations of this mode: each names its token set, the status
    its tokens get, and the openssl verify cost it compares with.  The
    forged ones are served by the backends of their valid siblings."""
    bearer = "bearer"
    locs = [
        Location("open", tokens="rs256"),   # ignores them: same wrk work
        Location("jwt-hs256", bearer, "jwt secret=file:@ROOT@/secret",
                 tokens="hs256", target=("cpu_abs", 5.0)),
        Location("jwt-rs256", bearer,
                 "jwt algorithm=RS256 private-key=file:%s/rsa.key" % work,
                 tokens="rs256", verify="rsa2048", target=("cpu_x", 1.5)),
        Location("jwt-ps256", bearer,
                 "jwt algorithm=PS256 private-key=file:%s/rsa.key" % work,
                 tokens="ps256", verify="rsa2048", target=("cpu_x", 1.5)),
        Location("jwt-es256", bearer,
                 "jwt algorithm=ES256 private-key=file:%s/ec.key" % work,
                 tokens="es256", verify="ecdsap256", target=("cpu_x", 1.3)),
        Location("jwt-eddsa", bearer,
                 "jwt algorithm=EdDSA private-key=file:%s/ed.key" % work,
                 tokens="eddsa", verify="ed25519", target=("cpu_x", 1.3)),
        Location("forged-rs256", uses="jwt-rs256", tokens="forged-rs256",
                 status=401, verify="rsa2048",
                 target=("le_valid", "jwt-rs256")),
        Location("forged-es256", uses="jwt-es256", tokens="forged-es256",
                 status=401, verify="ecdsap256",
                 target=("le_valid", "jwt-es256")),
    ]
    locs += jwks_locations(work, Location)
    locs += issuer_locations(Location)
    if os.path.exists(peer_so):
        oauth = "    AuthType oauth20\n"
        locs += [
            Location("peer-openidc", auth=oauth, tokens="hs256"),
            Location("peer-openidc-rs256", auth=oauth, tokens="rs256",
                     verify="rsa2048"),
            Location("peer-openidc-forged-rs256", auth=oauth,
                     tokens="forged-rs256", status=401, verify="rsa2048"),
        ]
    return locs


def openidc_conf(work):
    """What the peer needs beyond its HS256 shared key: the RSA key of
    /jwt-rs256, as a certificate (the forged set's key is not there)."""
    return "OIDCOAuthVerifyCertFiles %s/rsa.crt\n" % work


# ---- report -------------------------------------------------------------------

def verdict(l, cpu_above, cpu_x, ratio, by_name):
    """The issue's target for this location and whether this run met it
    (a figure, never a failure)."""
    kind, value = l.target or (None, None)
    if kind == "cpu_abs":
        return "≤ +%g µs, ≥ 0.93: %s" % (value, "yes" if cpu_above <= value
                                         and ratio >= 0.93 else "no")
    if kind == "cpu_x" and cpu_x is not None:
        text = "≤ %g× verify" % value
        ok = cpu_x <= value
        if value == 1.5:
            text += ", ≥ 0.70"
            ok = ok and ratio >= 0.70
        return "%s: %s" % (text, "yes" if ok else "no")
    if kind == "le_valid" and value in by_name:
        return "≤ /%s (%+.1f µs): %s" % (value, by_name[value],
                                        "yes" if cpu_above <= by_name[value]
                                        else "no")
    return "—"


def table(locs, rounds, memory, med):
    """The side-by-side table of one run."""
    rows = ["| location | tokens | status | req/s | ratio to /open | "
            "httpd CPU µs/request | above /open | openssl verify µs | "
            "above / verify | target (this run) | RSS growth |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    above = {l.name: med(m["cpu_above"] for m in rounds[l.name])
             for l in locs}
    for l in locs:
        ms = rounds[l.name]
        ratio = med(m["ratio"] for m in ms)
        verify = [m["verify_us"] for m in ms if m.get("verify_us")]
        cpu_x = [m["cpu_above"] / m["verify_us"] for m in ms
                 if m.get("verify_us")]
        cpu_x = med(cpu_x) if cpu_x else None
        n, grow = memory[l.name]
        rows.append(
            "| /%s | %s | %d | %.0f | %.2f | %.1f | %+.1f | %s | %s | %s | "
            "%+d KB / %dk req |"
            % (l.name, l.tokens, l.status, med(m["rps"] for m in ms), ratio,
               med(m["cpu_us"] for m in ms), above[l.name],
               "%.1f (%s)" % (med(verify), l.verify) if verify else "—",
               "%.2f×" % cpu_x if cpu_x is not None else "—",
               verdict(l, above[l.name], cpu_x, ratio, above), grow,
               n // 1000))
    return "\n".join(rows)


def section(table_text, args, command, cache_note, when, machine):
    return """## Many distinct tokens

Written by `bench/run.sh %s` on %s.

- Machine: %s
- Load: as above (wrk, 2 threads, %d connections, %d s per run, %d rounds,
  `/open` before and after every location), but every request carries the
  next of %d distinct tokens of its location's set, cycled by a wrk Lua
  script (`bench/distinct.py`); each wrk thread starts at its own offset.
  `/open` gets the RS256 set too (it ignores it), so that wrk's work per
  request and the request size match.
- %s
- Forged locations are served by the same backends as `/jwt-rs256` and
  `/jwt-es256`; their tokens are signed by another key of the same kind,
  and every one is refused with 401 after a full signature check: the cost
  of an attack. A run counts any other status as an error (`!N`).
- mod_auth_openidc (`AuthType oauth20`) checks the same token files:
  `/peer-openidc` the HS256 set (`OIDCOAuthVerifySharedKeys`),
  `/peer-openidc-rs256` the RS256 set and `/peer-openidc-forged-rs256` the
  forged RS256 set (`OIDCOAuthVerifyCertFiles`, the certificate of
  `/jwt-rs256`'s key).
- openssl verify µs: `openssl speed -seconds 1 rsa2048 ecdsap256 ed25519`
  at the start of every round, one core (PS256 is compared with the RSA
  figure, which is PKCS#1 v1.5: the public-key operation is the same);
  "above / verify" is the location's httpd CPU above `/open` divided by
  that round's verify cost (median over rounds).
  Targets (issue 15): HS256 ≤ +5 µs and ≥ 0.93; RS256/PS256 ≤ 1.5× the RSA
  verify and ≥ 0.70; ES256 and EdDSA ≤ 1.3× their verify; forged ≤ valid
  of the same algorithm; RSS growth < 1 MB over 200k requests.
- RSS growth: children's resident memory before and after about %d
  requests to that location alone (`--memory-requests`), cycling its
  tokens, after the rounds filled the caches.

%s
""" % (command, when, machine, args.connections, args.seconds,
       args.rounds, args.distinct,
       textwrap.fill(cache_note, 76, subsequent_indent="  "),
       args.memory_requests, table_text)


def cache_note(n, cache):
    if cache == 0:
        return ("`cache=0` on the module's jwt locations (`--jwt-cache 0`): "
                "the cache is off.")
    text = ("`cache=` of the module's jwt locations: %s per child; "
            % ("the default, 1024," if cache is None else cache))
    size = 1024 if cache is None else cache
    if n > 8 * size:
        return text + ("%d tokens cycled in turn pass %d others through its "
                       "%d direct-mapped slots between two uses of a token, "
                       "so it practically never answers." % (n, n - 1, size))
    return text + ("WARNING: with only %d tokens some requests may be "
                   "answered from it (give more than %d tokens, or "
                   "`--jwt-cache 0`)." % (n, 8 * size))
