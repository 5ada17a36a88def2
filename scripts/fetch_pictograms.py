#!/usr/bin/env python3
"""Re-fetch the bundled pictograms from the npm package @twemoji/svg into classbox/static/pictograms/.

`make pictograms` runs it. The version is pinned so that the vendored files can be checked
against it byte for byte (the SVG names carry their hash in the box's URLs).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@twemoji/svg@15.0.0"
ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "classbox" / "static" / "pictograms"


def pictograms() -> dict[str, str]:
    """{id: code point file} read from classbox/classes/pictograms.py without importing classbox."""
    tree = ast.parse((ROOT / "classbox" / "classes" / "pictograms.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "PICTOGRAMS":
            return {k.value: v.elts[0].value for k, v in zip(node.value.keys, node.value.values)}
    raise SystemExit("PICTOGRAMS not found in classbox/classes/pictograms.py")


def main() -> int:
    """Download the package tarball with npm, copy the chosen SVGs under their ids."""
    wanted = pictograms()
    with tempfile.TemporaryDirectory() as tmp:
        name = subprocess.run(["npm", "pack", "--silent", PACKAGE], cwd=tmp, check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        with tarfile.open(Path(tmp) / name) as tar:
            TARGET.mkdir(parents=True, exist_ok=True)
            for picture, code in sorted(wanted.items()):
                member = tar.extractfile(f"package/{code}.svg")
                if member is None:
                    raise SystemExit(f"{code}.svg missing from {PACKAGE}")
                (TARGET / f"{picture}.svg").write_bytes(member.read())
    print(f"{len(wanted)} pictograms from {PACKAGE} written to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
