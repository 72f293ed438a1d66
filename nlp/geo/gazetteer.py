"""The gazetteer: every name variant of QPVs, communes, departments and regions, keyed for lookup."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.errors import ReferenceDataError
from nlp.geo.normalise import ARTICLES, QUARTIER_WORDS, name_key, name_tokens, strip_decorations
from nlp.geo.reference import ReferenceData

logger = logging.getLogger(__name__)

ALIASES_FILE = Path(__file__).with_name("aliases.yaml")
# words that say where in a town, not which neighbourhood: a QPV named only with these is "generic"
GENERIC_WORDS = frozenset(
    {
        "centre",
        "ville",
        "coeur",
        "historique",
        "ancien",
        "ancienne",
        "gare",
        "bourg",
        "nord",
        "sud",
        "est",
        "ouest",
        "elargi",
        "haut",
        "bas",
        "quartier",
        "quartiers",
        "cite",
        "cites",
        "residences",
        "de",
        "du",
        "la",
        "le",
        "les",
        "l",
        "et",
        "zone",
        "politique",
        "renovation",
        "ensemble",
        "grand",
        "grande",
        "mission",
        "residence",
        "village",
        "clos",
    }
)
# first names that open QPV names taken from people ("Jean Moulin", "Léo Lagrange", "Pablo Picasso")
FIRST_NAMES = frozenset(
    (
        "jean",
        "pierre",
        "paul",
        "jacques",
        "louis",
        "victor",
        "henri",
        "leo",
        "pablo",
        "marcel",
        "albert",
        "louise",
        "marie",
        "georges",
        "emile",
        "jules",
        "charles",
        "francois",
        "andre",
        "rene",
        "roger",
        "maurice",
        "camille",
        "gabriel",
        "anatole",
        "gustave",
        "edouard",
        "simone",
        "olympe",
        "rosa",
        "nelson",
        "salvador",
        "frederic",
        "max",
        "romain",
        "robert",
        "lucien",
        "eugene",
        "ernest",
        "michel",
        "claude",
        "guy",
        "alphonse",
        "honore",
        "hector",
        "aristide",
        "leon",
        "edgar",
        "arthur",
        "alfred",
        "auguste",
        "antoine",
        "theodore",
        "joseph",
        "maryse",
        "jeanne",
        "danielle",
        "martin",
        "jean-jacques",
        "lucie",
        "aime",
        "langevin",
        "irene",
    )
)
_PART_SPLIT = re.compile(r"\s+[-–—/]\s*|\s*[-–—/]\s+|[,;()/]|\s+et\s+")
_ARTICLE_SPLIT = re.compile(r"(?<=\w)\s+(?=(?:La|Le|Les)\s)")
_NOT_A_NAME = ARTICLES | {"saint", "sainte", "saints", "saintes"}  # "Saint- Éloi" must not give "Saint"
_ORIENTATION_TAIL = frozenset({"nord", "sud", "est", "ouest", "centre", "haut", "bas"})


@dataclass(frozen=True, slots=True)
class Entry:
    """What a key can mean: ``kind`` is qpv, commune, former, department or region."""

    kind: str
    code: str
    weight: float  # 1.0 for the full official name, lower for a part or variant
    generic: bool = False


def is_generic(tokens: list[str]) -> bool:
    """True when a neighbourhood name says only "centre", "gare", "quartier nord"..."""
    return all(t in GENERIC_WORDS for t in tokens)


def qpv_name_variants(name: str) -> list[tuple[list[str], float]]:
    """Keys of a QPV name: the whole name, its parts ("Ariane - Le Manoir"), without articles/tails."""
    variants: list[tuple[list[str], float]] = [(name_tokens(name), 1.0)]
    parts = [p for p in _PART_SPLIT.split(name) if p and p.strip()]
    parts = [q for p in parts for q in _ARTICLE_SPLIT.split(p) if q.strip()]  # "La Castellane La Bricarde"
    if len(parts) > 1:
        variants += [(name_tokens(p), 0.85) for p in parts]
    out: list[tuple[list[str], float]] = []
    for tokens, weight in variants:
        stripped = strip_decorations(tokens)
        out.append((tokens, weight))
        if all(t.isdigit() for t in stripped):
            continue  # "Quartier du 3/15" must not become any "3,15" in a text
        if stripped != tokens:
            out.append((stripped, weight))
        if len(stripped) > 1 and stripped[-1] in _ORIENTATION_TAIL:
            out.append((stripped[:-1], weight * 0.9))
    return [(t, w) for t, w in out if t and not (len(t) == 1 and (len(t[0]) < 3 or t[0] in _NOT_A_NAME))]


def _inflections(word: str) -> set[str]:
    """Masculine/feminine, singular/plural forms of a demonym: nantais -> nantaise(s)."""
    forms = {word}
    if word.endswith("ien"):
        forms |= {word + "s", word + "ne", word + "nes"}
    elif word.endswith("s"):
        forms |= {word + "e", word + "es"}
    elif word.endswith("eau"):
        forms |= {word + "x", word[:-3] + "elle", word[:-3] + "elles"}
    else:
        forms |= {word + "s", word + "e", word + "es"}
    return forms


class Gazetteer:
    """A dictionary from folded name keys to the places they may denote."""

    def __init__(self, ref: ReferenceData, aliases_file: Path = ALIASES_FILE) -> None:
        self.ref = ref
        self.index: dict[str, list[Entry]] = {}
        self.demonyms: dict[str, str] = {}  # "nantaises" -> 44109
        self.town_by_key: dict[str, str] = {}  # "saint denis" -> 93066 (most populous homonym)
        self.first_tokens: dict[str, int] = {}  # first word of a key -> longest key length in words
        self._add_communes()
        self._add_qpvs()
        self._add_admin()
        self._add_aliases(aliases_file)
        for key in self.index:
            words = key.split(" ")
            self.first_tokens[words[0]] = max(self.first_tokens.get(words[0], 0), len(words))
        self.max_tokens = max(self.first_tokens.values())
        logger.debug("gazetteer keys=%d max_tokens=%d", len(self.index), self.max_tokens)

    def _add(self, tokens: list[str], entry: Entry) -> None:
        key = " ".join(tokens)
        bucket = self.index.setdefault(key, [])
        for i, old in enumerate(bucket):
            if old.kind == entry.kind and old.code == entry.code:
                if entry.weight > old.weight:
                    bucket[i] = entry
                return
        bucket.append(entry)

    def _add_communes(self) -> None:
        for commune in sorted(self.ref.communes.values(), key=lambda c: c.population):
            if commune.parent:  # arrondissements are read by a pattern, not by name
                continue
            tokens = name_tokens(commune.name)
            self.town_by_key[" ".join(tokens)] = commune.insee  # the most populous homonym wins
            if all(t in GENERIC_WORDS or t in QUARTIER_WORDS for t in tokens):
                continue  # "Le Quartier", "La Ville": never meant as a town in our texts
            self._add(tokens, Entry("commune", commune.insee, 1.0))
            if (
                len(tokens) > 1
                and tokens[0] in ARTICLES
                and (len(tokens[1]) > 3 or len(tokens) > 3)  # "au Puy-en-Velay", not "au Mée"
                and tokens[1:] != ["saint"]
            ):
                self._add(tokens[1:], Entry("commune", commune.insee, 0.8))  # "au Havre", "du Mans"
        current = {insee: key for key, insee in self.town_by_key.items()}
        for name, insee in self.ref.former_communes.items():
            if name_key(name) != current.get(insee):
                self._add(name_tokens(name), Entry("former", insee, 0.9))

    def _add_qpvs(self) -> None:
        for qpv in self.ref.qpvs.values():
            for tokens, weight in qpv_name_variants(qpv.name):
                self._add(tokens, Entry("qpv", qpv.code, weight, is_generic(strip_decorations(tokens))))

    def _add_admin(self) -> None:
        for code, (name, _reg) in self.ref.departments.items():
            self._add(name_tokens(name), Entry("department", code, 1.0))
        for code, name in self.ref.regions.items():
            self._add(name_tokens(name), Entry("region", code, 1.0))
        self._add(["paca"], Entry("region", "93", 1.0))
        self._add(["idf"], Entry("region", "11", 0.9))

    def _add_aliases(self, path: Path) -> None:
        """Team-written aliases: older or popular neighbourhood names -> QPV codes."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ReferenceDataError(
                f"cannot read alias table {path}: {exc}", hint="fix the YAML syntax"
            ) from exc
        self._add_commune_aliases(path, data)
        for item in data.get("qpv_aliases", []):
            code = item.get("code")
            if code not in self.ref.qpvs:
                raise ReferenceDataError(
                    f"alias table {path}: unknown QPV code {code!r} for {item.get('names')}",
                    hint="use a code from qpv_2024.csv (QN...)",
                )
            for alias in item.get("names", []):
                tokens = strip_decorations(name_tokens(alias))
                if all(t.isdigit() for t in tokens):
                    tokens = name_tokens(alias)  # "Les 4000" must not become any "4000"
                self._add(tokens, Entry("qpv", code, float(item.get("weight", 0.85))))

    def _add_commune_aliases(self, path: Path, data: dict[str, Any]) -> None:
        by_name = self.town_by_key
        for section, kind in (("commune_aliases", "alias"), ("demonyms", "demonym")):
            for alias, town in (data.get(section) or {}).items():
                insee = by_name.get(name_key(str(town)))
                if insee is None:
                    raise ReferenceDataError(
                        f"alias table {path}: {section} {alias!r} names unknown commune {town!r}",
                        hint="write the official commune name as in communes.csv",
                    )
                if kind == "alias":
                    self._add(name_tokens(str(alias)), Entry("commune", insee, 0.95))
                else:
                    for form in _inflections(name_key(str(alias))):
                        self.demonyms[form] = insee

    def lookup(self, key: str) -> list[Entry]:
        """Entries of an exact key (empty list when unknown)."""
        return self.index.get(key, [])
