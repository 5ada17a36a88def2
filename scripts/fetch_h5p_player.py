#!/usr/bin/env python3
"""Re-fetch the H5P player (npm package h5p-standalone) into classbox/static/vendor/h5p-standalone/.

`make h5p-player` runs it. The version is pinned: the box serves the player under a URL carrying
this version (immutable caching), and the files can be checked against the package byte for byte.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "h5p-standalone@3.8.2"
ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "classbox" / "static" / "vendor" / "h5p-standalone"
KEEP = ("dist/main.bundle.js", "dist/frame.bundle.js", "dist/main.bundle.js.LICENSE.txt", "dist/styles/",
        "dist/fonts/", "dist/images/", "LICENSE")


def main() -> int:
    """Download the package tarball with npm, copy its player files (no source maps, no typings)."""
    with tempfile.TemporaryDirectory() as tmp:
        name = subprocess.run(["npm", "pack", "--silent", PACKAGE], cwd=tmp, check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        if TARGET.exists():
            shutil.rmtree(TARGET)
        count = 0
        with tarfile.open(Path(tmp) / name) as tar:
            for member in tar.getmembers():
                path = member.name.removeprefix("package/")
                if not member.isfile() or not path.startswith(KEEP) or ".." in path.split("/"):
                    continue
                target = TARGET / path.removeprefix("dist/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
                count += 1
    (TARGET / "VERSION").write_text(PACKAGE.split("@")[-1] + "\n")
    print(f"{count} files from {PACKAGE} written to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
