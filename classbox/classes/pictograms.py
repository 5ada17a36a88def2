"""The bundled pictograms a member is known by: Twemoji SVGs vendored under static/pictograms/."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from classbox.web.i18n_marks import N_

PICTOGRAM_DIR = Path(__file__).resolve().parent.parent / "static" / "pictograms"

# id -> (Twemoji code point file in @twemoji/svg, French label; translated where shown).
# scripts/fetch-pictograms.sh copies exactly these files from the npm package.
PICTOGRAMS: dict[str, tuple[str, str]] = {
    "dog": ("1f436", N_("Chien")), "cat": ("1f431", N_("Chat")), "rabbit": ("1f430", N_("Lapin")),
    "fox": ("1f98a", N_("Renard")), "bear": ("1f43b", N_("Ours")), "panda": ("1f43c", N_("Panda")),
    "tiger": ("1f42f", N_("Tigre")), "lion": ("1f981", N_("Lion")), "cow": ("1f42e", N_("Vache")),
    "pig": ("1f437", N_("Cochon")), "frog": ("1f438", N_("Grenouille")), "monkey": ("1f435", N_("Singe")),
    "chicken": ("1f414", N_("Poule")), "penguin": ("1f427", N_("Manchot")), "duck": ("1f986", N_("Canard")),
    "owl": ("1f989", N_("Chouette")), "horse": ("1f434", N_("Cheval")), "unicorn": ("1f984", N_("Licorne")),
    "bee": ("1f41d", N_("Abeille")), "butterfly": ("1f98b", N_("Papillon")), "snail": ("1f40c", N_("Escargot")),
    "ladybird": ("1f41e", N_("Coccinelle")), "turtle": ("1f422", N_("Tortue")), "octopus": ("1f419", N_("Pieuvre")),
    "dolphin": ("1f42c", N_("Dauphin")), "whale": ("1f433", N_("Baleine")), "hedgehog": ("1f994", N_("Hérisson")),
    "koala": ("1f428", N_("Koala")), "apple": ("1f34e", N_("Pomme")), "banana": ("1f34c", N_("Banane")),
    "grapes": ("1f347", N_("Raisin")), "strawberry": ("1f353", N_("Fraise")), "cherries": ("1f352", N_("Cerises")),
    "pineapple": ("1f34d", N_("Ananas")), "carrot": ("1f955", N_("Carotte")), "sunflower": ("1f33b", N_("Tournesol")),
    "tulip": ("1f337", N_("Tulipe")), "tree": ("1f332", N_("Sapin")), "star": ("2b50", N_("Étoile")),
    "rainbow": ("1f308", N_("Arc-en-ciel")), "sun": ("2600", N_("Soleil")), "moon": ("1f319", N_("Lune")),
    "football": ("26bd", N_("Ballon de foot")), "balloon": ("1f388", N_("Ballon de fête")),
    "rocket": ("1f680", N_("Fusée")), "car": ("1f697", N_("Voiture")), "bicycle": ("1f6b2", N_("Vélo")),
    "sailboat": ("26f5", N_("Voilier")), "guitar": ("1f3b8", N_("Guitare")), "gift": ("1f381", N_("Cadeau")),
    "teddy": ("1f9f8", N_("Nounours")), "crayon": ("1f58d", N_("Crayon")),
}
PICTURE_IDS = tuple(PICTOGRAMS)


def is_picture(picture: object) -> bool:
    """Whether `picture` names a bundled pictogram."""
    return isinstance(picture, str) and picture in PICTOGRAMS


def label(picture: str) -> str:
    """The pictogram's French label (for alt text; translate with gettext where shown)."""
    return PICTOGRAMS[picture][1]


@functools.lru_cache(maxsize=None)
def svg(picture: str) -> bytes:
    """The pictogram's SVG file (a few kB, kept in memory once read)."""
    return (PICTOGRAM_DIR / f"{picture}.svg").read_bytes()


@functools.lru_cache(maxsize=None)
def version(picture: str) -> str:
    """The first 12 hex digits of the SVG's sha256: part of its URL, so it can be cached forever."""
    return hashlib.sha256(svg(picture)).hexdigest()[:12]


def url(picture: str) -> str:
    """The pictogram's URL on the box (immutable: its content hash is in the name)."""
    return f"/pictograms/{picture}-{version(picture)}.svg"


def next_pictures(used: list[str], count: int) -> list[str]:
    """`count` pictures for new members: first those nobody in the class has, in set order, then again."""
    free = [p for p in PICTURE_IDS if p not in set(used)]
    cycle = free + [p for p in PICTURE_IDS if p not in free]
    return [cycle[i % len(cycle)] for i in range(count)]
