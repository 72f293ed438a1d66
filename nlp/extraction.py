"""Extraction of initiatives from French text: names, carrier organisations, evidence sentences."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_INITIATIVES = 12
MAX_EVIDENCE = 3

_CAP = r"[A-ZÀ-ÖØ-Þ0-9][\w’'&.\-]*"
_LINK = r"(?:\s+(?:de|du|des|la|le|les|l’|l'|d’|d'|et|en|à|au|pour|&)\s*|\s+|-)"
CAP_NAME = rf"{_CAP}(?:{_LINK}{_CAP}){{0,6}}"
QUOTED = r"[«“\"]\s*([^«»“”\"\n]{3,80}?)\s*[»”\"]"

_PROJECT_NOUNS = (
    "projet|programme|dispositif|opération|initiative|plateforme|application|appli|tiers-lieu|"
    "festival|chantier|atelier|ateliers|concept|service|bus|lieu|café|épicerie|garage|ressourcerie|"
    "recyclerie|jardin|ferme|micro-ferme|fablab|laboratoire|académie|école|incubateur|label|marque|"
    "campagne|magazine|média|web-radio|radio|marché|boutique|conciergerie|maison|parcours|fonds"
)
_CARRIER_NOUNS = (
    "association|entreprise|société|start-up|startup|coopérative|scic|scop|fondation|régie de quartier|"
    "régie|centre social|collectif|fédération|mission locale|bailleur|structure|compagnie|club|"
    "ville de|mairie de|métropole de|communauté d'agglomération|commune de"
)
_NAME_RE = re.compile(
    rf"\b(?:le|la|les|l’|l'|un|une|du|au)\s*(?:nouvel(?:le)?\s+)?(?:{_PROJECT_NOUNS})\s+"
    rf"(?:{QUOTED}|({CAP_NAME}))"
)
_CARRIER_RE = re.compile(
    rf"\b(?i:(?:l’|l'|la|le|les|une|un|de|par|avec)?\s*(?:{_CARRIER_NOUNS}))\s+(?:{QUOTED}|({CAP_NAME}))"
)
_PORTED_RE = re.compile(
    rf"\b(?:porté|portée|portés|lancé|lancée|créé|créée|fondé|fondée)\s+par\s+({CAP_NAME})"
)
_QUOTED_RE = re.compile(QUOTED)
_LIST_ITEM = re.compile(r"^\s*(?:[-•*–·▪]|\d{1,2}[.)°])\s*(.{8,})$|^\s*([^:\n]{3,90})\s*[:–]\s+(.{20,})$")
_CUES = re.compile(
    r"\b(lanc|cré|inaugur|ouvr|propos|accompagn|port[ée]|développ|expériment|mis en place|mise en place|"
    r"nouve|innov|habitants|quartier|projet|association|initiative|dispositif|lauréat)",
    re.I,
)
_GENERIC = {"le", "la", "les", "de", "un", "une", "ce", "cette", "il", "elle", "ils", "en", "à", "et"}


@dataclass
class InitiativeMention:
    """One initiative found in a text, before geography is attached."""

    name: str | None
    carrier: str | None
    evidence: list[str] = field(default_factory=list)


def _clean_name(raw: str | None) -> str | None:
    if not raw:
        return None
    name = raw.strip(" .,;:!?-–’'\"«»“”")
    words = name.split()
    while words and words[-1].lower() in _GENERIC:
        words.pop()
    name = " ".join(words)
    if len(name) < 3 or name.lower() in _GENERIC or name.isdigit():
        return None
    return name


def find_names(sentence: str) -> list[str]:
    """Initiative names in a sentence: 'le projet X', quoted names, in order of appearance."""
    found: list[tuple[int, str]] = []
    for m in _NAME_RE.finditer(sentence):
        name = _clean_name(m.group(1) or m.group(2))
        if name:
            found.append((m.start(), name))
    for m in _QUOTED_RE.finditer(sentence):
        name = _clean_name(m.group(1))
        if name and len(name.split()) <= 8 and name[0].isupper():
            found.append((m.start(), name))
    return _unique([n for _, n in sorted(found)])


def find_carriers(sentence: str, org_entities: Sequence[str] = ()) -> list[str]:
    """Carrier organisations: 'l'association X', 'porté par X', then spaCy ORG entities."""
    found: list[tuple[int, str]] = []
    for m in _CARRIER_RE.finditer(sentence):
        name = _clean_name(m.group(1) or m.group(2))
        if name:
            prefix = m.group(0)[: m.group(0).find(name)].strip()
            noun = re.sub(r"^(?:l’|l'|la|le|les|une|un|de|par|avec)\s*", "", prefix, flags=re.I)
            found.append(
                (m.start(), f"{noun} {name}" if noun.lower().startswith(("ville", "mairie")) else name)
            )
    for m in _PORTED_RE.finditer(sentence):
        name = _clean_name(m.group(1))
        if name:
            found.append((m.start(), name))
    carriers = [n for _, n in sorted(found)]
    return _unique(carriers + [o for o in org_entities if o in sentence])


def _unique(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        key = name.lower()
        if key not in seen and not any(key in s for s in seen):
            seen.add(key)
            out.append(name)
    return out


def _best_evidence(sentences: Sequence[str], scores: Sequence[float] | None, limit: int) -> list[str]:
    """The sentences most indicative of an initiative (classifier score, then cue words)."""
    ranked = []
    for i, sent in enumerate(sentences):
        if len(sent) < 25:
            continue
        cue = 1.0 if _CUES.search(sent) else 0.0
        score = (scores[i] if scores is not None else 0.0) + 0.2 * cue
        ranked.append((score, i))
    best = sorted(ranked, reverse=True)[:limit]
    return [sentences[i].strip() for _, i in sorted(best, key=lambda x: x[1])]


def iter_list_items(text: str) -> list[str]:
    """Lines of a list (bullets, numbers, 'Name : description'), as in lists of laureates."""
    items = []
    for line in text.split("\n"):
        m = _LIST_ITEM.match(line)
        if m:
            items.append(line.strip())
    return items


def extract_initiatives(
    text: str,
    sentences: Sequence[str],
    *,
    org_entities: Sequence[str] = (),
    sentence_scores: Sequence[float] | None = None,
    laureates: bool = False,
) -> list[InitiativeMention]:
    """The initiatives of a text: one per list item for laureates lists, else one per distinct name."""
    if laureates:
        listed = _from_list_items(text, org_entities)
        if len(listed) >= 2:
            return listed[:MAX_INITIATIVES]
    mentions: dict[str, InitiativeMention] = {}
    for sent in sentences:
        for name in find_names(sent):
            if name.lower() not in mentions and len(mentions) < MAX_INITIATIVES:
                carriers = find_carriers(sent, org_entities)
                mentions[name.lower()] = InitiativeMention(name, carriers[0] if carriers else None)
    all_carriers = _unique([c for s in sentences for c in find_carriers(s, org_entities)])
    if not mentions:
        evidence = _best_evidence(sentences, sentence_scores, MAX_EVIDENCE)
        return [InitiativeMention(None, all_carriers[0] if all_carriers else None, evidence)]
    for mention in mentions.values():
        assert mention.name is not None
        own = [s for s in sentences if mention.name.lower() in s.lower()]
        mention.evidence = [s.strip() for s in own[:MAX_EVIDENCE]]
        if mention.carrier is None:
            near = [c for s in own for c in find_carriers(s, org_entities) if c != mention.name]
            mention.carrier = near[0] if near else (all_carriers[0] if all_carriers else None)
        if mention.carrier == mention.name:
            mention.carrier = None
    return list(mentions.values())


def _from_list_items(text: str, org_entities: Sequence[str]) -> list[InitiativeMention]:
    out: list[InitiativeMention] = []
    for item in iter_list_items(text):
        names = find_names(item)
        carriers = find_carriers(item, org_entities)
        head = re.split(r"\s*[:–(]\s*", item.lstrip("-•*–·▪0123456789.) °"), maxsplit=1)[0]
        name = names[0] if names else _clean_name(head if len(head.split()) <= 8 else None)
        if name:
            carrier = next((c for c in carriers if c != name), None)
            out.append(InitiativeMention(name, carrier, [item]))
    return out
