"""End to end in a real browser: Debian's headless Chromium, driven by
Selenium through Debian's chromedriver, against a private httpd serving the
demo's own pages (scripts/demo-site).  A person opens the protected page,
lands on the login page, logs in, is back on the protected page, logs out,
and is refused again.  This is the one test that shows that a real browser
sends what the CSRF check wants (Origin) and honours the cookie and the
redirects as the module writes them."""

import os
import shutil
import subprocess

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness import REPO

CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium",
                             "/usr/bin/chromium") if os.path.exists(p)),
                "/usr/bin/chromium")
CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "demo-password"


@pytest.fixture(scope="module")
def site(httpd_factory):
    conf = """
<AuthBackend web>
    # plain http on 127.0.0.1, as in the demo: see scripts/demo.sh
    AuthBackendTransport cookie secure=off
    AuthBackendStrategy  jwt secret=file:@ROOT@/secret lifetime=600
</AuthBackend>
<Location /app>
    AuthType backend
    AuthName "demo app"
    AuthBackendProvider web
    AuthBackendLoginURL /login.html
    Require valid-user
</Location>
ScriptAlias /app/whoami @ROOT@/cgi/whoami
DirectoryIndex index.html
<Location /auth/cookie/login>
    SetHandler auth-backend-login
    AuthBackendProvider web
    AuthUserFile @ROOT@/users
    AuthBackendLoginURL /login.html
    Require all granted
</Location>
<Location /auth/cookie/logout>
    SetHandler auth-backend-logout
    AuthBackendProvider web
    AuthBackendLogoutRedirect /app/
    Require all granted
</Location>
"""
    h = httpd_factory(conf, start=False)
    h.write("secret", "chromium-secret-0123456789-abcdefghijklmn",
            mode=0o600)
    h.write("users", subprocess.run(
        ["htpasswd", "-nbB", "demo", PASSWORD], check=True,
        capture_output=True, text=True).stdout)
    h.write("cgi/whoami", """#!/bin/sh
printf 'Content-Type: application/json\\n\\n'
printf '{"REMOTE_USER":"%s","HTTP_COOKIE":"%s"}\\n' "$REMOTE_USER" "$HTTP_COOKIE"
""", mode=0o755)
    demo = os.path.join(REPO, "scripts", "demo-site")
    for name in ("login.html", "app/index.html"):
        with open(os.path.join(demo, name)) as f:
            h.write("htdocs/" + name, f.read())
    os.chmod(h.path("htdocs/app"), 0o755)
    return h.start()


@pytest.fixture
def browser(tmp_path, monkeypatch):
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY",
                "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    profile = tmp_path / "chromium-profile"      # a fresh profile each run
    profile.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--disable-quic",
                 "--no-proxy-server", "--user-data-dir=%s" % profile):
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER,
                      log_path=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for_url(driver, url):
    WebDriverWait(driver, 20).until(lambda d: d.current_url == url,
                                    "still on %s" % driver.current_url)


def log_in(driver, password):
    driver.find_element(By.ID, "username").send_keys("demo")
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "submit").click()


def test_login_and_logout_in_chromium(site, browser):
    login_page = site.url("/login.html?next=%2Fapp%2F")
    protected = site.url("/app/")

    # not logged in: the protected page sends the browser to the login page
    browser.get(protected)
    wait_for_url(browser, login_page)
    assert browser.find_element(By.ID, "next").get_attribute("value") \
        == "/app/"
    assert not browser.find_element(By.ID, "error").is_displayed()

    # a wrong password brings the form back with the error shown
    log_in(browser, "not-the-password")
    wait_for_url(browser, site.url(
        "/login.html?error=LOGIN_BAD_CREDENTIALS&next=%2Fapp%2F"))
    assert browser.find_element(By.ID, "error").is_displayed()
    assert browser.get_cookie("fastapiusersauth") is None

    # the right one: back on the protected page, with the cookie
    log_in(browser, PASSWORD)
    wait_for_url(browser, protected)
    assert browser.title.startswith("Protected page")
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.ID, "user").text == "demo")
    cookie = browser.get_cookie("fastapiusersauth")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert "expiry" not in cookie           # a session cookie
    # the application behind the location never sees the cookie
    browser.get(site.url("/app/whoami"))
    assert "fastapiusersauth" not in browser.page_source
    assert '"REMOTE_USER":"demo"' in browser.page_source

    # log out: the cookie is gone and the page refuses us again
    browser.get(protected)
    browser.find_element(By.ID, "logout").click()
    wait_for_url(browser, login_page)
    assert browser.get_cookie("fastapiusersauth") is None
    browser.get(protected)
    wait_for_url(browser, login_page)

    # the browser's POSTs carried Origin and passed the CSRF check
    log = site.error_log()
    assert "cross-site request forgery" not in log
    access = site.read("logs/access_log")
    assert '"POST /auth/cookie/login HTTP/1.1" 303' in access
    assert '"POST /auth/cookie/logout HTTP/1.1" 303' in access
