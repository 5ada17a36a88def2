"""The Ansible tree: lint-clean in the production profile, valid playbooks, asserts that name
the missing inventory variable."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.helpers import require_apt
from tests.provisioning.ansible_support import (ANSIBLE_DIR, ansible_env, ansible_playbook, lint_env,
                                                 newest_ansible_lint)

ROLES = ["classbox_base", "classbox", "classbox_nginx", "classbox_hotspot", "classbox_firewall"]


def _lint(lint: str, env: dict[str, str]) -> str:
    """Run ansible-lint in ansible/ and assert a clean production profile; return its output."""
    result = subprocess.run([lint, "--nocolor"], cwd=ANSIBLE_DIR, env=env, capture_output=True, text=True,
                            timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = " ".join(output.split())
    # Debian 12's wording, then the newer one.
    assert ("Passed with production profile: 0 failure(s), 0 warning(s)" in summary
            or re.search(r"0 failure\(s\), 0 warning\(s\) in \d+ files .* Profile 'production' was required, and it"
                         r" passed\.", summary)), summary[-2000:]
    return output


@pytest.mark.peer
@pytest.mark.slow
def test_ansible_lint_production_profile_is_clean(tmp_path):
    """Debian 12's ansible-lint (the technician's apt package)."""
    lint = require_apt("ansible-lint", "ansible-lint")
    _lint(lint, ansible_env(tmp_path))


@pytest.mark.peer
@pytest.mark.slow
def test_newest_ansible_lint_from_pypi_is_clean(tmp_path):
    """PyPI's newest ansible-lint, as a new technician installs it, with the collections of
    requirements.yml (Debian's): no var-naming[no-role-prefix], requirements.yml not a playbook."""
    lint = newest_ansible_lint()
    _lint(lint, lint_env(tmp_path, lint))


@pytest.mark.peer
def test_playbooks_syntax(tmp_path):
    result = ansible_playbook(tmp_path, "--syntax-check", "-i", "inventories/example", "site.yml", "update.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "playbook: site.yml" in result.stdout and "playbook: update.yml" in result.stdout


GOOD = {
    "classbox_box_name": "École test",
    "classbox_school_uai": "0630009Z",
    "classbox_wheel": "/tmp/classbox-0.1.0-py3-none-any.whl",
    "classbox_hotspot_ssid": "Classbox-Test",
    "classbox_hotspot_passphrase": "une-phrase-longue",
}

# (missing variable, overridden variables, expected message); each case is one host of a
# single ansible run, so the cases cost one start of ansible.
CASES = {
    "complete": (None, {}, None),
    "no-box-name": ("classbox_box_name", {}, "classbox_box_name"),
    "no-uai": ("classbox_school_uai", {}, "classbox_school_uai (7 digits and a letter)"),
    "bad-uai": (None, {"classbox_school_uai": "63-0001"}, "classbox_school_uai (7 digits and a letter)"),
    "no-wheel": ("classbox_wheel", {}, "missing or invalid inventory variables for no-wheel: classbox_wheel"),
    "bad-owner": (None, {"classbox_discovery_owner": "both"}, "classbox_discovery_owner (classbox or avahi)"),
    "bad-hostname": (None, {"classbox_base_hostname": "École"}, "classbox_base_hostname is missing or invalid"),
    # The name before the role prefix is still read (one release), under the new name's message.
    "old-bad-hostname": (None, {"classbox_hostname": "École"}, "classbox_base_hostname is missing or invalid"),
    "no-ssid": ("classbox_hotspot_ssid", {}, "classbox_hotspot_ssid or classbox_hotspot_passphrase"),
    "short-passphrase": (None, {"classbox_hotspot_passphrase": "court"}, "classbox_hotspot_passphrase"),
}


def _assert_tasks(when_hotspot: bool = False) -> str:
    return "".join(f"    - name: Check {role}\n      ansible.builtin.include_role:\n"
                   f"        name: {role}\n        tasks_from: assert.yml\n"
                   + ("      when: classbox_hotspot_enabled\n" if when_hotspot and role == "classbox_hotspot" else "")
                   for role in ROLES)


def _failures(stdout: str) -> dict[str, str]:
    """{host: message} of the failed tasks in a json-callback run."""
    report = json.loads(stdout[stdout.index("{"):])
    failed = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("failed"):
                    failed[host] = result.get("msg", "")
    return failed


@pytest.fixture(scope="module")
def assert_run(tmp_path_factory):
    """Run only the roles' assert tasks for one host per case (nothing else runs)."""
    tmp_path = tmp_path_factory.mktemp("asserts")
    hosts = {}
    for name, (missing, override, _) in CASES.items():
        host_vars = {k: v for k, v in GOOD.items() if k != missing}
        hosts[name] = {"ansible_connection": "local", **host_vars, **override}
    inventory = tmp_path / "hosts.json"
    inventory.write_text(json.dumps({"classbox": {"hosts": hosts}}))
    playbook = tmp_path / "asserts.yml"
    playbook.write_text(f"- name: Asserts\n  hosts: classbox\n  gather_facts: false\n  tasks:\n{_assert_tasks()}")
    env_result = ansible_playbook(tmp_path, "-i", str(inventory), str(playbook), json_output=True)
    return _failures(env_result.stdout)


@pytest.mark.peer
@pytest.mark.parametrize("case", sorted(CASES))
def test_missing_inventory_variable_is_named(assert_run, case):
    message = CASES[case][2]
    if message is None:
        assert case not in assert_run, assert_run.get(case)
    else:
        assert message in assert_run[case]


@pytest.mark.peer
def test_example_inventory_passes_every_assert(tmp_path):
    """The documented example (with its vault) is complete for each of its three schools."""
    playbook = tmp_path / "asserts.yml"
    playbook.write_text("- name: Asserts\n  hosts: classbox\n  gather_facts: false\n"
                        f"  connection: local\n  tasks:\n{_assert_tasks(when_hotspot=True)}")
    result = ansible_playbook(tmp_path, "-i", "inventories/example", str(playbook))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("failed=0") == 3


@pytest.mark.peer
def test_old_variable_names_still_apply_with_a_deprecation_message(tmp_path):
    """An inventory written before the role prefix keeps working for one release, and is told
    which new name to use for each old one it sets."""
    inventory = tmp_path / "hosts.json"
    inventory.write_text(json.dumps({"classbox": {"hosts": {"ecole-ancienne": {
        "ansible_connection": "local",
        "classbox_timezone": "America/Cayenne",
        "classbox_ntp_servers": ["ntp.ac-guyane.fr"],
        "classbox_base_locale": "en_GB.UTF-8",
    }}}}))
    playbook = tmp_path / "old-names.yml"
    playbook.write_text(
        "- name: Old names\n  hosts: classbox\n  gather_facts: false\n  tasks:\n"
        "    - name: Check\n      ansible.builtin.include_role:\n        name: classbox_base\n"
        "        tasks_from: assert.yml\n        public: true\n"
        "    - name: Show\n      ansible.builtin.debug:\n"
        "        msg: \"applied tz={{ classbox_base_timezone }} ntp={{ classbox_base_ntp_servers | join(',') }}"
        " locale={{ classbox_base_locale }}\"\n")
    result = ansible_playbook(tmp_path, "-i", str(inventory), str(playbook))
    output = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "applied tz=America/Cayenne ntp=ntp.ac-guyane.fr locale=en_GB.UTF-8" in output
    assert "DEPRECATED: classbox_timezone is renamed classbox_base_timezone" in output
    assert "DEPRECATED: classbox_ntp_servers is renamed classbox_base_ntp_servers" in output
    assert output.count("DEPRECATED:") == 2, output
