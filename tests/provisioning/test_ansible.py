"""The Ansible tree: lint-clean in the production profile, valid playbooks, asserts that name
the missing inventory variable."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers import require_apt
from tests.provisioning.ansible_support import ANSIBLE_DIR, ansible_env, ansible_playbook

ROLES = ["classbox_base", "classbox", "classbox_nginx", "classbox_hotspot", "classbox_firewall"]


@pytest.mark.peer
@pytest.mark.slow
def test_ansible_lint_production_profile_is_clean(tmp_path):
    lint = require_apt("ansible-lint", "ansible-lint")
    result = subprocess.run([lint, "--nocolor"], cwd=ANSIBLE_DIR, env=ansible_env(tmp_path),
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Passed with production profile: 0 failure(s), 0 warning(s)" in " ".join(output.split())


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
# single ansible run, so the ten cases cost one start of ansible.
CASES = {
    "complete": (None, {}, None),
    "no-box-name": ("classbox_box_name", {}, "classbox_box_name"),
    "no-uai": ("classbox_school_uai", {}, "classbox_school_uai (7 digits and a letter)"),
    "bad-uai": (None, {"classbox_school_uai": "63-0001"}, "classbox_school_uai (7 digits and a letter)"),
    "no-wheel": ("classbox_wheel", {}, "missing or invalid inventory variables for no-wheel: classbox_wheel"),
    "bad-owner": (None, {"classbox_discovery_owner": "both"}, "classbox_discovery_owner (classbox or avahi)"),
    "bad-hostname": (None, {"classbox_hostname": "École"}, "classbox_hostname is missing or invalid"),
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
