"""What the roles tell classbox and dnsmasq about HTTPS, rendered by the real ansible template
module: the HTTPS URL only with a certificate every device trusts, the certificate's path for
health whenever there is one, and the certificate's name answered by the hotspot's dnsmasq."""

from __future__ import annotations

import json

import pytest
import yaml

from classbox.config import load_config
from tests.provisioning.ansible_support import ANSIBLE_DIR, ansible_playbook

NAME = "ecole-du-bourg.ecoles.example.fr"
ROLES = ANSIBLE_DIR / "roles"
CASES = {
    "public-name": ({"classbox_nginx_tls_enabled": True}, f"https://{NAME}/", "/etc/classbox/tls/fullchain.pem"),
    "departement-ca": ({"classbox_nginx_tls_enabled": True, "classbox_nginx_tls_redirect": False}, "",
                       "/etc/classbox/tls/fullchain.pem"),
    "plain": ({}, "", ""),
    "no-nginx": ({"classbox_nginx_tls_enabled": True, "classbox_nginx_enabled": False}, "", ""),
    "h5p-site": ({"classbox_h5p_origin": "http://10.42.0.1"}, "", ""),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tls-config")
    defaults = {}
    for part in ("classbox/defaults", "classbox/vars", "classbox_nginx/defaults", "classbox_hotspot/defaults"):
        defaults.update(yaml.safe_load((ROLES / part / "main.yml").read_text()))
    hosts = {case: {**defaults, "ansible_connection": "local", "classbox_nginx_tls_name": NAME, "out": str(tmp / case),
                    "classbox_box_name": "École", "classbox_school_uai": "0630009Z", **override}
             for case, (override, _, _) in CASES.items()}
    inventory = tmp / "hosts.json"
    inventory.write_text(json.dumps({"classbox": {"hosts": hosts}}))
    playbook = tmp / "render.yml"
    playbook.write_text(
        "- name: Render\n  hosts: classbox\n  gather_facts: false\n  tasks:\n"
        "    - name: Folder\n      ansible.builtin.file:\n        path: \"{{ out }}\"\n        state: directory\n"
        "        mode: \"0755\"\n"
        f"    - name: classbox.toml\n      ansible.builtin.template:\n"
        f"        src: {ROLES}/classbox/templates/classbox.toml.j2\n        dest: \"{{{{ out }}}}/classbox.toml\"\n"
        "        mode: \"0644\"\n"
        f"    - name: dnsmasq.conf\n      ansible.builtin.template:\n"
        f"        src: {ROLES}/classbox_hotspot/templates/dnsmasq.conf.j2\n        dest: \"{{{{ out }}}}/dnsmasq.conf\"\n"
        "        mode: \"0644\"\n")
    result = ansible_playbook(tmp, "-i", str(inventory), str(playbook))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return tmp


@pytest.mark.peer
@pytest.mark.parametrize("case", sorted(CASES))
def test_classbox_learns_its_https_url_and_certificate(rendered, case):
    _, https_url, certificate = CASES[case]
    config = load_config(path=rendered / case / "classbox.toml", env={})
    assert config["web"]["https_url"] == https_url
    assert config["web"]["tls_certificate"] == certificate


@pytest.mark.peer
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_hotspot_answers_the_certificate_name_with_the_box(rendered, case):
    dnsmasq = (rendered / case / "dnsmasq.conf").read_text()
    assert (f"address=/{NAME}/10.42.0.1" in dnsmasq) == bool(CASES[case][0].get("classbox_nginx_tls_enabled"))


@pytest.mark.peer
@pytest.mark.parametrize("case", sorted(CASES))
def test_classbox_learns_the_h5p_players_site_only_when_given_one(rendered, case):
    config = load_config(path=rendered / case / "classbox.toml", env={})
    assert config["library"]["h5p_origin"] == CASES[case][0].get("classbox_h5p_origin", "")
