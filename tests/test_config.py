"""Config: defaults, then the TOML file, then CLASSBOX_* variables; every error is one clear line."""

from __future__ import annotations

import os

import pytest

from classbox.config import ConfigError, env_name, load_config


def write(tmp_path, text: str, name: str = "classbox.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file(tmp_path):
    config = load_config(path=None, env={"CLASSBOX_CONFIG": str(write(tmp_path, ""))})
    assert config["web"]["port"] == 8080
    assert config["privacy"]["retention_days"] == 30
    assert config.data_dir == config.data_dir.__class__("/var/lib/classbox")


def test_file_then_env_then_override(tmp_path):
    path = write(tmp_path, '[box]\nname = "École de Saint-Martin"\n[web]\nport = 9000\n'
                           '[sync.xapi]\nendpoint = "https://lrs.example/xapi"\n')
    config = load_config(path, env={})
    assert config["box"]["name"] == "École de Saint-Martin"
    assert config["web"]["port"] == 9000
    assert config.section("sync.xapi")["endpoint"] == "https://lrs.example/xapi"

    config = load_config(path, env={"CLASSBOX_WEB_PORT": "9100", "CLASSBOX_SYNC_XAPI_ENDPOINT": "http://x"})
    assert config["web"]["port"] == 9100
    assert config["sync.xapi"]["endpoint"] == "http://x"
    assert config["box"]["name"] == "École de Saint-Martin"

    config = load_config(path, env={"CLASSBOX_WEB_PORT": "9100"}, overrides={"web.port": 9200})
    assert config["web"]["port"] == 9200


def test_config_file_named_by_environment(tmp_path):
    path = write(tmp_path, "[fleet]\npushgateway = 'http://pg:9091'\n")
    config = load_config(env={"CLASSBOX_CONFIG": str(path)})
    assert config["fleet"]["pushgateway"] == "http://pg:9091"
    assert config.source == str(path)


def test_data_dir_from_environment(tmp_path):
    config = load_config(os.devnull, env={"CLASSBOX_DATA_DIR": str(tmp_path)})
    assert config.data_dir == tmp_path


@pytest.mark.parametrize("env,value", [
    ({"CLASSBOX_WEB_BEHIND_NGINX": "true"}, True),
    ({"CLASSBOX_WEB_BEHIND_NGINX": "0"}, False),
    ({"CLASSBOX_LIBRARY_EXTRA_ROOTS": "/media/usb1, /media/usb2"}, ["/media/usb1", "/media/usb2"]),
])
def test_env_values_are_typed(env, value):
    config = load_config(os.devnull, env=env)
    section, key = {"CLASSBOX_WEB_BEHIND_NGINX": ("web", "behind_nginx"),
                    "CLASSBOX_LIBRARY_EXTRA_ROOTS": ("library", "extra_roots")}[next(iter(env))]
    assert config[section][key] == value


def test_env_name_of_nested_section():
    assert env_name("sync.webdav", "password_file") == "CLASSBOX_SYNC_WEBDAV_PASSWORD_FILE"
    assert env_name("", "data_dir") == "CLASSBOX_DATA_DIR"


@pytest.mark.parametrize("text,message", [
    ("[web]\nprot = 80\n", "unknown key [web] prot"),
    ("[webb]\nport = 80\n", "unknown section [webb]"),
    ("[web]\nport = 'eighty'\n", "[web] port: expected an integer"),
    ("[web]\nbehind_nginx = 1\n", "[web] behind_nginx: expected true or false"),
    ("[web]\nport = true\n", "[web] port: expected an integer"),
    ("[library]\nextra_roots = '/media'\n", "[library] extra_roots: expected a list of strings"),
    ("[web\nport = 80\n", "invalid TOML"),
    ("datadir = '/x'\n", "unknown key datadir"),
])
def test_bad_file_names_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(path) in str(err.value)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unreadable_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.toml", env={})
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe[web]")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(binary, env={})


@pytest.mark.parametrize("env,message", [
    ({"CLASSBOX_WEB_PORT": "http"}, "environment CLASSBOX_WEB_PORT: expected an integer"),
    ({"CLASSBOX_WEB_BEHIND_NGINX": "maybe"}, "expected true or false"),
    ({"CLASSBOX_WEB_PROT": "80"}, "CLASSBOX_WEB_PROT: not a classbox setting"),
])
def test_bad_environment(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(os.devnull, env=env)


def test_main_prints_one_line_and_exits_2(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path, "[web]\nport = 'eighty'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSBOX_")}
    done = subprocess.run([sys.executable, "-m", "classbox", "--config", str(path), "--data-dir",
                           str(tmp_path / "d"), "init"], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(path) in lines[0] and "[web] port" in lines[0]
    assert not (tmp_path / "d").exists(), "nothing may start or be created with a bad config"
