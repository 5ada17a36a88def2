"""`classbox discover`: what a hostile or broken announcement can and cannot do to the output."""

from __future__ import annotations

import json

from zeroconf import ServiceInfo

from classbox.cli import cli
from classbox.discovery import cli as discover_cli
from classbox.discovery.browse import FoundBox, box_from_info, clean, format_table

TYPE = "_classbox._tcp.local."


def test_escape_sequences_and_huge_values_are_neutralised():
    info = ServiceInfo(TYPE, f"Evil\u202e box.{TYPE}", port=80, server="evil.local.",
                       parsed_addresses=["10.0.0.66"],
                       properties={b"v": b"\x1b]0;pwned\x07" + b"9" * 200, b"uai": b"\xff\xfe", b"id": None})
    box = box_from_info(info)
    assert box.name == "Evil? box"  # a right-to-left override would disguise the line
    assert "\x1b" not in box.version and "\x07" not in box.version and len(box.version) <= 120
    assert box.school == "\ufffd\ufffd" and box.id == "" and box.addresses == ["10.0.0.66"]


def test_clean_keeps_accents():
    assert clean("École Jules Ferry") == "École Jules Ferry"
    assert clean(b"Coll\xc3\xa8ge\r\nX") == "Collège??X"


def test_table_and_empty_result():
    assert format_table([]) == "no classbox found on this network"
    table = format_table([FoundBox("Classbox Ferry", ["10.0.0.5"], 80, "1.0", "0871234X", "cb-1")])
    assert table.splitlines()[1].split() == ["Classbox", "Ferry", "10.0.0.5", "80", "1.0", "0871234X", "cb-1"]


def test_cli_prints_json(runner, monkeypatch):
    monkeypatch.setattr("classbox.discovery.browse.discover",
                        lambda timeout: [FoundBox("Classbox A", ["10.0.0.5"], 8080, "1.0", "U", "cb-a")])
    result = runner.invoke(cli, ["discover", "--json", "--timeout", "1"])
    assert result.exit_code == 0
    assert json.loads(result.output)[0]["addresses"] == ["10.0.0.5"]


def test_cli_rejects_a_bad_timeout(runner):
    assert runner.invoke(cli, ["discover", "--timeout", "0"]).exit_code == 2
    assert runner.invoke(cli, ["discover", "--timeout", "abc"]).exit_code == 2


def test_cli_prints_the_avahi_service_file(runner, tmp_path):
    result = runner.invoke(cli, ["--config", "/dev/null", "--data-dir", str(tmp_path), "discover", "--avahi-service"])
    assert result.exit_code == 0, result.output
    assert "<type>_classbox._tcp</type>" in result.output and "<txt-record>path=/</txt-record>" in result.output
    assert discover_cli.discover.help


def test_the_announced_https_url_is_kept_only_when_it_is_one():
    def found(url: bytes) -> str:
        info = ServiceInfo(TYPE, f"Classbox Bourg.{TYPE}", port=80, server="bourg.local.",
                           parsed_addresses=["10.0.0.5"], properties={b"url": url})
        return box_from_info(info).url
    assert found(b"https://ecole-du-bourg.ecoles.example.fr/") == "https://ecole-du-bourg.ecoles.example.fr/"
    for hostile in (b"javascript:alert(1)", b"http://evil.example/", b"https://evil.example/\x1b[2J",
                    b"https://ecole.example.fr\xe2\x80\xae/", b"https://user@evil.example/", b"https://a/b?c"):
        assert found(hostile) == ""
