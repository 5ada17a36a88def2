"""classbox_nginx's HTTPS tasks on a real Debian root (chroot), with that root's own nginx serving
in a network namespace of its own: a good certificate is installed and served; an expired one,
one ending too soon, a key that does not match, a name that is not the box's and a missing chain
are each refused on the controller before anything reaches the box, which keeps serving."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from tests.helpers import IS_ROOT, require_apt, wait_until
from tests.provisioning.ansible_support import ansible_playbook
from tests.certificates import make_authority, make_leaf, pem, write_pair
from tests.provisioning.chroot_support import Chroot, mounted
from tests.provisioning.debian_root import make_root
from tests.provisioning.test_ansible import _failures

pytestmark = [pytest.mark.peer, pytest.mark.slow]

NAME = "ecole-du-bourg.ecoles.example.fr"
PLAYBOOK = "- name: HTTPS\n  hosts: classbox\n  gather_facts: false\n  roles:\n    - classbox_nginx\n"
PEER_CERT = """
import socket, ssl, sys
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
with socket.create_connection(("127.0.0.1", 443), timeout=5) as raw:
    with context.wrap_socket(raw, server_hostname=sys.argv[1]) as tls:
        print(tls.getpeercert(binary_form=True).hex(), tls.version())
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The département's (or pebble's) root and intermediate, and certificates for every case."""
    folder = tmp_path_factory.mktemp("pki")
    root = make_authority("Test Root")
    middle = make_authority("Test Intermediate", root)
    (folder / "roots.pem").write_bytes(pem(root.cert))
    good, key = make_leaf(middle, [NAME])
    renewed, renewed_key = make_leaf(middle, [NAME])
    expired, expired_key = make_leaf(middle, [NAME], days_left=-1, days_old=91)
    soon, soon_key = make_leaf(middle, [NAME], days_left=3)
    other, other_key = make_leaf(middle, ["ecole-la-source.ecoles.example.fr"])
    cases = {
        "good": ([good, middle.cert], key),
        "renewed": ([renewed, middle.cert], renewed_key),
        "expired": ([expired, middle.cert], expired_key),
        "ends-too-soon": ([soon, middle.cert], soon_key),
        "key-mismatch": ([good, middle.cert], other_key),
        "other-name": ([other, middle.cert], other_key),
        "missing-chain": ([good], key),
    }
    return {"roots": folder / "roots.pem", "serials": {n: c[0][0].serial_number for n, c in cases.items()},
            "files": {n: write_pair(folder / n, chain, k) for n, (chain, k) in cases.items()}}


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """A bookworm root (cached debootstrap) with a classbox group, its nginx not yet configured."""
    if not IS_ROOT:
        pytest.skip("needs root: chroot and network namespaces")
    debootstrap = require_apt("debootstrap")
    require_apt("ansible-playbook", "ansible")
    tmp = tmp_path_factory.mktemp("tls-root")
    chroot = Chroot(tmp / "root")
    try:
        make_root(debootstrap, chroot.path, "bookworm")
        assert chroot.run("groupadd", "--system", "classbox").returncode == 0
        yield chroot, tmp
    finally:
        chroot.remove()


def run_role(chroot: Chroot, tmp: Path, pki: dict, cases: list[str]) -> tuple[subprocess.CompletedProcess, dict]:
    """One ansible-playbook run; each case is a host (same root) with that case's files."""
    hosts = {}
    for case in cases:
        certificate, key = pki["files"][case]
        hosts[f"box-{case}"] = {
            "ansible_connection": "community.general.chroot", "ansible_host": str(chroot.path),
            "ansible_python_interpreter": "/usr/bin/python3",
            "classbox_nginx_manage_services": False, "classbox_nginx_zim_cache_tmpfs": False,
            "classbox_nginx_tls_enabled": True, "classbox_nginx_tls_name": NAME,
            "classbox_nginx_tls_certificate_src": str(certificate), "classbox_nginx_tls_key_src": str(key),
            "classbox_nginx_tls_roots_src": str(pki["roots"]),
        }
    inventory = tmp / "hosts.json"
    inventory.write_text(json.dumps({"classbox": {"hosts": hosts}}))
    playbook = tmp / "tls.yml"
    playbook.write_text(PLAYBOOK)
    result = ansible_playbook(tmp, "-i", str(inventory), str(playbook), json_output=True)
    return result, _failures(result.stdout)


def changed(result: subprocess.CompletedProcess) -> int:
    report = json.loads(result.stdout[result.stdout.index("{"):])
    return sum(stats["changed"] for stats in report["stats"].values())


@pytest.fixture(scope="module")
def serving(box, pki):
    """The good certificate installed, and the root's nginx serving in its own network namespace."""
    chroot, tmp = box
    first, failed = run_role(chroot, tmp, pki, ["good"])
    assert first.returncode == 0 and not failed, (failed, first.stdout[-4000:], first.stderr[-2000:])
    again, _ = run_role(chroot, tmp, pki, ["good"])
    with mounted(chroot.path):
        nginx = subprocess.Popen(["unshare", "--net", "--", "chroot", str(chroot.path), "/bin/sh", "-c",
                                  "ip link set lo up && exec nginx -g 'daemon off;'"],
                                 stderr=subprocess.PIPE)
        try:
            wait_until(lambda: served(nginx) is not None, what="nginx serving HTTPS in its namespace")
            yield chroot, tmp, nginx, first, again
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
            nginx.stderr.close()


def served(nginx: subprocess.Popen) -> tuple[int, str] | None:
    """(serial, TLS version) of the certificate the box's nginx presents for NAME, or None."""
    assert nginx.poll() is None, nginx.stderr.read().decode() if nginx.stderr else "nginx exited"
    probe = subprocess.run(["nsenter", f"--net=/proc/{nginx.pid}/ns/net", sys.executable, "-c", PEER_CERT, NAME],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return None
    der, version = probe.stdout.split()
    return x509.load_der_x509_certificate(bytes.fromhex(der)).serial_number, version


def reload(chroot: Chroot, nginx: subprocess.Popen) -> None:
    """What the role's handlers do on a live box after `nginx -t`: reload."""
    checked = chroot.run("nginx", "-t")
    assert checked.returncode == 0, checked.stderr
    assert chroot.run("nginx", "-s", "reload").returncode == 0


def test_good_certificate_is_installed_and_served_over_tls13(serving, pki):
    chroot, _, nginx, first, again = serving
    tls = chroot.path / "etc/classbox/tls"
    assert (tls / "fullchain.pem").read_bytes() == pki["files"]["good"][0].read_bytes()
    assert (tls / "privkey.pem").stat().st_mode & 0o777 == 0o600
    assert (tls / "fullchain.pem").stat().st_mode & 0o777 == 0o644
    assert served(nginx) == (pki["serials"]["good"], "TLSv1.3")
    assert "Check the nginx configuration" in first.stdout  # nginx -t ran before the reload
    assert changed(again) == 0  # a second run changes nothing


BAD = {
    "expired": "expired on",
    "ends-too-soon": "in less than classbox_nginx_tls_min_days (7) days",
    "key-mismatch": "is not the key of",
    "other-name": f"not for this box's name {NAME}",
    "missing-chain": "intermediate certificates missing",
}


@pytest.fixture(scope="module")
def refused(serving, pki):
    """One ansible run with every bad case, each a host of its own on the same root (as a
    département's inventory has many boxes): (the box's TLS files before it, the run, its failures)."""
    chroot, tmp, *_ = serving
    before = {p.name: p.read_bytes() for p in (chroot.path / "etc/classbox/tls").iterdir()}
    result, failed = run_role(chroot, tmp, pki, list(BAD))
    return before, result, failed


@pytest.mark.parametrize("case, message", list(BAD.items()))
def test_bad_certificate_is_refused_and_the_box_keeps_serving(serving, refused, pki, case, message):
    chroot, tmp, nginx, *_ = serving
    before, result, failed = refused
    assert result.returncode != 0 and message in failed.get(f"box-{case}", ""), (failed, result.stdout[-3000:])
    assert {p.name: p.read_bytes() for p in (chroot.path / "etc/classbox/tls").iterdir()} == before
    reload(chroot, nginx)
    assert served(nginx) == (pki["serials"]["good"], "TLSv1.3")


def test_renewed_certificate_replaces_the_old_one(serving, pki):
    chroot, tmp, nginx, *_ = serving
    result, failed = run_role(chroot, tmp, pki, ["renewed"])
    assert result.returncode == 0 and not failed, failed
    assert changed(result) >= 1
    reload(chroot, nginx)
    wait_until(lambda: served(nginx) == (pki["serials"]["renewed"], "TLSv1.3"), what="the renewed certificate served")
