"""certificates.yml on the controller against a real ACME server: Debian's pebble, with
pebble-challtestsrv as the département's DNS (DNS-01); lego (Debian's) obtains a certificate for
<box>.<domain>, renews it only when due, and classbox_nginx's checks accept it."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from tests.helpers import free_port, require_apt, stop_process_group, wait_until
from tests.provisioning.ansible_support import ansible_playbook
from tests.provisioning.certificates import key_pem, make_authority, make_leaf, pem

pytestmark = [pytest.mark.peer, pytest.mark.slow]

NAME = "ecole-du-bourg.ecoles.example.fr"
# lego's `exec` DNS provider: the département's real one is ovh, gandiv5, rfc2136...; here the
# TXT record goes to pebble-challtestsrv through its management API.
HOOK = """#!/bin/sh
case "$1" in
  present) exec curl -sf -d "{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}" http://127.0.0.1:{port}/set-txt ;;
  cleanup) exec curl -sf -d "{\\"host\\":\\"$2\\"}" http://127.0.0.1:{port}/clear-txt ;;
esac
"""


@pytest.fixture(scope="module")
def pebble(tmp_path_factory):
    """pebble and pebble-challtestsrv on free loopback ports; yields what lego needs to use them."""
    require_apt("pebble")
    require_apt("lego")
    require_apt("curl")
    tmp = tmp_path_factory.mktemp("pebble")
    listener_ca = make_authority("pebble listener test CA")
    cert, key = make_leaf(listener_ca, ["localhost"])
    (tmp / "listener-ca.pem").write_bytes(pem(listener_ca.cert))
    (tmp / "cert.pem").write_bytes(pem(cert))
    (tmp / "key.pem").write_bytes(key_pem(key))
    ports = {name: free_port() for name in ("acme", "management", "dns", "dns_management")}
    (tmp / "config.json").write_text(json.dumps({"pebble": {
        "listenAddress": f"127.0.0.1:{ports['acme']}", "managementListenAddress": f"127.0.0.1:{ports['management']}",
        "certificate": str(tmp / "cert.pem"), "privateKey": str(tmp / "key.pem"),
        "httpPort": free_port(), "tlsPort": free_port(), "ocspResponderURL": "",
        "externalAccountBindingRequired": False}}))
    hook = tmp / "dns-hook"
    hook.write_text(HOOK.replace("{port}", str(ports["dns_management"])))
    hook.chmod(0o755)
    dns = subprocess.Popen(["pebble-challtestsrv", "-dns01", f"127.0.0.1:{ports['dns']}", "-http01", "", "-https01", "",
                            "-tlsalpn01", "", "-management", f"127.0.0.1:{ports['dns_management']}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    acme = subprocess.Popen(["pebble", "-config", str(tmp / "config.json"), "-dnsserver", f"127.0.0.1:{ports['dns']}"],
                            env={**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    trust = ssl.create_default_context(cafile=str(tmp / "listener-ca.pem"))
    try:
        def ready() -> bool:
            assert acme.poll() is None and dns.poll() is None, "pebble or challtestsrv exited"
            try:
                return httpx.get(f"https://localhost:{ports['acme']}/dir", verify=trust).is_success
            except httpx.TransportError:
                return False
        wait_until(ready, what="pebble's directory")
        root = httpx.get(f"https://localhost:{ports['management']}/roots/0", verify=trust)
        (tmp / "pebble-root.pem").write_bytes(root.content)
        yield {"tmp": tmp, "ports": ports, "hook": hook, "root": tmp / "pebble-root.pem"}
    finally:
        stop_process_group(acme)
        stop_process_group(dns)


def run(pebble: dict, tmp: Path, playbook: str, **extra) -> subprocess.CompletedProcess:
    """ansible-playbook on one box whose certificate comes from pebble (controller = this machine)."""
    host = {
        "ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3",
        "classbox_nginx_tls_enabled": True, "classbox_nginx_tls_name": NAME,
        "classbox_acme_enabled": True, "classbox_acme_email": "technicien@ecoles.example.fr",
        "classbox_acme_server": f"https://localhost:{pebble['ports']['acme']}/dir",
        "classbox_acme_server_ca": str(pebble["tmp"] / "listener-ca.pem"),
        "classbox_acme_dns_provider": "exec", "classbox_acme_dns_env": {"EXEC_PATH": str(pebble["hook"])},
        # pebble-challtestsrv answers TXT but no SOA: no propagation check against it
        "classbox_acme_dns_options": ["--dns.disable-cp", "--dns.resolvers", f"127.0.0.1:{pebble['ports']['dns']}"],
        "classbox_acme_dir": str(tmp / "acme"), "classbox_acme_certificates_dir": str(tmp / "certificates"),
        "classbox_nginx_tls_certificate_src": str(tmp / "certificates" / NAME / "fullchain.pem"),
        "classbox_nginx_tls_key_src": str(tmp / "certificates" / NAME / "privkey.pem"),
        "classbox_nginx_tls_roots_src": str(pebble["root"]),
        **extra,
    }
    inventory = tmp / "hosts.json"
    inventory.write_text(json.dumps({"classbox": {"hosts": {"ecole-du-bourg": host}}}))
    return ansible_playbook(tmp, "-i", str(inventory), playbook, timeout=600)


def leaf(tmp: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates((tmp / "certificates" / NAME / "fullchain.pem").read_bytes())[0]


CHECK = ("- name: Check\n  hosts: classbox\n  gather_facts: false\n  tasks:\n"
         "    - name: The checks classbox_nginx makes before pushing\n      ansible.builtin.include_role:\n"
         "        name: classbox_nginx\n        tasks_from: tls_check.yml\n")


def test_controller_obtains_renews_when_due_and_the_box_role_accepts_it(pebble, tmp_path):
    first = run(pebble, tmp_path, "certificates.yml")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    issued = leaf(tmp_path)
    names = issued.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == [NAME] and "Pebble" in issued.issuer.rfc4514_string()
    assert (tmp_path / "certificates" / NAME / "privkey.pem").stat().st_mode & 0o777 == 0o600
    verified = subprocess.run(["openssl", "verify", "-CAfile", str(pebble["root"]), "-untrusted",
                               str(tmp_path / "certificates" / NAME / "fullchain.pem"), "-verify_hostname", NAME,
                               str(tmp_path / "certificates" / NAME / "fullchain.pem")], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    again = run(pebble, tmp_path, "certificates.yml")
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
    assert leaf(tmp_path).serial_number == issued.serial_number  # not due: not renewed

    due = run(pebble, tmp_path, "certificates.yml", classbox_acme_renew_days=4000)  # pebble's last 5 years
    assert due.returncode == 0, due.stdout[-3000:]
    assert leaf(tmp_path).serial_number != issued.serial_number

    playbook = tmp_path / "check.yml"
    playbook.write_text(CHECK)
    checked = run(pebble, tmp_path, str(playbook))
    assert checked.returncode == 0 and "failed=0" in checked.stdout, checked.stdout[-3000:]
