"""The base role's mount options for the root file system (where /var/lib/classbox lives), rendered
into an fstab by the role's own tasks (tasks/fstab.yml), run locally on a copy."""

from __future__ import annotations

import json

import pytest

from tests.provisioning.ansible_support import ansible_playbook

FSTAB = """# /etc/fstab: a Raspberry Pi OS card
proc            /proc           proc    defaults          0       0
PARTUUID=6c586e13-01  /boot/firmware  vfat    defaults          0       2
PARTUUID=6c586e13-02  /               ext4    defaults  0       1
"""


def _apply(tmp_path, fstab, **extra) -> str:
    """Run the role's fstab tasks on `fstab`; the PLAY RECAP's 'changed' count."""
    variables = {"classbox_base_fstab": str(fstab), "classbox_base_manage_services": False, **extra}
    playbook = tmp_path / "fstab.yml"
    playbook.write_text("- name: Mount options\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
                        "    - name: The base role's fstab tasks\n      ansible.builtin.include_role:\n"
                        "        name: classbox_base\n        tasks_from: fstab.yml\n")
    result = ansible_playbook(tmp_path, "-i", "localhost,", "-c", "local", "-e", json.dumps(variables),
                              str(playbook))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.split("changed=")[1].split()[0]


def _root_options(fstab) -> list[str]:
    return next(line.split()[3] for line in fstab.read_text().splitlines()
                if not line.startswith("#") and line.split()[1] == "/").split(",")


@pytest.mark.peer
def test_the_root_file_system_commits_its_journal_once_a_minute_and_keeps_no_atime(tmp_path):
    fstab = tmp_path / "fstab"
    fstab.write_text(FSTAB)
    assert _apply(tmp_path, fstab) != "0"
    assert _root_options(fstab) == ["defaults", "noatime", "commit=60"]
    others = [line for line in fstab.read_text().splitlines() if " / " not in line]
    assert others == [line for line in FSTAB.splitlines() if " / " not in line]  # untouched
    assert _apply(tmp_path, fstab) == "0"  # a second run changes nothing
    assert _root_options(fstab) == ["defaults", "noatime", "commit=60"]


@pytest.mark.peer
def test_a_technicians_own_commit_interval_is_kept_and_zero_leaves_the_kernels(tmp_path):
    fstab = tmp_path / "fstab"
    fstab.write_text(FSTAB.replace("ext4    defaults", "ext4    defaults,commit=20"))
    _apply(tmp_path, fstab)
    assert _root_options(fstab) == ["defaults", "commit=20", "noatime"]
    fstab.write_text(FSTAB)
    _apply(tmp_path, fstab, classbox_base_commit_s=0)
    assert _root_options(fstab) == ["defaults", "noatime"]
