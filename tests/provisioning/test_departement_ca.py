"""certificates.yml with the département CA: the root made once on the controller (key encrypted,
never on a box, limited to the département's domain), each box's certificate signed under it,
renewed only when due, accepted by classbox_nginx's checks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from tests.helpers import free_port
from tests.provisioning.ansible_support import ansible_playbook

pytestmark = [pytest.mark.peer, pytest.mark.slow]

DOMAIN = "ecoles.example.fr"
BOXES = {"ecole-du-bourg": f"ecole-du-bourg.{DOMAIN}", "ecole-la-source": f"ecole-la-source.{DOMAIN}"}
CHECK = ("- name: Check\n  hosts: classbox\n  gather_facts: false\n  tasks:\n"
         "    - name: The checks classbox_nginx makes before pushing\n      ansible.builtin.include_role:\n"
         "        name: classbox_nginx\n        tasks_from: tls_check.yml\n")


def run(tmp: Path, playbook: str, **extra) -> subprocess.CompletedProcess:
    """Both boxes, behind an SSH port where nothing listens: a task not run on the controller
    would find the box unreachable."""
    closed = free_port()
    hosts = {host: {
        "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": closed,
        "classbox_ca_enabled": True, "classbox_ca_domain": DOMAIN, "classbox_nginx_tls_enabled": True,
        "classbox_nginx_tls_name": name, "classbox_ca_passphrase": "une phrase de passe du vault",
        "classbox_ca_dir": str(tmp / "ca"), "classbox_ca_certificates_dir": str(tmp / "certificates"),
        "classbox_nginx_tls_certificate_src": str(tmp / "certificates" / name / "fullchain.pem"),
        "classbox_nginx_tls_key_src": str(tmp / "certificates" / name / "privkey.pem"),
        "classbox_nginx_tls_roots_src": str(tmp / "ca" / "root.pem"),
        "ansible_python_interpreter": "/usr/bin/python3", **extra,
    } for host, name in BOXES.items()}
    inventory = tmp / "hosts.json"
    inventory.write_text(json.dumps({"classbox": {"hosts": hosts}}))
    return ansible_playbook(tmp, "-i", str(inventory), playbook, timeout=600)


def leaf(tmp: Path, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((tmp / "certificates" / name / "fullchain.pem").read_bytes())


def test_departement_ca_signs_each_box_and_keeps_its_root_on_the_controller(tmp_path):
    first = run(tmp_path, "certificates.yml")
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:]
    root_pem = tmp_path / "ca" / "root.pem"
    root = x509.load_pem_x509_certificate(root_pem.read_bytes())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    constraints = root.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical and constraints.value.permitted_subtrees == [x509.DNSName(f".{DOMAIN}")]
    key = tmp_path / "ca" / "root.key"
    assert key.stat().st_mode & 0o777 == 0o600 and b"ENCRYPTED" in key.read_bytes()
    for name in BOXES.values():
        chain = tmp_path / "certificates" / name / "fullchain.pem"
        verified = subprocess.run(["openssl", "verify", "-CAfile", str(root_pem), "-verify_hostname", name, str(chain)],
                                  capture_output=True, text=True)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert (tmp_path / "certificates" / name / "privkey.pem").stat().st_mode & 0o777 == 0o600

    again = run(tmp_path, "certificates.yml")
    assert again.returncode == 0 and again.stdout.count("changed=0") == 2, again.stdout[-3000:]

    serials = {name: leaf(tmp_path, name).serial_number for name in BOXES.values()}
    due = run(tmp_path, "certificates.yml", classbox_ca_renew_days=400)  # certificates last 397 days
    assert due.returncode == 0, due.stdout[-3000:]
    assert all(leaf(tmp_path, name).serial_number != serial for name, serial in serials.items())
    assert x509.load_pem_x509_certificate(root_pem.read_bytes()).serial_number == root.serial_number

    playbook = tmp_path / "check.yml"
    playbook.write_text(CHECK)
    checked = run(tmp_path, str(playbook))
    assert checked.returncode == 0 and checked.stdout.count("failed=0") == 2, checked.stdout[-3000:]


def test_a_short_passphrase_is_refused_before_anything_is_made(tmp_path):
    result = run(tmp_path, "certificates.yml", classbox_ca_passphrase="court")
    assert result.returncode != 0 and "classbox_ca_passphrase (12 characters or more" in result.stdout
    assert not (tmp_path / "ca").exists()
