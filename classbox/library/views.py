"""Library pages (placeholder until the library lands)."""

from flask import Blueprint, render_template

bp = Blueprint("library", __name__)


@bp.route("/library")
def home():
    """The library home."""
    return render_template("library/home.html")
