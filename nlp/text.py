"""Text hygiene before analysis: HTML passed as text, control characters, passages."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

# Above this size a text is analysed passage by passage, up to MAX_ANALYSED_CHARS (with a warning).
PASSAGE_CHARS = 4000
MAX_ANALYSED_CHARS = 400_000

_TAG_HINT = re.compile(r"<(?:p|div|br|span|a|html|body|h[1-6]|li|ul|table|td|section|article)\b", re.I)
_SCRIPT = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.I | re.S)
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|h[1-6]|tr|section|article|ul|ol|table)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]{0,500}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff\ufffe]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass
class CleanText:
    """A text ready for analysis, with what was done to it."""

    text: str
    warnings: list[str]


def looks_like_html(text: str) -> bool:
    """True when markup tags make up a visible part of the text."""
    return len(_TAG_HINT.findall(text[:20000])) >= 2


def strip_html(text: str) -> str:
    """Visible text of HTML markup passed as plain text (block tags become line breaks)."""
    text = _SCRIPT.sub(" ", text)
    text = _BLOCK_TAG.sub("\n", text)
    text = _ANY_TAG.sub(" ", text)
    return html.unescape(text)


def clean_text(text: str) -> CleanText:
    """Normalise a text: HTML removed, control characters dropped, spaces collapsed, NFC."""
    warnings: list[str] = []
    if looks_like_html(text):
        text = strip_html(text)
        warnings.append("html_stripped: the text held HTML markup; its visible text was analysed")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = _CONTROL.sub(" ", text)
    if cleaned != text:
        warnings.append("control_chars: control or invisible characters were removed")
    cleaned = _BLANK_LINES.sub("\n\n", _SPACES.sub(" ", cleaned)).strip()
    return CleanText(cleaned, warnings)


def split_passages(text: str, size: int = PASSAGE_CHARS) -> list[str]:
    """Cut a text into passages of about `size` characters at paragraph or sentence ends."""
    if len(text) <= size:
        return [text]
    passages: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            window = text[start:end]
            cut = max(window.rfind("\n"), window.rfind(". "))
            if cut > size // 2:
                end = start + cut + 1
        passages.append(text[start:end].strip())
        start = end
    return [p for p in passages if p]
