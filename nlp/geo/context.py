"""What a whole text says about places, shared by the commune and QPV resolution steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.geo.codes import ArrondissementMention
from nlp.geo.mentions import Mention
from nlp.geo.normalise import Token
from nlp.geo.results import QpvLink


@dataclass
class LinkContext:
    """What the whole text says, used to choose between homonyms."""

    text: str
    tokens: list[Token]
    mentions: list[Mention]
    postal: dict[str, tuple[str, ...]]
    arrondissements: list[ArrondissementMention]
    departments: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    department_spans: list[tuple[int, str]] = field(default_factory=list)  # (offset, code) of each mention
    qpv_hosts: set[str] = field(default_factory=set)  # communes hosting a named non-generic QPV
    entity_spans: list[tuple[int, int, str]] = field(default_factory=list)
    has_doc: bool = False
    guesses: list[QpvLink] = field(default_factory=list)  # "quartier X" names not in the gazetteer
    lower_words: set[str] = field(default_factory=set)  # words also written in lower case in the text
    named_insees: dict[int, set[str]] = field(default_factory=dict)  # mention start -> towns named elsewhere
    url_towns: dict[str, float] = field(default_factory=dict)  # INSEE -> strength of the page URL's evidence
    town_mentions: list[tuple[Mention, str]] = field(default_factory=list)  # mention -> chosen INSEE
    lead_town: bool = False  # a sure town is named in the title or lead
    lead_towns: set[str] = field(default_factory=set)  # those sure towns of the title or lead
    url_departments: set[str] = field(default_factory=set)  # departments the page URL names
    url: str = ""  # the page URL, evidence of the towns only it names
    site_towns: set[str] = field(default_factory=set)  # URL towns strong enough to stand for a named town


def entity_label(ctx: LinkContext, mention: Mention) -> str | None:
    """The spaCy label over a mention, "" when spaCy saw no entity there, None without a spaCy doc."""
    if not ctx.has_doc:
        return None
    for start, end, label in ctx.entity_spans:
        if start <= mention.start < end or mention.start <= start < mention.end:
            return str(label)
    return ""


# how a spaCy label over a town mention changes its confidence. Chosen on the seed set (both halves):
# LOC/GPE +0.1 lifted towns named in passing more than it found missed ones, and "no entity" -0.05 or
# ORG -0.1 dropped real towns spaCy missed or read inside a club's name; a person's name stays a veto
TOWN_ENTITY_ADJUSTMENT = {"LOC": 0.0, "GPE": 0.0, "PER": -0.25, "ORG": -0.05, "MISC": -0.05, "": 0.0}


def entity_adjustment(ctx: LinkContext, mention: Mention) -> float:
    """spaCy entities, when given, weaken a town mention spaCy reads as a person (PER), ORG or MISC."""
    label = entity_label(ctx, mention)
    return 0.0 if label is None else TOWN_ENTITY_ADJUSTMENT.get(label, 0.0)
