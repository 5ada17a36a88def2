"""Contracts between features built apart: they must name the same things."""

from __future__ import annotations

import re
from pathlib import Path

from classbox.library.serving import ACCEL_PREFIX

ROOT = Path(__file__).resolve().parent.parent


def test_nginx_role_serves_the_prefix_the_library_redirects_to():
    defaults = (ROOT / "ansible/roles/classbox_nginx/defaults/main.yml").read_text(encoding="utf-8")
    internal = re.search(r"^classbox_nginx_blobs_internal:\s*(\S+)", defaults, re.M).group(1)
    assert internal == ACCEL_PREFIX
