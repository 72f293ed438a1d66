"""The named extraction rules layered on trafilatura, so the evaluation can switch each one off.

Every rule says which field it serves and which sites it was written from (registrable domains; empty
when it keys on no site). The leave-one-site-out evaluation (``crawler.loso``) never applies a rule
written from one site alone to that site, and keeps a rule on a site only when the other sites select
it. ``extract_html(..., rules=...)`` takes the set of enabled rule names; the crawler runs with
:data:`ALL_RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Field = Literal["text", "title", "date"]


@dataclass(frozen=True)
class Rule:
    """One rule of the extraction, with the field it serves and the sites it was written for."""

    name: str
    field: Field
    description: str
    written_for: frozenset[str] = frozenset()


RULES: tuple[Rule, ...] = (
    Rule("text.drop_captions", "text", "photo captions and credits (figcaption, .caption/.credit) removed"),
    Rule("text.no_comments", "text", "reader comments left out of the main text"),
    Rule(
        "text.lead",
        "text",
        "a lead block (class teaser, chapo or preface) followed by the body's first paragraph kept",
        frozenset({"ahlen.de", "jagdverband.de", "dbjr.de", "mondediplo.net", "tine.no"}),
    ),
    Rule("text.repeated_title", "text", "a first line repeating the title dropped"),
    Rule("text.credit_lines", "text", "short 'Crédit photo :', 'Illustration :', 'Bild:' lines dropped"),
    Rule("text.see_also_lines", "text", "short 'Lire aussi', 'Read more', 'Lesen Sie auch' lines dropped"),
    Rule("text.call_to_action", "text", "newsletter/subscribe lines among the last two dropped"),
    Rule("title.og", "title", "og:title is a title candidate"),
    Rule("title.h1", "title", "the first <h1> agreeing with another candidate (or the only <h1>)"),
    Rule("title.tag", "title", "the <title>, site name stripped, is a title candidate"),
    Rule(
        "title.site_name",
        "title",
        "site name (og:site_name, publisher, host) stripped from candidates; a candidate that is the "
        "chosen one without a separated part ('Foo' for 'Foo - Full Text View') wins",
    ),
    Rule("date.meta", "date", "declared publication metas (article:published_time, dc.date.issued...)"),
    Rule(
        "date.headline",
        "date",
        "the first day written in the 300 characters after the headline <h1>",
        frozenset({"drk.de", "tagesschau.de", "caritas.de"}),
    ),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}
ALL_RULES: frozenset[str] = frozenset(RULES_BY_NAME)


def rules_of(field: Field) -> list[Rule]:
    """The rules serving ``field``."""
    return [rule for rule in RULES if rule.field == field]
