"""docs/operations.md tells technicians what the code supports: the Debian suites the tests
bake, the renamed variables, the 12 -> 13 move and the Pi hotspot's client limit."""

from __future__ import annotations

import re

import yaml

from tests.provisioning.ansible_support import ANSIBLE_DIR, ROOT
from tests.provisioning.debian_root import SUITES

DOC = (ROOT / "docs" / "operations.md").read_text()


def section(title: str) -> str:
    """The text of a `##`/`###` section, up to the next heading of any level."""
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#)", DOC, re.M | re.S)
    assert match, f"docs/operations.md has no section {title!r}"
    return match.group(1)


def test_supported_systems_match_the_suites_the_tests_bake():
    table = section("Supported Debian and Raspberry Pi OS")
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    assert "primary target" in rows['Debian 13 "trixie" (amd64, arm64)']
    assert "supported" in rows['Debian 12 "bookworm" (amd64, arm64)']
    assert any("Raspberry Pi OS" in name and "trixie" in name for name in rows)
    for suite in SUITES:
        assert f'"{suite}"' in table
    bake = (ROOT / "provisioning" / "bake-image").read_text()
    assert "supported suites are trixie and bookworm" in bake


def test_every_renamed_variable_is_listed_with_its_new_name():
    renamed = yaml.safe_load((ANSIBLE_DIR / "roles/classbox_base/vars/main.yml").read_text())["classbox_base_renamed"]
    text = " ".join(section("Role variables renamed (0.2)").split())
    for old, new in renamed.items():
        assert new == old.replace("classbox_", "classbox_base_", 1)
        assert f"`{old.removeprefix('classbox')}`" in text or f"`{old}`" in text, old


def test_moving_from_12_to_13_backs_up_upgrades_then_migrates():
    steps = section("Moving a box from Debian 12 to 13")
    order = [steps.index(word) for word in ("**Back up.**", "**Upgrade Debian**", "**Migrate.**")]
    assert order == sorted(order)
    assert "classbox db backup" in steps and "/var/lib/classbox" in steps
    assert "ansible-playbook site.yml --limit" in steps


def test_the_pi_hotspot_limit_and_the_external_access_point_advice():
    hotspot = " ".join(section("The hotspot and its limits").split())
    assert "between 8 and 19 devices depending on the firmware" in hotspot
    assert "external access point" in hotspot and "25–30 devices" in hotspot
