"""Vocabulary bridging: a small French synonym thesaurus of the field, read the way documents are analysed.

Analysts write « seniors isolés », « réemploi », « changer l'image »; pages write « personnes âgées »,
« ressourcerie », « fresque ». A `Thesaurus` holds synonym groups (`data/search/thesaurus.txt`, written
from domain knowledge, not from judged queries); a query naming one entry of a group is also searched
with the other entries. Documents are indexed with one concept term per group occurrence (`concept_terms`,
field `concepts_an` of both backends): a query's groups are searched as a second BM25 list over those
terms, one term per group (as Lucene's SynonymQuery scores synonyms as one term), mixed into the keyword
list with a small weight (`ranking.py`). Entries are analysed with `french.analyze`, so matching works on
the same terms both backends index. Changing the file needs `vigie index --rebuild`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from core.errors import InputError
from search_api.engines.french import analyze

DEFAULT_THESAURUS = Path(__file__).resolve().parents[2] / "data" / "search" / "thesaurus.txt"
SEPARATOR = "|"
# Concept terms start with this; `french.analyze` yields [a-z0-9] only, so no word can collide with them.
CONCEPT_PREFIX = "syn_"


@dataclass(frozen=True)
class Thesaurus:
    """Synonym groups, each a tuple of entries, each entry the tuple of its analysed terms."""

    groups: tuple[tuple[tuple[str, ...], ...], ...]

    @classmethod
    def from_lines(cls, lines: Iterable[str], source: str = "<lines>") -> Thesaurus:
        """Parse ``entry | entry | ...`` lines; ``#`` starts a comment, blank lines are skipped."""
        groups = []
        for number, line in enumerate(lines, start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            entries = tuple(dict.fromkeys(t for t in (tuple(analyze(e)) for e in line.split(SEPARATOR)) if t))
            if len(entries) < 2:
                raise InputError(
                    f"{source}:{number}: a synonym group needs two entries with words, got {line!r}",
                    hint=f"separate the synonyms with {SEPARATOR!r}, or remove the line",
                )
            groups.append(entries)
        return cls(tuple(groups))

    @classmethod
    def load(cls, path: Path = DEFAULT_THESAURUS) -> Thesaurus:
        """Read a thesaurus file (UTF-8, one group a line)."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot read the search thesaurus {path}: {exc.strerror}",
                hint="check the path, or turn vocabulary bridging off (thesaurus_weight=0)",
            ) from exc
        return cls.from_lines(text.splitlines(), str(path))

    @cached_property
    def _by_first(self) -> dict[str, list[tuple[int, tuple[str, ...]]]]:
        out: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for index, group in enumerate(self.groups):
            for entry in group:
                out.setdefault(entry[0], []).append((index, entry))
        return out

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """The concept term of each group: the prefix and its first entry's terms."""
        return tuple(CONCEPT_PREFIX + "_".join(group[0]) for group in self.groups)

    def concept_terms(self, terms: Sequence[str]) -> list[str]:
        """One concept term per place where an entry of a group starts (matched like `expand`)."""
        out = []
        for i, term in enumerate(terms):
            starts = [term[:size] for size in range(PREFIX_MIN, len(term))] + [term]
            found: set[int] = set()
            for start in starts:
                for index, entry in self._by_first.get(start, ()):
                    if index not in found and _starts_at(terms, i, entry):
                        found.add(index)
                        out.append(self.keys[index])
        return out

    def query_concepts(self, terms: Sequence[str]) -> list[str]:
        """The distinct concept terms of a query, in order."""
        return list(dict.fromkeys(self.concept_terms(terms)))

    def expand(self, terms: Sequence[str], limit: int = 0) -> list[str]:
        """Terms of the other entries of every group one of whose entries the query contains (its terms
        in order, side by side; a query term matches an entry term it starts with, five letters or more),
        query terms excluded, in group order; at most ``limit`` (0: all)."""
        out: dict[str, None] = {}
        present = set(terms)
        for group in self.groups:
            matched = [e for e in group if _contains(terms, e)]
            if not matched:
                continue
            for entry in group:
                if entry in matched:
                    continue
                for term in entry:
                    if term not in present:
                        out.setdefault(term)
        found = list(out)
        return found[:limit] if limit > 0 else found


# Snowball leaves verb forms apart from their noun (« réparent » -> reparent, « réparation » -> repar):
# a query term also matches an entry term of at least this many letters that it starts with.
PREFIX_MIN = 5


def _same(query_term: str, entry_term: str) -> bool:
    return query_term == entry_term or (len(entry_term) >= PREFIX_MIN and query_term.startswith(entry_term))


def _starts_at(terms: Sequence[str], i: int, entry: tuple[str, ...]) -> bool:
    return i + len(entry) <= len(terms) and all(_same(terms[i + k], entry[k]) for k in range(len(entry)))


def _contains(terms: Sequence[str], entry: tuple[str, ...]) -> bool:
    return any(_starts_at(terms, i, entry) for i in range(len(terms) - len(entry) + 1))


@lru_cache(maxsize=4)
def load_thesaurus(path: Path = DEFAULT_THESAURUS) -> Thesaurus:
    """The thesaurus of a file, read once per process."""
    return Thesaurus.load(path)


def concept_string(terms: Sequence[str], thesaurus: Thesaurus | None = None) -> str:
    """The concept terms of a document's analysed terms (title then text), space-separated: what both
    backends index in ``concepts_an``."""
    return " ".join((thesaurus or load_thesaurus()).concept_terms(terms))
