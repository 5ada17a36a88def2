"""Disk discipline: the free-space floor, and no leftovers after an interrupted import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from classbox.library import PackError, import_path
from tests.library.conftest import library_state, manifest, write_folder, write_zip


def test_import_crossing_min_free_is_refused_before_writing(lib_config, tmp_path):
    import shutil

    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    lib_config["library"]["min_free_mb"] = free_mb + 10
    pack = write_zip(tmp_path / "p.zip", manifest())
    from classbox.web.datadir import prepare_data_dir

    prepare_data_dir(lib_config).conn.close()
    before = library_state(lib_config.data_dir)
    with pytest.raises(PackError, match=r"needs 0\.0 MB, .* MB are free and .* MB must stay free"):
        import_path(lib_config, pack)
    assert library_state(lib_config.data_dir) == before


CRASHING_IMPORT = textwrap.dedent("""
    import os, sys, time
    from classbox.config import load_config
    from classbox.library import packs, import_path

    real_commit = packs._commit
    def stall(db, store, manifest, canonical, staged, *rest):
        for _spec, sha, _size, tmp in staged[:2]:
            store.adopt(tmp, sha)          # some blobs already moved into the store...
        print("staged", flush=True)
        time.sleep(60)                     # ...and the power goes off before the commit
    packs._commit = stall
    config = load_config(path=os.devnull, env={}, overrides={"data_dir": sys.argv[1], "library.min_free_mb": 1})
    import_path(config, sys.argv[2])
""")


def test_interrupted_import_leaves_nothing_after_next_start(lib_config, tmp_path, runner):
    import_path(lib_config, write_folder(tmp_path / "old", manifest(id="ancien")))
    before = library_state(lib_config.data_dir)
    pack = write_zip(tmp_path / "p.zip", manifest(id="nouveau"), {
        "lecons/eau.html": b"<p>nouvelle</p>", "images/éléphant.svg": b"<svg>2</svg>", "textes/fable.txt": b"v2"})
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_IMPORT, str(lib_config.data_dir), str(pack)],
                            stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == b"staged"
        assert library_state(lib_config.data_dir) != before  # blobs and staging files exist now
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    from classbox.cli import cli

    result = runner.invoke(cli, ["--data-dir", str(lib_config.data_dir), "library", "list"],
                           env={"CLASSBOX_CONFIG": os.devnull})
    assert result.exit_code == 0, result.output
    assert "ancien" in result.output and "nouveau" not in result.output
    assert library_state(lib_config.data_dir) == before


def test_cleanup_leaves_a_running_import_alone(lib_config, tmp_path):
    from classbox.library.staging import cleanup, import_lock, staging

    import_path(lib_config, write_folder(tmp_path / "old", manifest()))
    with import_lock(lib_config), staging(lib_config) as folder:
        (folder / "0.part").write_bytes(b"in progress")
        assert cleanup(lib_config) == []
        assert (folder / "0.part").exists()
