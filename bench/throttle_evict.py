"""How many failed logins for junk user names it takes to push a locked-out
user's counter out of the login throttle's cache (issue #16, item 1).

A private httpd (t/lib/harness.py) throttles user=3/1h address=ADDR/1h
behind mod_remoteip, so that each address is an X-Forwarded-For value.
The victim is locked out, then junk names fail from as many addresses as
the address limit requires (each stays under it), and every STEP junk
failures the victim is tried again: a 429 means the lockout still holds,
a 400 that its counter is gone.  Not part of the test suite.

    /usr/bin/python3 bench/throttle_evict.py [--max 50000] [--step 50]
        [--cache 'shmcb(512000)'] [--address-limit 1000]
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "t", "lib"))

from harness import Httpd, session  # noqa: E402

CONF = """
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy jwt secret=file:@ROOT@/secret
</AuthBackend>
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
@CACHE@
<Location /login>
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthUserFile @ROOT@/users
    AuthBackendLoginThrottle user=3/1h address=@ADDR@/1h
    Require all granted
</Location>
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=50000)
    ap.add_argument("--step", type=int, default=50)
    ap.add_argument("--cache", default="")
    ap.add_argument("--address-limit", type=int, default=1000)
    a = ap.parse_args()
    conf = CONF.replace("@ADDR@", str(a.address_limit)).replace(
        "@CACHE@", "AuthBackendThrottleCache " + a.cache if a.cache else "")
    h = Httpd(conf, modules=["socache_shmcb", "remoteip"],
              loglevel="warn")
    h.write("secret", "evict-secret-0123456789-abcdefghijklmnop", mode=0o600)
    h.write("users", subprocess.run(
        ["htpasswd", "-nbs", "victim", "victim-Pa55"], check=True,
        capture_output=True, text=True).stdout)
    h.start()
    s = session()

    def login(user, address):
        return s.post(h.url("/login"), timeout=30,
                      headers={"X-Forwarded-For": address},
                      data={"username": user, "password": "wrong"}).status_code

    try:
        for _ in range(3):
            assert login("victim", "198.51.100.1") == 400
        assert login("victim", "198.51.100.1") == 429
        per_address = max(1, a.address_limit - 1)
        junk = 0
        while junk < a.max:
            for _ in range(a.step):
                n = junk // per_address
                address = "10.%d.%d.%d" % (n >> 16 & 255, n >> 8 & 255,
                                           n & 255)
                assert login("junk-%d" % junk, address) == 400
                junk += 1
            if login("victim", "198.51.100.2") != 429:
                print("lockout evicted after %d junk failures from %d "
                      "addresses (checked every %d)"
                      % (junk, junk // per_address + 1, a.step))
                return 0
        print("lockout still holds after %d junk failures from %d addresses"
              % (junk, junk // per_address + 1))
        return 0
    finally:
        h.cleanup()


if __name__ == "__main__":
    sys.exit(main())
