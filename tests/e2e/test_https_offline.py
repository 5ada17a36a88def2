"""Over HTTPS with a certificate the device trusts, the pupil page's service worker registers, and
the page reloads from its cache once the box is unreachable.

Real pieces: `classbox serve` behind Debian's nginx with the classbox_nginx site and a
certificate for the box's name issued by Debian's pebble (DNS-01 through pebble-challtestsrv,
lego); Debian's Chromium whose NSS database (in a temporary HOME) trusts pebble's root, as an
MDM installs a root (certutil); the name mapped to 127.0.0.1 as the school's DNS would map it
to the box. Without the root in the NSS database the same page is refused.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from tests.certificates import make_authority, make_leaf, write_pair
from tests.e2e.harness import CHROMIUM_ARGS
from tests.helpers import LiveServer, free_port, require_apt, wait_until
from tests.pebble import issue, running_pebble
from tests.provisioning.test_nginx_site import main_conf
from tests.provisioning.test_nginx_tls import NAME, render

pytestmark = [pytest.mark.peer, pytest.mark.slow]


@pytest.fixture(scope="module")
def https_box(tmp_path_factory):
    """classbox behind nginx on HTTPS (redirect, HSTS, Secure cookies); yields its URL and nginx."""
    nginx_bin = require_apt("nginx")
    tmp = tmp_path_factory.mktemp("https-box")
    with running_pebble(tmp_path_factory.mktemp("pebble")) as pebble:
        chain, key = issue(pebble, NAME, tmp / "lego")
        (tmp / "tls").mkdir()
        shutil.copy(chain, tmp / "tls" / "fullchain.pem")
        shutil.copy(key, tmp / "tls" / "privkey.pem")
        shutil.copy(pebble["root"], tmp / "root.pem")
    ports = {"http": free_port(), "https": free_port()}
    url = f"https://{NAME}:{ports['https']}/"
    server = LiveServer(tmp / "data", extra_env={
        "CLASSBOX_WEB_BEHIND_NGINX": "true", "CLASSBOX_WEB_HTTPS_URL": url,
        "CLASSBOX_DISCOVERY_ENABLED": "false", "CLASSBOX_SYNC_ENABLED": "false"}).start()
    (tmp / "data" / "blobs").mkdir(exist_ok=True)
    site = render(True, True, ports, tmp, server.port).replace(f"{tmp}/blobs/", f"{tmp}/data/blobs/")
    conf = tmp / "nginx.conf"
    conf.write_text(main_conf(tmp, site))
    nginx = subprocess.Popen([nginx_bin, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: listening(ports["https"], nginx), what="nginx on HTTPS")
        yield {"url": url, "root": tmp / "root.pem", "nginx": nginx, "tmp": tmp, "ports": ports}
    finally:
        if nginx.poll() is None:
            nginx.terminate()
            nginx.wait(timeout=10)
        server.stop()


def listening(port: int, proc: subprocess.Popen) -> bool:
    assert proc.poll() is None, "nginx exited"
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def nss_home(folder, root=None):
    """A HOME whose NSS database trusts `root` (what an MDM's trusted-root profile does)."""
    certutil = require_apt("certutil", "libnss3-tools")
    db = folder / ".pki" / "nssdb"
    db.mkdir(parents=True)
    subprocess.run([certutil, "-d", f"sql:{db}", "-N", "--empty-password"], check=True)
    if root is not None:
        subprocess.run([certutil, "-d", f"sql:{db}", "-A", "-t", "C,,", "-n", "classbox-root", "-i", str(root)],
                       check=True)
    return folder


def chromium(playwright, home, port: int):
    """Debian's Chromium with that HOME, the box's name resolving to the box (127.0.0.1)."""
    return playwright.chromium.launch(
        executable_path=require_apt("chromium"), headless=True, env={"HOME": str(home)},
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {NAME} 127.0.0.1"])


def test_service_worker_registers_over_https_and_the_page_reloads_with_the_box_unreachable(
        https_box, tmp_path, playwright_driver):
    # a browser of its own (its HOME's NSS database), on the run's one driver
    browser = chromium(playwright_driver, nss_home(tmp_path / "home", https_box["root"]), https_box["ports"]["https"])
    try:
        context = browser.new_context(locale="fr-FR", service_workers="allow")
        page = context.new_page()
        response = page.goto(https_box["url"])
        assert response.ok and page.evaluate("() => window.isSecureContext")
        assert response.headers["strict-transport-security"] == "max-age=63072000"
        assert "Pebble" in response.security_details()["issuer"], response.security_details()
        page.wait_for_function("() => window.ClassboxPWA && window.ClassboxPWA.ready")
        page.evaluate("() => window.ClassboxPWA.ready")
        if not page.evaluate("() => !!navigator.serviceWorker.controller"):
            page.reload()
        page.wait_for_function("() => !!navigator.serviceWorker.controller")
        page.goto(https_box["url"] + "lang/fr?next=/")
        assert all(c["secure"] for c in context.cookies()), context.cookies()

        https_box["nginx"].terminate()  # the box is gone: switched off, or out of Wi-Fi range
        https_box["nginx"].wait(timeout=10)
        page.reload()
        assert "Rejoindre la classe" in page.inner_text("main")
        assert page.evaluate("() => typeof window.ClassboxPWA") == "object", "the shell's scripts came from the cache"
    finally:
        browser.close()


def test_without_the_root_in_its_store_the_device_refuses_the_box(tmp_path, playwright_driver):
    """The same certificate, a device whose NSS database does not hold the root: no page, no worker."""
    from playwright.sync_api import Error

    root = make_authority("Département Test Root")
    leaf, key = make_leaf(root, [NAME])
    write_pair(tmp_path / "tls", [leaf], key)
    port = free_port()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "tls" / "fullchain.pem", tmp_path / "tls" / "privkey.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # a browser of its own (its HOME's NSS database), on the run's one driver
        browser = chromium(playwright_driver, nss_home(tmp_path / "home"), port)
        try:
            page = browser.new_context().new_page()
            with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
                page.goto(f"https://{NAME}:{port}/")
        finally:
            browser.close()
    finally:
        server.shutdown()
        server.server_close()

