#!/bin/sh
# The demo, from a clean clone on Debian 12, as root: installs what it
# needs, builds the module and runs a private httpd on 127.0.0.1:8088 in the
# foreground (Ctrl-C stops it; DEMO_PORT=N for another port, DEMO_DIR for
# another directory) with a JWT + Bearer backend, a user in an
# htpasswd file, a protected location and the login and logout endpoints,
# and for browsers a cookie backend, an HTML login page and a protected page.
set -eu
cd "$(dirname "$0")/.."
REPO=$(pwd)
PORT=${DEMO_PORT-8088}
D=${DEMO_DIR:-/tmp/mod_auth_backend-demo}
MODS=/usr/lib/apache2/modules

scripts/deps.sh demo
# a port that something else holds would only show as httpd's bind error
# after the instructions: say so first, before building
case "$PORT" in
    ''|*[!0-9]*) port_ok=0 ;;
    *) [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] && port_ok=1 || port_ok=0 ;;
esac
if [ "$port_ok" = 0 ]; then
    echo "demo: DEMO_PORT='$PORT' is not a port number (1-65535)" >&2
    exit 2
fi
rc=0
curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/" || rc=$?
if [ "$rc" != 7 ]; then
    echo "demo: port $PORT on 127.0.0.1 is already in use (another demo," \
         "or another server); choose another with DEMO_PORT, e.g." \
         "DEMO_PORT=$(( PORT % 65535 + 1 )) $0" >&2
    exit 1
fi
scripts/build.sh

rm -rf "$D"
mkdir -p "$D/run" "$D/logs" "$D/htdocs/api" "$D/cgi"
# the browser pages: the login form and the protected page
cp -R scripts/demo-site/. "$D/htdocs/"
chmod -R u=rwX,go=rX "$D"
# the signing secret: root-only, read by httpd while it is still root
( umask 077; openssl rand -hex 32 > "$D/jwt.secret" )
htpasswd -bcB "$D/users.htpasswd" demo demo-password 2>/dev/null
chmod 644 "$D/users.htpasswd"
printf '{"message":"hello from a protected location"}\n' > "$D/htdocs/api/hello.json"
cat > "$D/cgi/whoami" <<'CGI'
#!/bin/sh
printf 'Content-Type: application/json\n\n'
printf '{"REMOTE_USER":"%s","AUTH_TYPE":"%s","AUTH_BACKEND":"%s"}\n' \
    "$REMOTE_USER" "$AUTH_TYPE" "$AUTH_BACKEND"
CGI
chmod 755 "$D/cgi/whoami"
# the SQLite token database: created by httpd's children (www-data)
mkdir -p "$D/db"
[ "$(id -u)" = 0 ] && chown www-data:www-data "$D/db"
[ "$(id -u)" = 0 ] && USER_LINES="User www-data
Group www-data" || USER_LINES=""

cat > "$D/httpd.conf" <<CONF
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authn_file_module $MODS/mod_authn_file.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule authz_user_module $MODS/mod_authz_user.so
LoadModule alias_module $MODS/mod_alias.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule dir_module $MODS/mod_dir.so
LoadModule cgid_module $MODS/mod_cgid.so
LoadModule dbd_module $MODS/mod_dbd.so
LoadModule auth_backend_module $REPO/_build/.libs/mod_auth_backend.so

ServerRoot $D
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile $D/run/httpd.pid
DefaultRuntimeDir $D/run
Mutex file:$D/run default
ScriptSock $D/run/cgisock
ErrorLog /dev/stderr
LogLevel warn auth_backend:info
TransferLog /dev/stdout
TypesConfig /etc/mime.types
$USER_LINES
DocumentRoot $D/htdocs
<Directory />
    Require all denied
</Directory>
<Directory $D/htdocs>
    Require all granted
</Directory>

# A backend: the token travels in "Authorization: Bearer", and is a JWT
# signed with HS256, exactly as fastapi-users' JWTStrategy makes it.
<AuthBackend api>
    AuthBackendTransport bearer
    AuthBackendStrategy  jwt secret=file:$D/jwt.secret lifetime=3600
</AuthBackend>

# Protected: needs a valid token.
<Location /api>
    AuthType backend
    AuthName "demo api"
    AuthBackendProvider api
    Require valid-user
</Location>
ScriptAlias /api/whoami $D/cgi/whoami
<Directory $D/cgi>
    Require all granted
</Directory>

# POST username + password (checked against the htpasswd file) -> token
<Location /auth/jwt/login>
    SetHandler auth-backend-login
    AuthBackendProvider api
    AuthBackendLoginProvider file
    AuthUserFile $D/users.htpasswd
    Require all granted
</Location>

<Location /auth/jwt/logout>
    SetHandler auth-backend-logout
    AuthBackendProvider api
    Require all granted
</Location>

# Opaque tokens in an SQLite file through mod_dbd, in fastapi-users'
# accesstoken table (created at startup): unlike a JWT, logout revokes them.
DBDriver sqlite3
DBDParams "$D/db/tokens.sqlite"
<AuthBackend db>
    AuthBackendTransport bearer
    AuthBackendStrategy  dbd create-table=on lifetime=3600 purge-interval=600
</AuthBackend>
<Location /db>
    AuthType backend
    AuthName "demo db"
    AuthBackendProvider db
    Require valid-user
</Location>
Alias /db $D/htdocs/api
<Location /auth/db/login>
    SetHandler auth-backend-login
    AuthBackendProvider db
    AuthUserFile $D/users.htpasswd
    Require all granted
</Location>
<Location /auth/db/logout>
    SetHandler auth-backend-logout
    AuthBackendProvider db
    Require all granted
</Location>

# For browsers: the same JWTs in fastapi-users' cookie.  secure=off only
# because this demo is plain http on 127.0.0.1: a browser does not send a
# Secure cookie back to an http:// page (localhost aside).  Keep the
# default secure=on on a real site.
<AuthBackend web>
    AuthBackendTransport cookie secure=off
    AuthBackendStrategy  jwt secret=file:$D/jwt.secret lifetime=3600
</AuthBackend>

# A protected web page: a browser without the cookie is sent to the login
# page (302, with ?next=), an API call gets the 401.
<Location /app>
    AuthType backend
    AuthName "demo app"
    AuthBackendProvider web
    AuthBackendLoginURL /login.html
    Require valid-user
</Location>
ScriptAlias /app/whoami $D/cgi/whoami
DirectoryIndex index.html

# The login form posts here: sets the cookie, then 303 to next=.
<Location /auth/cookie/login>
    SetHandler auth-backend-login
    AuthBackendProvider web
    AuthUserFile $D/users.htpasswd
    AuthBackendLoginURL /login.html
    Require all granted
</Location>

# The page's "Log out" button: clears the cookie, then 303 to /app/, which
# sends the browser to the login page again.
<Location /auth/cookie/logout>
    SetHandler auth-backend-logout
    AuthBackendProvider web
    AuthBackendLogoutRedirect /app/
    Require all granted
</Location>
CONF

/usr/sbin/apache2 -d "$D" -f "$D/httpd.conf" -t

B="http://127.0.0.1:$PORT"
cat <<TRY

mod_auth_backend demo on $B  (configuration: $D/httpd.conf; Ctrl-C stops it)
User "demo", password "demo-password".  In another shell:

  curl -i $B/api/hello.json                         # 401, no token
  TOKEN=\$(curl -s -d username=demo -d password=demo-password $B/auth/jwt/login \\
          | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
  curl -H "Authorization: Bearer \$TOKEN" $B/api/hello.json
  curl -H "Authorization: Bearer \$TOKEN" $B/api/whoami
  curl -i -d username=demo -d password=wrong $B/auth/jwt/login   # 400
  curl -i -X POST -H "Authorization: Bearer \$TOKEN" $B/auth/jwt/logout   # 204

Opaque tokens in SQLite, revoked by logout:

  DBTOKEN=\$(curl -s -d username=demo -d password=demo-password $B/auth/db/login \
            | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -H "Authorization: Bearer \$DBTOKEN" $B/db/hello.json      # 200
  curl -i -X POST -H "Authorization: Bearer \$DBTOKEN" $B/auth/db/logout   # 204
  curl -i -H "Authorization: Bearer \$DBTOKEN" $B/db/hello.json   # 401 now

In a browser: $B/app/  (login page, then the protected page; "Log out")

TRY
exec /usr/sbin/apache2 -d "$D" -f "$D/httpd.conf" -DFOREGROUND
