"""GIFT text level: decoding, comments, questions split on blank lines, escapes, HTML to text (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from classbox.lessons.steps import LessonError
from classbox.web.i18n_marks import N_

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_QUESTION_BYTES = 64 * 1024
MAX_QUESTIONS = 2000
SPECIAL = "~=#{}:"
_FINDERS: dict[str, re.Pattern] = {}
_UNESCAPE = {**{c: c for c in SPECIAL}, "n": "\n", "\\": "\\"}


@dataclass
class Block:
    """One question (or $CATEGORY line) of a GIFT file and the line it starts on."""

    text: str
    line: int


def decode(data: bytes) -> str:
    """UTF-8 text (BOM dropped) with LF line ends; a clear error for anything else."""
    if len(data) > MAX_FILE_BYTES:
        raise LessonError(f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", shown=N_("fichier de plus de %(mb)s Mo"),
                          mb=MAX_FILE_BYTES // (1024 * 1024))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise LessonError("not UTF-8 text (save the file as UTF-8)", line=line,
                          shown=N_("ce n'est pas du texte UTF-8 (enregistrez le fichier en UTF-8)")) from None
    if "\x00" in text:
        raise LessonError("binary data, not GIFT text", line=text[:text.index("\x00")].count("\n") + 1,
                          shown=N_("données binaires, pas du texte GIFT"))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_blocks(text: str) -> list[Block]:
    """Questions separated by blank lines (a blank line inside an answer block does not split);
    `//` comment lines dropped; errors for unbalanced braces and too many or too large questions."""
    blocks: list[Block] = []
    lines: list[str] = []
    start = depth = opened_at = 0
    for number, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip() and depth == 0:
            if lines:
                _add(blocks, lines, start)
                lines = []
            continue
        if not lines:
            start = number
        lines.append(line)
        escaped = False
        for char in line:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "{":
                if depth:
                    raise LessonError(f"'{{' never closed: another '{{' comes on line {number} "
                                      "(write \\{ for a brace in text)", line=opened_at,
                                      shown=N_("« { » jamais fermée : une autre « { » arrive ligne %(other)s "
                                               "(écrivez \\{ pour une accolade dans le texte)"), other=number)
                depth, opened_at = 1, number
            elif char == "}":
                if not depth:
                    raise LessonError("'}' without its '{' (write \\} for a brace in text)", line=number,
                                      shown=N_("« } » sans sa « { » (écrivez \\} pour une accolade dans le texte)"))
                depth = 0
    if depth:
        raise LessonError("'{' never closed by '}'", line=opened_at, shown=N_("« { » jamais fermée par « } »"))
    if lines:
        _add(blocks, lines, start)
    return blocks


def _add(blocks: list[Block], lines: list[str], start: int) -> None:
    text = "\n".join(lines)
    if len(text.encode("utf-8")) > MAX_QUESTION_BYTES:
        raise LessonError(f"question larger than {MAX_QUESTION_BYTES // 1024} KB", line=start,
                          shown=N_("question de plus de %(kb)s Ko"), kb=MAX_QUESTION_BYTES // 1024)
    if len(blocks) >= MAX_QUESTIONS:
        raise LessonError(f"more than {MAX_QUESTIONS} questions in one file (split it)", line=start,
                          shown=N_("plus de %(max)s questions dans un fichier (coupez-le)"), max=MAX_QUESTIONS)
    blocks.append(Block(text, start))


def find(text: str, target: str, start: int = 0) -> int:
    """Index of the first unescaped `target` at or after `start`, or -1."""
    pattern = _FINDERS.get(target)
    if pattern is None:
        pattern = _FINDERS[target] = re.compile(r"\\.|" + re.escape(target), re.S)
    for match in pattern.finditer(text, start):
        if match.group() == target:
            return match.start()
    return -1


def split_unescaped(text: str, separators: str) -> list[tuple[str, str]]:
    """Split at unescaped separator characters: [(separator or "", piece)], escapes left in."""
    parts: list[tuple[str, str]] = []
    current, mark, i = [], "", 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if char in separators:
            parts.append((mark, "".join(current)))
            current, mark = [], char
        else:
            current.append(char)
        i += 1
    parts.append((mark, "".join(current)))
    return parts


def unescape(text: str) -> str:
    """GIFT escapes resolved (\\~ \\= \\# \\{ \\} \\: \\n \\\\); other backslashes kept."""
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(0)), text, flags=re.S)


def escape(text: str) -> str:
    """Text written so that a GIFT reader gives it back as is."""
    out = text.replace("\\", "\\\\")
    for char in SPECIAL:
        out = out.replace(char, "\\" + char)
    return out.replace("\n", "\\n")


class _TextOf(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The text a reader sees in HTML: tags dropped (scripts with their content), entities decoded."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return "\n".join(line for line in lines if line)
