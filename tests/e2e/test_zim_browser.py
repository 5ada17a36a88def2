"""A real browser: a ZIM entry's script, whatever type the ZIM claims, cannot read a logged-in teacher's pages."""

from __future__ import annotations

import pytest
from libzim.writer import Creator

from classbox.library import import_path
from tests.e2e.harness import login
from tests.helpers import LiveServer, make_config, wait_until, with_accounts
from tests.library.conftest import Article, manifest, write_folder

TEACHER = ("prof.zim", "prof-zim-password-1")
STEAL = """
window.__stolen = "pending";
fetch("/teacher", {credentials: "include"}).then(function (r) { return r.text(); }).then(function (text) {
  var token = text.match(/name="csrf_token" value="([^"]+)"/);
  window.__stolen = token ? "TOKEN:" + token[1] : "READ:" + text.length;
}, function () { window.__stolen = "BLOCKED"; });
"""
ENTRIES = {  # path: (mimetype the ZIM claims, content whose script runs if the browser lets it)
    "piege.svg": ("image/svg+xml", f"<svg xmlns='http://www.w3.org/2000/svg'><script><![CDATA[{STEAL}]]></script></svg>"),
    "piege.xhtml": ("application/xhtml+xml", "<html xmlns='http://www.w3.org/1999/xhtml'><head><title>x</title></head>"
                                             f"<body><script><![CDATA[{STEAL}]]></script></body></html>"),
    "piege.xml": ("text/xml", "<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'><body>"
                              f"<script><![CDATA[{STEAL}]]></script></body></html>"),
    "piege-majuscules": ("TEXT/HTML", f"<!doctype html><title>x</title><script>{STEAL}</script>"),
    "piege-html": ("text/html", f"<!doctype html><title>x</title><script>{STEAL}</script>"),
}


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (ASCII), with a correct cross-reference table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


@pytest.fixture(scope="module")
def zim_box(tmp_path_factory):
    """classbox web with a logged-in teacher's account and a ZIM of hostile entries (libzim's writer)."""
    tmp_path = tmp_path_factory.mktemp("zimbrowser")
    data = tmp_path / "data"
    config = with_accounts(make_config(data, **{"library.min_free_mb": 1}), (TEACHER[0], "teacher", TEACHER[1], "Prof"))
    zim = tmp_path / "piege.zim"
    with Creator(str(zim)) as creator:
        creator.set_mainpath("Accueil")
        creator.add_item(Article("Accueil", "Accueil", "<html><body><h1>Accueil</h1></body></html>"))
        for path, (mimetype, content) in ENTRIES.items():
            creator.add_item(Article(path, path, content, mimetype))
        for key, value in {"Name": "piege_fr", "Title": "Piège", "Language": "fra", "Description": "x",
                           "Creator": "x", "Publisher": "x", "Date": "2026-01-01"}.items():
            creator.add_metadata(key, value)
    import_path(config, zim)
    pack = write_folder(tmp_path / "pack", manifest(id="fiches", resources=[
        {"path": "fiche.pdf", "title": "Fiche", "kind": "pdf"}]), {"fiche.pdf": tiny_pdf("Fiche de lecture")})
    import_path(config, pack)
    with LiveServer(data, command="web", extra_env={"CLASSBOX_DISCOVERY_ENABLED": "false",
                                                    "CLASSBOX_SYNC_ENABLED": "false"}) as server:
        yield server


@pytest.fixture(scope="module")
def teacher_page(zim_box, browser):
    """A page of the run's one Chromium with the teacher logged in (a second Playwright would clash)."""
    context = browser.new_context(base_url=zim_box.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, TEACHER)
    assert page.url.endswith("/teacher")
    yield page
    context.close()


@pytest.mark.peer
@pytest.mark.parametrize("path", list(ENTRIES))
def test_a_zim_entry_cannot_read_the_teachers_page(teacher_page, path):
    response = teacher_page.goto(f"/zim/piege_fr/{path}")
    assert response.status == 200 and response.headers["content-type"].lower().startswith(ENTRIES[path][0].lower())
    teacher_page.wait_for_function("() => window.__stolen && window.__stolen !== 'pending'")  # its script ran
    assert teacher_page.evaluate("window.__stolen") == "BLOCKED"


@pytest.mark.peer
def test_a_pdf_of_a_pack_still_shows_in_the_resource_page(teacher_page):
    """The sandbox goes on every file, PDF included: Chromium's viewer must still show it."""
    from classbox.library.packs import resource_id

    teacher_page.goto(f"/library/{resource_id('fiches', 'fiche.pdf')}")
    pdf_url = teacher_page.get_attribute("object[type='application/pdf']", "data")
    assert "sandbox" in teacher_page.request.get(pdf_url).headers["content-security-policy"]
    # each probe lets Playwright take in the frames Chromium attaches (wait_for_timeout)
    assert wait_until(lambda: teacher_page.wait_for_timeout(100) or viewer_frames(teacher_page), 15, 0), \
        [frame.url for frame in teacher_page.frames]


def viewer_frames(page) -> list:
    """The frames of Chromium's PDF viewer in a page (it attaches them once it shows the document)."""
    return [frame for frame in page.frames if frame.url.startswith("chrome-extension://")]
