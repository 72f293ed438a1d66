"""Places named by a page URL: a town's own site, a press section, an article slug, a department."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from nlp.geo.gazetteer import Gazetteer
from nlp.geo.normalise import fold

# how strongly each kind of URL evidence says "the text is about this town"
HOST_STRENGTH = 1.0  # agenda21.lorient.fr, www.ville-grigny91.fr, reze.fr, clermontmetropole.eu
SECTION_STRENGTH = 0.8  # a whole path segment: /tours/..., /bretagne/ille-et-vilaine/rennes/...
SLUG_LOCATIVE_STRENGTH = 0.7  # an article slug saying "...-a-perpignan-..." or starting with the town
SLUG_STRENGTH = 0.4  # any other slug word: only a tie-breaker for towns the text names itself

# words of a host that say "the town's (or its agglomeration's) own site" around the name
_HOST_PREFIXES = ("ville-de-", "mairie-de-", "ville-", "mairie-", "villede", "mairiede", "ville", "mairie")
_AGGLO_SUFFIXES = ("-metropole", "metropole", "-agglomeration", "agglomeration", "-agglo", "agglo", "-metro")
_AGGLO_PREFIXES = ("agglo-", "agglo", "metropole-", "grand-", "grand")
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_LOCATIVES = frozenset({"a", "au", "aux"})
_SKIP_SEGMENTS = frozenset({"www", "fr", "com", "org", "net", "eu", "info", "html", "php", "htm"})
_MIN_SLUG_POPULATION = 2000  # a small town's name in a slug is too often a common word ("lance")


@dataclass
class UrlPlaces:
    """What a URL says: INSEE -> strength (the strongest evidence), department codes."""

    towns: dict[str, float] = field(default_factory=dict)
    departments: set[str] = field(default_factory=set)

    def add(self, insee: str, strength: float) -> None:
        self.towns[insee] = max(strength, self.towns.get(insee, 0.0))


class UrlReader:
    """Reads town and department names in URLs with the linker's gazetteer."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.ref = gazetteer.ref
        self._compact: dict[str, list[str]] | None = None  # "villerslesnancy" -> INSEE codes
        self._dep_by_key = {" ".join(_words(name)): code for code, (name, _r) in self.ref.departments.items()}

    def read(self, url: str | None) -> UrlPlaces:
        """Towns and departments named by ``url`` (empty for None or a URL without places)."""
        if not url:
            return UrlPlaces()
        return self._read_cached(url)

    @lru_cache(maxsize=4096)  # noqa: B019 - one reader per linker, linkers are cached for the process
    def _read_cached(self, url: str) -> UrlPlaces:
        places = UrlPlaces()
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return places
        host = (parts.hostname or "").lower()
        labels = [label for label in host.split(".")[:-1] if label not in _SKIP_SEGMENTS]
        for label in labels:
            self._read_host_label(label, places)
        segments = [s for s in unquote(parts.path).split("/") if s]
        for number, segment in enumerate(segments):
            self._read_segment(segment, places, last=number == len(segments) - 1)
        if places.departments:
            # a homonym in a department the URL names is the one meant ("/seine-saint-denis-93/saint-denis")
            for insee in list(places.towns):
                if self.ref.communes[insee].dep_code not in places.departments:
                    homonyms = self._same_name_in(insee, places.departments)
                    if homonyms:
                        strength = places.towns.pop(insee)
                        for other in homonyms:
                            places.add(other, strength)
        return places

    # ------------------------------------------------------------------ host
    def _read_host_label(self, label: str, places: UrlPlaces) -> None:
        if label.isdigit():
            if label in self.ref.departments:
                places.departments.add(label)  # 94.citoyens.com
            return
        name = label
        for prefix in _HOST_PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix) + 2:
                name = name[len(prefix) :]
                break
        digits = re.search(r"-?(\d{2,3})$", name)
        number = ""
        if digits:
            number, name = digits.group(1), name[: digits.start()]
        compact = name.replace("-", "")
        if len(compact) < 4:
            return
        dep = next((c for k, c in self._dep_by_key.items() if k.replace(" ", "") == compact), None)
        if dep is not None:
            places.departments.add(dep)  # lemag.seinesaintdenis.fr, vaucluse.gouv.fr
            return
        towns = self._towns_of_compact(compact)
        if towns:
            if number in self.ref.departments:
                places.departments.add(number)  # ville-grigny91 (not agenda21, actu17: no town there)
            self._add_best(towns, places, HOST_STRENGTH)
            return
        core = _strip_agglo(name)
        if core is not None and len(core) >= 4:
            # an agglomeration named after its main town, often shortened ("clermontmetropole")
            insee = self._main_town_starting_with(core)
            if insee is not None:
                places.add(insee, HOST_STRENGTH)

    # ------------------------------------------------------------------ path
    def _read_segment(self, segment: str, places: UrlPlaces, last: bool) -> None:
        segment = re.sub(r"\.(html?|php|aspx?|jsp)$", "", segment.lower())
        words = _words(segment)
        numbers = [w for w in words if w.isdigit()]
        words = [w for w in words if not w.isdigit()]
        if not words:
            return
        key = " ".join(words)
        dep = self._dep_by_key.get(key)
        if dep is not None:
            places.departments.add(dep)  # /val-d-oise/, /seine-saint-denis-93/
            return
        if any(e.kind in ("department", "region") for e in self.gazetteer.lookup(key)):
            return  # /bretagne/: the region, not the village of that name
        whole = self._towns_of_key(key)
        if len(words) == 1:
            # "/tours/" yes; "/son/", "/us/", "/die/" are words first (small towns of that name)
            whole = [
                t for t in whole if len(key) >= 4 and self.ref.communes[t].population >= _MIN_SLUG_POPULATION
            ]
        if whole and len(words) <= 5 and not (last and len(numbers) > 0 and len(words) > 3):
            self._add_best(whole, places, SECTION_STRENGTH)
            for number in numbers:
                if number in self.ref.departments:
                    places.departments.add(number)
            return
        if len(words) < 3:
            return  # a short segment that is no place: "actualites", "a-la-une"
        self._read_slug(words, places, last)

    def _read_slug(self, words: list[str], places: UrlPlaces, last: bool) -> None:
        """Town names inside an article slug; the strongest after "a"/"au" or as the slug's first word."""
        i = 0
        longest = self.gazetteer.max_tokens
        while i < len(words):
            found: tuple[int, list[str]] | None = None
            for size in range(min(longest, len(words) - i), 0, -1):
                key = " ".join(words[i : i + size])
                dep = self._dep_by_key.get(key)
                if dep is not None:
                    found = (size, [])  # "seine-saint-denis" in a slug is not the town Saint-Denis
                    break
                towns = self._towns_of_key(key)
                if towns:
                    found = (size, towns)
                    break
            if found is None:
                i += 1
                continue
            size, towns = found
            locative = (i == 0 and last) or (i > 0 and words[i - 1] in _LOCATIVES)
            big = [t for t in towns if self.ref.communes[t].population >= _MIN_SLUG_POPULATION]
            if big:
                self._add_best(big, places, SLUG_LOCATIVE_STRENGTH if locative else SLUG_STRENGTH)
            i += size

    # ------------------------------------------------------------------ lookups
    def _towns_of_key(self, key: str) -> list[str]:
        entries = self.gazetteer.lookup(key)
        return [e.code for e in entries if e.kind == "commune" and e.weight >= 0.8]

    def _towns_of_compact(self, compact: str) -> list[str]:
        if self._compact is None:
            table: dict[str, list[str]] = {}
            for key, entries in self.gazetteer.index.items():
                codes = [e.code for e in entries if e.kind == "commune" and e.weight >= 0.8]
                if codes:
                    table.setdefault(key.replace(" ", ""), []).extend(codes)
            self._compact = table
        return self._compact.get(compact, [])

    def _add_best(self, towns: list[str], places: UrlPlaces, strength: float) -> None:
        """Homonyms: those in a department the URL names, else every one (the text chooses)."""
        in_dep = [t for t in towns if self.ref.communes[t].dep_code in places.departments]
        for insee in in_dep or towns:
            places.add(insee, strength)

    def _same_name_in(self, insee: str, departments: set[str]) -> list[str]:
        name = self.ref.communes[insee].name
        return [
            c.insee
            for c in self.ref.communes.values()
            if c.dep_code in departments and c.name == name and c.insee != insee
        ]

    def _main_town_starting_with(self, core: str) -> str | None:
        compact = core.replace("-", "")
        best = None
        for key, codes in (self._compact or {}).items():
            if key.startswith(compact):
                for code in codes:
                    commune = self.ref.communes[code]
                    if best is None or commune.population > self.ref.communes[best].population:
                        best = code
        return best


def _strip_agglo(name: str) -> str | None:
    """ "clermontmetropole" -> "clermont", "agglo-pau" -> "pau"; None when no such word is there."""
    for suffix in _AGGLO_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)].strip("-")
    for prefix in _AGGLO_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :].strip("-")
    return None


def _words(text: str) -> list[str]:
    return [fold(w) for w in _WORD_RE.findall(text.lower())]
