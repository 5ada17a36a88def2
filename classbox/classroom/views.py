"""The pupil home page and the teacher dashboard."""

from flask import Blueprint, render_template

from classbox.auth import login_required

bp = Blueprint("classroom", __name__)


@bp.route("/")
def home():
    """Pupil home: join a class with a code, or browse the library."""
    return render_template("classroom/home.html")


@bp.route("/teacher")
@login_required("teacher", "admin")
def teacher():
    """The teacher's dashboard."""
    return render_template("classroom/teacher.html")
