"""The classbox_nginx site with a certificate, served by a real nginx: TLS 1.3 on 443 (Mozilla's
modern profile), HTTP redirected to the certificate's name with HSTS only when every device
trusts it (a public name), plain HTTP kept beside HTTPS for a département CA, nothing of TLS
without a certificate."""

from __future__ import annotations

import http.server
import re
import ssl
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port, require_apt, wait_until
from tests.provisioning.certificates import make_authority, make_leaf, pem, write_pair
from tests.provisioning.test_nginx_site import BLOB, ROLE, SHA, StandIn, main_conf, role_template

NAME = "ecole-du-bourg.ecoles.example.fr"


class Recorder(StandIn):
    """The stand-in app, remembering the scheme nginx forwards."""

    schemes: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.schemes.append(self.headers.get("X-Forwarded-Proto", ""))
        super().do_GET()


def render(tls: bool, redirect: bool, ports: dict[str, int], tmp_path: Path, upstream: int) -> str:
    """The role's template with its defaults, on free loopback ports instead of 80 and 443."""
    defaults = (ROLE / "defaults/main.yml").read_text()
    values = dict(re.findall(r"^(classbox_nginx_\w+): ([^\s\"{\[]+)$", defaults, re.M))
    values.update(classbox_nginx_upstream_port=upstream, classbox_nginx_server_names=["ecole-du-bourg", "ecole-du-bourg.local"],
                  classbox_nginx_blobs_dir=f"{tmp_path}/blobs/", classbox_nginx_zim_cache_dir=str(tmp_path / "zim"),
                  classbox_nginx_tls_enabled=tls, classbox_nginx_tls_redirect=redirect,
                  classbox_nginx_tls_name=NAME, classbox_nginx_tls_dir=str(tmp_path / "tls"), ansible_managed="test")
    text = role_template("classbox.conf.j2").render(**values)
    text = re.sub(r"listen \[::\]:\d+.*;\n", "", text)
    text = text.replace("listen 80 default_server;", f"listen 127.0.0.1:{ports['http']} default_server;")
    return text.replace("listen 443 ssl default_server;", f"listen 127.0.0.1:{ports['https']} ssl default_server;")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A root, an intermediate, the box's certificate under it; the root in a PEM file."""
    folder = tmp_path_factory.mktemp("pki")
    root = make_authority("Département Test Root")
    middle = make_authority("Département Test Intermediate", root)
    cert, key = make_leaf(middle, [NAME])
    (folder / "root.pem").write_bytes(pem(root.cert))
    return {"root": folder / "root.pem", "chain": [cert, middle.cert], "key": key, "serial": cert.serial_number}


def serve(tmp_path: Path, pki: dict, tls: bool, redirect: bool):
    nginx = require_apt("nginx")
    (tmp_path / "blobs" / SHA[:2] / SHA[2:4]).mkdir(parents=True)
    (tmp_path / "blobs" / SHA[:2] / SHA[2:4] / SHA).write_bytes(BLOB)
    write_pair(tmp_path / "tls", pki["chain"], pki["key"])
    Recorder.schemes = []
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    ports = {"http": free_port(), "https": free_port()}
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_conf(tmp_path, render(tls, redirect, ports, tmp_path, upstream.server_address[1])))
    checked = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.DEVNULL)

    def listening() -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{ports['http']}/healthz", timeout=1)
            return True
        except httpx.TransportError:
            assert proc.poll() is None, "nginx exited"
            return False
    wait_until(listening, what="nginx listening")
    return proc, upstream, ports


def _box(tmp_path, pki, tls: bool, redirect: bool):
    proc, upstream, ports = serve(tmp_path, pki, tls, redirect)
    try:
        yield {"tls": tls, "redirect": redirect, **ports}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        upstream.shutdown()
        upstream.server_close()


@pytest.fixture(params=[(True, True), (True, False), (False, False)], ids=["public-name", "departement-ca", "no-certificate"])
def box(request, tmp_path, pki):
    yield from _box(tmp_path, pki, *request.param)


@pytest.fixture(params=[True, False], ids=["public-name", "departement-ca"])
def tls_box(request, tmp_path, pki):
    yield from _box(tmp_path, pki, True, request.param)


def trusting(pki: dict, **options) -> ssl.SSLContext:
    """What a device trusting the root does (a public CA in its store, or an MDM-installed root)."""
    context = ssl.create_default_context(cafile=str(pki["root"]))
    for name, value in options.items():
        setattr(context, name, value)
    return context


def https_get(box: dict, pki: dict, path: str = "/", context: ssl.SSLContext | None = None) -> httpx.Response:
    """GET https://<NAME><path> through the box's loopback port (SNI and name check on NAME)."""
    with httpx.Client(verify=context or trusting(pki)) as client:
        return client.get(f"https://127.0.0.1:{box['https']}{path}",
                          headers={"Host": NAME}, extensions={"sni_hostname": NAME})


def test_without_a_certificate_the_site_has_no_tls(tmp_path):
    site = render(False, True, {"http": 8080, "https": 8443}, tmp_path, 8081)
    assert "ssl" not in site and "8443" not in site and "return 301" not in site
    assert "listen 127.0.0.1:8080 default_server;" in site


@pytest.mark.peer
def test_https_serves_the_app_with_the_certificate(tls_box, pki):
    box = tls_box
    response = https_get(box, pki)
    assert response.status_code == 200 and response.http_version == "HTTP/1.1"
    assert Recorder.schemes[-1] == "https"  # the app learns HTTPS from nginx (Secure cookies)
    blob = https_get(box, pki, f"/blobs/{SHA}")
    assert blob.status_code == 200 and blob.content == BLOB


@pytest.mark.peer
def test_only_tls_1_3_is_offered(tls_box, pki):
    box = tls_box
    with pytest.raises(httpx.ConnectError):
        https_get(box, pki, context=trusting(pki, maximum_version=ssl.TLSVersion.TLSv1_2))
    assert https_get(box, pki, context=trusting(pki, minimum_version=ssl.TLSVersion.TLSv1_3)).status_code == 200


@pytest.mark.peer
@pytest.mark.parametrize("path", ["/", f"/blobs/{SHA}", "/zim/vikidia/A/Volcan"])
def test_hsts_only_over_https_with_a_certificate_every_device_trusts(box, pki, path):
    if box["tls"]:
        over_tls = https_get(box, pki, path)
        assert over_tls.status_code == 200
        expected = ["max-age=63072000"] if box["redirect"] else []
        assert over_tls.headers.get_list("Strict-Transport-Security") == expected
    plain = httpx.get(f"http://127.0.0.1:{box['http']}{path}")
    assert "Strict-Transport-Security" not in plain.headers


@pytest.mark.peer
def test_http_redirects_to_the_name_only_with_a_certificate_every_device_trusts(box):
    plain = httpx.get(f"http://127.0.0.1:{box['http']}/join/ABCD?x=1", headers={"Host": "192.168.1.20"})
    if box["redirect"]:
        # to the certificate's name, never to the address typed (that would be a warning)
        assert plain.status_code == 301
        assert plain.headers["Location"] == f"https://{NAME}/join/ABCD?x=1"
    else:
        assert plain.status_code == 200 and Recorder.schemes[-1] == "http"


@pytest.mark.peer
def test_a_device_that_does_not_trust_the_root_is_refused(tls_box, pki):
    box = tls_box
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        https_get(box, pki, context=ssl.create_default_context())
