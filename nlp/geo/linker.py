"""The geography linker: text -> QPVs, communes, departments, regions and the in-QPV decision."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp.geo import decision
from nlp.geo.codes import (
    find_arrondissements,
    find_department_numbers,
    find_postal_codes,
    make_arrondissement_index,
)
from nlp.geo.communes import CommuneResolver
from nlp.geo.context import LinkContext, entity_label
from nlp.geo.foreign import (
    FOREIGN_CONFIDENCE,
    ForeignPlace,
    find_foreign_places,
    read_foreign_url,
)
from nlp.geo.gazetteer import FIRST_NAMES, Entry, Gazetteer
from nlp.geo.geocoder import CentroidGeocoder, Geocoder
from nlp.geo.guessing import guess_quartiers
from nlp.geo.in_qpv import QPV_DECISION_THRESHOLD, decide_passage
from nlp.geo.locating import link_points
from nlp.geo.mentions import Mention, find_mentions
from nlp.geo.normalise import Token, fold_text, name_key, tokenize
from nlp.geo.reference import ReferenceData, load_reference
from nlp.geo.results import CommuneLink, ForeignPlaceLink, GeoResult, QpvLink
from nlp.geo.roles import RoleModel, describe_communes, load_role_model, rescore_communes
from nlp.geo.urls import SECTION_STRENGTH, UrlReader

if TYPE_CHECKING:
    from nlp.geo.spatial import QpvPolygonIndex  # loaded on first use: shapely is slow to import

logger = logging.getLogger(__name__)

NAMED_WITH_CHARS = 60  # a town named this close before a QPV name is the QPV's town
MIN_QPV_CONFIDENCE = 0.3
DEPARTMENT_LEAD = frozenset({"le", "la", "l", "du", "de", "d", "des", "en", "dans", "departement"})
NO_TOWN_QPV = 0.5  # base confidence of a unique QPV name whose town is not named
POINT_CONFIDENCE = 0.9  # a point (coordinates, geocoded address) inside the polygon
URL_FOREIGN_BONUS = 0.2  # a foreign town the page URL names too
SALIENCE = 0.5  # foreign towns far below the most named one are mentioned in passing


class GeoLinker:
    """Links French texts to places; build it once with ``load_linker`` and call ``link`` per text."""

    def __init__(
        self,
        ref: ReferenceData,
        gazetteer: Gazetteer,
        geocoder: Geocoder | None = None,
        roles: RoleModel | None = None,
    ) -> None:
        self.ref = ref
        self.roles = roles  # the learned reading of each commune's role; None: the rules' confidences
        self.gazetteer = gazetteer
        self.geocoder: Geocoder = geocoder or CentroidGeocoder(ref)
        self._arr_index = make_arrondissement_index(ref)
        self._communes = CommuneResolver(ref, gazetteer)
        self._urls = UrlReader(gazetteer)
        self._spatial: QpvPolygonIndex | None = None
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- public API
    def link(self, text: str, doc: Any = None, url: str | None = None) -> GeoResult:
        """Places named by ``text``; ``doc`` (spaCy Doc of the same text) adds its LOC/GPE/PER entities.

        ``url`` is the page the text comes from, when known (a city's own site says where it is).
        """
        return self._link(text, doc, url, None)

    def link_with_features(
        self, text: str, doc: Any = None, url: str | None = None
    ) -> tuple[GeoResult, list[tuple[str, dict[str, float]]]]:
        """``link`` plus the role features of each French commune candidate (INSEE, features), as the
        role model reads them: what `vigie train-geo-roles` learns from."""
        features: list[tuple[str, dict[str, float]]] = []
        return self._link(text, doc, url, features), features

    def _link(
        self, text: str, doc: Any, url: str | None, features: list[tuple[str, dict[str, float]]] | None
    ) -> GeoResult:
        tokens = tokenize(text)
        norms = [t.norm for t in tokens]
        mentions = find_mentions(text, tokens, self.gazetteer)
        postal = find_postal_codes(tokens, self.ref)
        arrondissements = find_arrondissements(text, self.ref, self._arr_index, postal)
        ctx = LinkContext(text, tokens, mentions, postal, arrondissements)
        if doc is not None:
            ctx.entity_spans = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
            ctx.has_doc = True
        self._collect_context(ctx)
        self._add_url_context(ctx, url)
        communes = self._communes.link(ctx)
        qpvs = self._link_qpvs(ctx, {c.insee for c in communes} | ctx.site_towns)
        self._boost_qpv_hosts(communes, qpvs)
        self._communes.add_site_towns(ctx, communes)
        ctx.guesses = guess_quartiers(text, self.ref, communes, qpvs)
        known = {q.code for q in qpvs}
        qpvs += [g for g in ctx.guesses if g.code not in known]
        self._communes.demote_capital(ctx, communes)
        self._communes.apply_salience(communes)
        self._communes.share_enumerations(ctx, communes)
        result = GeoResult(qpvs=qpvs, communes=communes)
        abroad = self._foreign_url(url)
        if self._is_foreign(norms, result, ctx, abroad):
            places = self._foreign_places(text, tokens, abroad)
            return GeoResult(foreign=True, foreign_places=places, in_qpv=False, in_qpv_reason="foreign")
        if features is not None:
            rows = describe_communes(self.ref, ctx, communes, qpvs)
            features += [(c.insee, row) for c, row in zip(communes, rows, strict=True)]
        if self.roles is not None:
            rescore_communes(self.roles, self.ref, ctx, communes, qpvs)
        result.points = link_points(
            text, self.geocoder, self.locate_point, communes[0].insee if communes else None
        )
        self._add_point_qpvs(result)
        result.departments, result.regions = self._admin_codes(ctx, communes, qpvs)
        decided = decide_passage(self.ref, fold_text(text), result.qpvs, communes, ctx)
        result.in_qpv, result.in_qpv_reason = decided
        links: list[QpvLink | CommuneLink] = [*result.qpvs, *result.communes]
        for link in links:
            link.evidence = link.evidence or text[link.start : link.end]
        return result

    def locate_point(self, lat: float, lon: float) -> tuple[str | None, float]:
        """The QPV containing (lat, lon), if any, and the distance in metres to the nearest QPV."""
        return self.spatial.locate(lat, lon)

    def nearest_qpv(self, lat: float, lon: float) -> tuple[str, float]:
        """The nearest QPV code and its distance in metres (0 inside); some measures apply within 300 m."""
        return self.spatial.nearest(lat, lon)

    @property
    def spatial(self) -> QpvPolygonIndex:
        """The QPV polygon index, loaded on first use (it is not needed for text linking)."""
        with self._lock:
            if self._spatial is None:
                from nlp.geo.spatial import QpvPolygonIndex

                self._spatial = QpvPolygonIndex.from_reference_dir(self.ref.directory)
            return self._spatial

    def _add_point_qpvs(self, result: GeoResult) -> None:
        """A point inside a QPV polygon names that QPV with high confidence."""
        known = {q.code: q for q in result.qpvs}
        for point in result.points:
            if not point.qpv_code or point.qpv_code not in self.ref.qpvs:
                continue
            link = known.get(point.qpv_code)
            if link is not None:
                link.confidence = max(link.confidence, POINT_CONFIDENCE)
                continue
            qpv = self.ref.qpvs[point.qpv_code]
            insee = qpv.insees[0]
            commune = self.ref.communes[insee].name if insee in self.ref.communes else ""
            link = QpvLink(
                qpv.code, qpv.name, commune, insee, POINT_CONFIDENCE, point.evidence, point.start, point.end
            )
            result.qpvs.append(link)
            known[qpv.code] = link
        result.qpvs.sort(key=lambda q: -q.confidence)

    # ---------------------------------------------------------------- context
    def _collect_context(self, ctx: LinkContext) -> None:
        for mention in ctx.mentions:
            for entry in mention.entries:
                if entry.kind == "department" and self._department_is_meant(mention):
                    ctx.departments.add(entry.code)
                    ctx.department_spans.append((mention.start, entry.code))
                elif entry.kind == "region":
                    ctx.regions.add(entry.code)
            qpv_entries = self._named_with_town(ctx, mention, [e for e in mention.entries if e.kind == "qpv"])
            qpv_entries = [e for e in qpv_entries if not e.generic]
            if 0 < len(qpv_entries) <= 3 and not mention.after_street_word:
                for entry in qpv_entries:
                    ctx.qpv_hosts.update(self.ref.qpvs[entry.code].insees)
        all_towns = [
            (m.start, {e.code for e in m.entries if e.kind in ("commune", "former")}) for m in ctx.mentions
        ]
        for mention in ctx.mentions:
            ctx.named_insees[mention.start] = {
                i for start, codes in all_towns if start != mention.start for i in codes
            }
        numbers = find_department_numbers(ctx.text, self.ref)
        ctx.departments.update(code for _, code in numbers)
        ctx.department_spans += numbers
        ctx.lower_words = {t.norm for t in ctx.tokens if not t.capital}
        for insees in ctx.postal.values():
            ctx.departments.update(self.ref.communes[i].dep_code for i in insees)

    def _add_url_context(self, ctx: LinkContext, url: str | None) -> None:
        """The page URL's towns (a town's own site, a press section) count as named in the text."""
        places = self._urls.read(url)
        if not places.towns and not places.departments:
            return
        # copies: ``places`` is cached by URL and shared by every text of the same page
        ctx.url, ctx.url_towns = url or "", dict(places.towns)
        ctx.site_towns = {i for i, s in places.towns.items() if s >= SECTION_STRENGTH}
        ctx.departments |= places.departments
        ctx.url_departments = set(places.departments)
        for named in ctx.named_insees.values():
            named |= ctx.site_towns

    def _named_with_town(self, ctx: LinkContext, mention: Mention, entries: list[Entry]) -> list[Entry]:
        """ "À Grigny, dans l'Essonne, la Grande Borne": a QPV name shared by QPVs of several towns is
        the one of the town named just before it (Grigny's, not Viry-Châtillon's "Plateau - Grande Borne")."""
        if len({self.ref.qpvs[e.code].insees for e in entries}) < 2:
            return entries
        for other in reversed(ctx.mentions):
            if other.start >= mention.start or mention.start - other.end > NAMED_WITH_CHARS:
                continue
            towns = {e.code for e in other.entries if e.kind == "commune"}
            hosted = [e for e in entries if towns & set(self.ref.qpvs[e.code].insees)]
            if towns:
                return hosted or entries
        return entries

    def _department_is_meant(self, mention: Mention) -> bool:
        # single-word department names ("Nord", "Var", "Cher") are also ordinary words: "dans le Nord",
        # "du Var", "(Gard)" name the department, "quartiers Nord" does not
        return mention.last > mention.first or mention.in_brackets or mention.prev_word in DEPARTMENT_LEAD

    # ---------------------------------------------------------------- communes
    # ---------------------------------------------------------------- QPVs
    def _link_qpvs(self, ctx: LinkContext, linked_insees: set[str]) -> list[QpvLink]:
        best: dict[str, QpvLink] = {}
        for mention in ctx.mentions:
            chosen = self._qpv_readings(ctx, mention, linked_insees)
            for entry, confidence in chosen:
                confidence += 0.1 if mention.quartier_word else 0.05 if mention.article_before else 0.0
                if mention.after_street_word:
                    confidence *= 0.5
                if entity_label(ctx, mention) == "PER":
                    confidence -= 0.25  # "Jean Moulin" the person, not the neighbourhood
                confidence = round(max(0.0, min(0.98, confidence / max(1, len(chosen) ** 0.5))), 3)
                if confidence < MIN_QPV_CONFIDENCE:
                    continue
                link = best.get(entry.code)
                if link is None or confidence > link.confidence:
                    best[entry.code] = self._qpv_link(entry.code, confidence, mention, linked_insees)
        return sorted(best.values(), key=lambda q: -q.confidence)

    def _qpv_readings(
        self, ctx: LinkContext, mention: Mention, linked_insees: set[str]
    ) -> list[tuple[Entry, float]]:
        """QPV readings of a mention with their base confidence (empty when the context rules them out)."""
        entries = [e for e in mention.entries if e.kind == "qpv"]
        if not entries or (mention.surname and not mention.quartier_word):
            return []  # "Daniel Blanchard" is a person, "le quartier Blanchard" a neighbourhood
        # "Jean Moulin", "Léo Lagrange": QPVs named after people are also schools, streets, federations
        person = 0.5 if mention.first_word in FIRST_NAMES and not mention.quartier_word else 1.0
        in_context = [e for e in entries if set(self.ref.qpvs[e.code].insees) & linked_insees]
        in_context = self._named_with_town(ctx, mention, in_context)
        town_reading = any(e.kind == "commune" for e in mention.entries)
        explicit = mention.quartier_word or mention.article_before
        if not explicit and (
            any(e.kind in ("department", "region") for e in mention.entries)
            or decision.is_foreign_word(mention.first_word)
        ):
            return []  # "Jura", "Québec": a department or a foreign place before a QPV part
        if (
            town_reading
            and not explicit
            and not (in_context and self._communes.is_qpv_of_named_town(ctx, mention))
        ):
            return []  # "Mamoudzou", "Saint-André" are first towns; "Malakoff" next to "Nantes" is not
        if in_context:
            return [(e, (0.55 if e.generic else 0.9) * e.weight * person) for e in in_context]
        if town_reading and not mention.article_before:
            return []  # "quartier de Saint-André": the town, unless its QPV's host town is named too
        if len(entries) == 1 and not entries[0].generic and not mention.sentence_start:
            # a distinctive QPV name without its town ("aux Minguettes", "à Pissevin"): local press
            # often leaves the town implicit
            base = NO_TOWN_QPV + (0.1 if mention.last > mention.first else 0.0)
            base += (0.0, 0.05, 0.1)[mention.locative]
            return [(entries[0], base * entries[0].weight * person)]
        return []

    def _qpv_link(self, code: str, confidence: float, mention: Mention, linked: set[str]) -> QpvLink:
        qpv = self.ref.qpvs[code]
        hosts = [i for i in qpv.insees if i in self.ref.communes]
        mentioned = [i for i in hosts if i in linked]
        by_population = sorted(hosts, key=lambda i: -self.ref.communes[i].population)
        host = (mentioned or by_population or [qpv.insees[0]])[0]
        name = self.ref.communes[host].name if host in self.ref.communes else ""
        return QpvLink(code, qpv.name, name, host, confidence, "", mention.start, mention.end)

    def _boost_qpv_hosts(self, communes: list[CommuneLink], qpvs: list[QpvLink]) -> None:
        by_insee = {c.insee: c for c in communes}
        for qpv in qpvs:
            if qpv.confidence < 0.5:
                continue
            link = by_insee.get(qpv.insee)
            if link is not None:
                link.confidence = round(min(0.99, link.confidence + 0.1), 3)
            elif qpv.insee in self.ref.communes:
                commune = self.ref.communes[qpv.insee]
                link = self._communes.make_link(commune, qpv.confidence, None, qpv.start, qpv.end)
                by_insee[qpv.insee] = link
                communes.append(link)
        communes.sort(key=lambda c: -c.confidence)

    # ---------------------------------------------------------------- document level
    def _is_foreign(
        self, norms: list[str], result: GeoResult, ctx: LinkContext, abroad: tuple[bool, list[ForeignPlace]]
    ) -> bool:
        """Belgian, Swiss, Québec or African texts: foreign places outweigh French ones.

        A foreign country's web domain and foreign towns in the URL path count as foreign places; a
        sure French town whose department the text names too ("Quintin ... (22)") counts twice.
        """
        strong, weak = decision.count_foreign_markers(norms)
        foreign_host, url_places = abroad
        strong += int(foreign_host) + len({p.key for p in url_places} - set(norms))
        if strong == 0:
            return False
        french = sum(2 for q in result.qpvs if q.confidence >= QPV_DECISION_THRESHOLD)
        sure = [c for c in result.communes if c.confidence >= 0.7]
        french += len(sure) + sum(1 for c in sure if c.dep_code in ctx.departments)
        return 2 * strong + weak > french

    def _foreign_url(self, url: str | None) -> tuple[bool, list[ForeignPlace]]:
        """The URL's foreign evidence; a path segment also naming a French commune ("/mons/") is not."""
        foreign_host, places = read_foreign_url(url)
        french = [p for p in places if any(e.kind == "commune" for e in self.gazetteer.lookup(p.key))]
        return foreign_host, [p for p in places if p not in french]

    @staticmethod
    def _foreign_places(
        text: str, tokens: list[Token], abroad: tuple[bool, list[ForeignPlace]]
    ) -> list[ForeignPlaceLink]:
        """The towns abroad a foreign text is about (a URL town is surer), least salient ones lowered."""
        places = find_foreign_places(text, tokens)
        by_key = {name_key(p.name): p for p in places}
        for place in abroad[1]:
            link = by_key.get(place.key)
            if link is None:
                link = ForeignPlaceLink(place.name, place.country, FOREIGN_CONFIDENCE, "", 0, 0)
                places.append(link)
            else:
                link.confidence = min(0.95, link.confidence + URL_FOREIGN_BONUS)
        top = max((p.confidence for p in places), default=0.0)
        for link in places:
            link.confidence = round(max(0.0, link.confidence - SALIENCE * (top - link.confidence)), 3)
        return sorted(places, key=lambda p: -p.confidence)

    def _admin_codes(
        self, ctx: LinkContext, communes: list[CommuneLink], qpvs: list[QpvLink]
    ) -> tuple[list[str], list[str]]:
        deps = [c.dep_code for c in communes] + [self.ref.qpvs[q.code].dep_code for q in qpvs]
        deps += sorted(ctx.departments)
        regs = [c.reg_code for c in communes] + [self.ref.qpvs[q.code].reg_code for q in qpvs]
        regs += [self.ref.departments[d][1] for d in deps if d in self.ref.departments]
        regs += sorted(ctx.regions)
        return list(dict.fromkeys(deps)), list(dict.fromkeys(regs))


_CACHE: dict[Path, GeoLinker] = {}
_CACHE_LOCK = threading.Lock()


def load_linker(reference_dir: Path, geocoder: Geocoder | None = None, roles: bool = True) -> GeoLinker:
    """The linker over ``reference_dir`` (loaded once per folder and cached); ``geocoder`` for addresses.

    ``roles``: commune confidences from the current role model (models/geo_roles/CURRENT) when its
    weights load; ``False`` (or no usable weights): the rules' confidences.
    """
    key = Path(reference_dir).resolve()
    with _CACHE_LOCK:
        linker = _CACHE.get(key)
        if linker is None:
            ref = load_reference(key)
            linker = GeoLinker(ref, Gazetteer(ref), roles=load_role_model())
            _CACHE[key] = linker
    if geocoder is not None or not roles:
        return GeoLinker(linker.ref, linker.gazetteer, geocoder, linker.roles if roles else None)
    return linker
