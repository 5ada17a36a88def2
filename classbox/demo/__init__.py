"""The demo data dir of `classbox serve --demo`: a demo teacher and a small library."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from classbox.auth.users import add_user, find_user, generate_password
from classbox.config import Config
from classbox.web.datadir import prepare_data_dir

DEMO_TEACHER = "prof"
DEMO_PACK = Path(__file__).parent / "pack"


def prepare_demo(config: Config, echo: Callable[[str], None] = print) -> None:
    """Create the demo teacher (password printed once) and import the demo pack."""
    db = prepare_data_dir(config)
    try:
        if find_user(db, DEMO_TEACHER) is None:
            password = generate_password()
            add_user(db, DEMO_TEACHER, "teacher", password, "Enseignant de démonstration")
            echo(f"demo teacher: login '{DEMO_TEACHER}', password '{password}' (shown only now)")
        else:
            echo(f"demo teacher '{DEMO_TEACHER}' exists; new password: classbox user passwd {DEMO_TEACHER}")
    finally:
        db.conn.close()
    from classbox import library

    importer = getattr(library, "import_path", None)
    if importer is not None:
        importer(config, DEMO_PACK)
        echo("demo library imported")
