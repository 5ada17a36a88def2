"""certificates.yml on the controller against a real ACME server: Debian's pebble, with
pebble-challtestsrv as the département's DNS (DNS-01); lego (Debian's) obtains a certificate for
<box>.<domain>, renews it only when due, and classbox_nginx's checks accept it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from tests.pebble import running_pebble
from tests.provisioning.ansible_support import ansible_playbook

pytestmark = [pytest.mark.peer, pytest.mark.slow(420)]  # seconds, quiet machine

NAME = "ecole-du-bourg.ecoles.example.fr"


@pytest.fixture(scope="module")
def pebble(tmp_path_factory):
    with running_pebble(tmp_path_factory.mktemp("pebble")) as running:
        yield running


def run(pebble: dict, tmp: Path, playbook: str, **extra) -> subprocess.CompletedProcess:
    """ansible-playbook on one box whose certificate comes from pebble (controller = this machine)."""
    host = {
        "ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3",
        "classbox_nginx_tls_enabled": True, "classbox_nginx_tls_name": NAME,
        "classbox_acme_enabled": True, "classbox_acme_email": "technicien@ecoles.example.fr",
        "classbox_acme_server": pebble["server"], "classbox_acme_server_ca": str(pebble["server_ca"]),
        "classbox_acme_dns_provider": "exec", "classbox_acme_dns_env": {"EXEC_PATH": str(pebble["hook"])},
        # pebble-challtestsrv answers TXT but no SOA: no propagation check against it
        "classbox_acme_dns_options": pebble["dns_options"],
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
