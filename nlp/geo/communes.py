"""Commune resolution: choose between homonyms and say how sure each commune link is."""

from __future__ import annotations

import math
import re

from nlp.geo.context import LinkContext, entity_adjustment
from nlp.geo.gazetteer import Entry, Gazetteer
from nlp.geo.mentions import Mention, is_bullet_listed, is_enumerated
from nlp.geo.normalise import Token, fold_text, name_tokens
from nlp.geo.reference import Commune, ReferenceData
from nlp.geo.results import CommuneLink
from nlp.geo.words import AREA_WORDS, AUTHORITY_WORDS, DEFINITE_ARTICLES, INSIDE_WORDS

MIN_COMMUNE_CONFIDENCE = 0.25
LEAD_CHARS = 300  # a commune named in the title or lead is usually where things happen
SALIENCE_PENALTY = 0.3  # communes far below the best one are probably only mentioned in passing
URL_BONUS = 0.25  # times the URL evidence strength, for a town the text names and the page URL too
URL_CHOICE = 3.0  # times the strength, in the homonym score: the URL's town among namesakes
OTHER_DEPARTMENT_PENALTY = (
    0.25  # a town outside the department of the page's section ("/seine-saint-denis-93/")
)
MANY_HOMONYMS = 4  # a name shared by this many towns says little by itself
SITE_TOWN_CONFIDENCE = 0.6  # a town's own site or press section, when the text names no sure town
SURE_TOWN = 0.6
BIG_TOWN = 100_000
SHORT_FORM_WEIGHT = 0.9  # "Saint-André" for Saint-André-lez-Lille: a variant, not the official name
URL_SECTION = 0.8  # a URL town this strong (host, whole path section) places the text in its department
ARRONDISSEMENT_CONFIDENCE = 0.8  # "18e arrondissement", "75018", "Marseille 13e" without another mention
ENUMERATION_GAP = 0.05  # a listed town is nearly as sure as the surest of its list
LATE_PENALTY = 0.15  # a town first named only after a sure town of the title or lead
DEPARTMENT_NEAR = 40  # characters after a town where its department may be named ("Dole - Jura (39)")
DEPARTMENT_BONUS = 0.15  # a town placed in its department right away is where things happen
CAPITAL = "75056"
CAPITAL_PENALTY = 0.25  # Paris below another sure town: the capital is often named for national bodies
PASSING_PENALTY = 0.4  # "fondée à Lyon", "comme à Paris": not where the initiative takes place
LABEL_BONUS = 0.2  # a town in the place field of a project sheet ("Lieu de réalisation : Vitrolles")
DATELINE_BONUS = 0.2  # a town the text opens on ("Roubaix. Depuis...") is as sure as "à Roubaix"
SECONDARY_PENALTY = (
    0.3  # "une entreprise de Rennes", "un colloque à Bordeaux": a partner's or an event's town
)
LANDMARK_PENALTY = 0.4  # "près de Lille", "banlieue de Paris": the town situates another place


class CommuneResolver:
    """Turns the commune mentions of a text into scored ``CommuneLink``s."""

    def __init__(self, ref: ReferenceData, gazetteer: Gazetteer) -> None:
        self.ref = ref
        self.gazetteer = gazetteer
        self._compounds = _make_compound_index(ref)

    def link(self, ctx: LinkContext) -> list[CommuneLink]:
        best: dict[str, CommuneLink] = {}
        counts: dict[str, int] = {}
        first: dict[str, int] = {}
        origins: set[str] = set()
        for mention in ctx.mentions:
            candidates = self._commune_candidates(ctx, mention)
            if not candidates:
                continue
            scored = [(self._candidate_score(ctx, e.code), e) for e in candidates]
            score, entry = max(scored, key=lambda pair: pair[0])
            commune = self.ref.communes[entry.code]
            confidence = self._mention_confidence(ctx, mention, commune, entry.weight, len(candidates))
            if commune.insee not in first and mention.passing:
                origins.add(commune.insee)
            elif commune.insee in origins and not mention.passing:
                confidence -= PASSING_PENALTY  # introduced as a head office or a comparison
            if confidence < MIN_COMMUNE_CONFIDENCE:
                continue
            counts[commune.insee] = counts.get(commune.insee, 0) + 1
            ctx.town_mentions.append((mention, commune.insee))
            first.setdefault(commune.insee, mention.start)
            link = best.get(commune.insee)
            if link is None or confidence > link.confidence:
                best[commune.insee] = self.make_link(commune, confidence, mention)
        for insee, (start, end, count) in self._find_demonyms(ctx.tokens).items():
            link = best.get(insee)
            if link is None:
                best[insee] = self.make_link(self.ref.communes[insee], 0.5, None, start, end)
            counts[insee] = counts.get(insee, 0) + count
        for arr in ctx.arrondissements:
            parent = self.ref.communes[arr.parent]
            link = best.get(parent.insee)
            if link is None:
                link = self.make_link(parent, ARRONDISSEMENT_CONFIDENCE, None, arr.start, arr.end)
            elif not _covers(ctx, arr.start, arr.end, parent.insee):
                link.confidence = max(link.confidence, ARRONDISSEMENT_CONFIDENCE)
            link.arrondissement = link.arrondissement or arr.insee
            best[parent.insee] = link
        for insee, link in best.items():
            link.confidence = min(0.99, link.confidence + 0.08 * min(counts.get(insee, 1) - 1, 3))
        self._read_short_forms(ctx, best, first)
        self._demote_late_towns(ctx, best, first)
        return sorted(best.values(), key=lambda c: -c.confidence)

    def _read_short_forms(
        self, ctx: LinkContext, best: dict[str, CommuneLink], first: dict[str, int]
    ) -> None:
        """ "Saint-André" next to Lille is Saint-André-lez-Lille, "Saint-Médard" near Bordeaux is
        Saint-Médard-en-Jalles: locals drop the tail of a compound name. The bare name's usual reading
        is replaced by the compound commune of the department of the text's other sure towns (the
        most populous one there), when that reading lies outside those departments."""
        sure = [i for i, link in best.items() if link.confidence >= SURE_TOWN]
        sure += [i for i, strength in ctx.url_towns.items() if strength >= URL_SECTION]
        for insee in list(best):
            plain = self.ref.communes[insee]
            link = best[insee]
            if insee in ctx.url_towns or insee in ctx.qpv_hosts or plain.population >= BIG_TOWN:
                continue  # a city of 100,000 ("Saint-Étienne") is meant by its own name
            key = " ".join(name_tokens(ctx.text[link.start : link.end]))
            if not any(e.code == insee for e in self.gazetteer.lookup(key)):
                continue  # a demonym or an arrondissement, not a bare name
            others = {self.ref.communes[i].dep_code for i in sure if i != insee} | ctx.departments
            if plain.dep_code in others:
                continue
            compounds = [c for c in self._compounds.get(key, []) if self.ref.communes[c].dep_code in others]
            if not compounds:
                continue
            chosen = self.ref.communes[max(compounds, key=lambda c: self.ref.communes[c].population)]
            if chosen.insee in best:
                continue
            del best[insee]
            # scored again as the compound town: its homonyms and its size no longer weigh against it
            mentions = [m for m, i in ctx.town_mentions if i == insee]
            confidence = max(
                [self._mention_confidence(ctx, m, chosen, SHORT_FORM_WEIGHT, 1) for m in mentions],
                default=link.confidence,
            )
            best[chosen.insee] = self.make_link(chosen, confidence, None, link.start, link.end)
            first[chosen.insee] = first.pop(insee)
            ctx.town_mentions = [(m, chosen.insee if i == insee else i) for m, i in ctx.town_mentions]

    def _demote_late_towns(
        self, ctx: LinkContext, best: dict[str, CommuneLink], first: dict[str, int]
    ) -> None:
        """A sure town in the title or lead is the story's; towns first named later are mostly context."""
        lead = [i for i, start in first.items() if start < LEAD_CHARS and best[i].confidence >= SURE_TOWN]
        ctx.lead_town = bool(lead)
        ctx.lead_towns = set(lead)
        if not lead:
            return
        # a datelined brief ("Roubaix. Depuis le printemps...") names its place first: its body is late
        dateline = [m for m, i in ctx.town_mentions[:1] if m.dateline and best[i].confidence >= SURE_TOWN]
        lead_end = dateline[0].end + 1 if dateline else LEAD_CHARS
        for insee, link in best.items():
            if first.get(insee, 0) >= lead_end and insee not in ctx.qpv_hosts and insee not in ctx.url_towns:
                link.confidence = max(0.0, link.confidence - LATE_PENALTY)

    def add_site_towns(self, ctx: LinkContext, communes: list[CommuneLink]) -> None:
        """The URL's town when the text names no sure town ("le quartier" on reze.fr)."""
        if not ctx.site_towns or any(c.confidence >= SURE_TOWN for c in communes):
            return
        known = {c.insee for c in communes}
        for insee in sorted(ctx.site_towns, key=lambda i: -self.ref.communes[i].population)[:1]:
            if insee not in known:
                link = self.make_link(self.ref.communes[insee], SITE_TOWN_CONFIDENCE, None)
                link.evidence = ctx.url  # not in the text: the page's own address says it
                communes.append(link)
        communes.sort(key=lambda c: -c.confidence)

    def share_enumerations(self, ctx: LinkContext, communes: list[CommuneLink]) -> None:
        """Towns listed together ("sur cinq sites : Rennes, Roubaix... et Avignon") are equally sure.

        Only in the lead, or when no sure town leads the text: a later list is more often context
        ("le programme s'ouvre à Lille, Saint-Étienne et Marseille").
        """
        by_insee = {c.insee: c for c in communes}
        for group in _enumerations(ctx):
            late = ctx.lead_town and group[0][0].start >= LEAD_CHARS and not group[0][0].labelled
            # "à Saint-Victor, Colombier-le-Vieux et Alboussière" with Alboussière in the title: villages of
            # its department listed with it share its story (big towns across France are other sites)
            late = late and not self._lists_lead_neighbours(ctx, group)
            if any(m.passing for m, _ in group) or late:
                continue
            members = [by_insee[i] for i in dict.fromkeys(i for _, i in group) if i in by_insee]
            top = max((c.confidence for c in members), default=0.0)
            for link in members:
                link.confidence = max(link.confidence, round(top - ENUMERATION_GAP, 3))
        communes.sort(key=lambda c: -c.confidence)

    def demote_capital(self, ctx: LinkContext, communes: list[CommuneLink]) -> None:
        """Paris is named as the seat of ministries, funders, head offices and national events far
        more often than as the place of a local initiative: below another sure town it is lowered,
        unless the text names one of its QPVs."""
        sure = [c for c in communes if c.confidence >= SURE_TOWN and c.insee != CAPITAL]
        if not sure:
            return
        for link in communes:
            if (
                link.insee == CAPITAL
                and link.confidence <= max(c.confidence for c in sure)
                and CAPITAL not in ctx.qpv_hosts
            ):
                link.confidence = round(max(0.0, link.confidence - CAPITAL_PENALTY), 3)
        communes.sort(key=lambda c: -c.confidence)

    def _lists_lead_neighbours(self, ctx: LinkContext, group: list[tuple[Mention, str]]) -> bool:
        """A list holding a sure town of the lead, all of its members in that town's department."""
        deps = {self.ref.communes[i].dep_code for _, i in group}
        return len(deps) == 1 and any(i in ctx.lead_towns for _, i in group)

    def apply_salience(self, communes: list[CommuneLink]) -> None:
        """Lower communes much less salient than the best one (named in passing, enumerations)."""
        if not communes:
            return
        top = max(c.confidence for c in communes)
        for link in communes:
            link.confidence = round(
                max(0.0, link.confidence - SALIENCE_PENALTY * max(0.0, top - link.confidence)), 3
            )
        communes.sort(key=lambda c: -c.confidence)

    def is_qpv_of_named_town(self, ctx: LinkContext, mention: Mention) -> bool:
        own = {e.code for e in mention.entries if e.kind in ("commune", "former")}
        # QPVs of the town itself ("Wattrelos" and the Roubaix-Tourcoing-Wattrelos QPV) do not count
        hosts = {
            i
            for e in mention.entries
            if e.kind == "qpv" and not own & set(self.ref.qpvs[e.code].insees)
            for i in self.ref.qpvs[e.code].insees
        }
        return bool(hosts & ctx.named_insees.get(mention.start, set()))

    def _commune_candidates(self, ctx: LinkContext, mention: Mention) -> list[Entry]:
        """Commune readings of a mention, minus those the context rules out."""
        if mention.after_street_word or mention.glued or mention.surname:
            return []  # "rue de Paris", "Croix-du-Sud", "Laurence Pavie"
        candidates = [e for e in mention.entries if e.kind in ("commune", "former")]
        if candidates and self.is_qpv_of_named_town(ctx, mention):
            return []  # "Orgeval" next to "Reims" is the neighbourhood, not the town in Yvelines
        admin = {e.code for e in mention.entries if e.kind == "department"}
        if mention.prev_word == "en" and any(e.kind in ("department", "region") for e in mention.entries):
            return []  # "en Mayenne", "en Guyane": the department or region (one says "à Mayenne")
        if any(e.kind in ("department", "region") for e in mention.entries):
            # "Vaucluse", "à La Réunion" name the department or region, except Paris (75 and 75056)
            candidates = [e for e in candidates if self.ref.communes[e.code].dep_code in admin]
        if mention.article_before or (mention.quartier_word and mention.prev_word in ("du", "des")):
            # "la Villeneuve", "le Mirail", "quartier du Belvédère": a neighbourhood; towns with an
            # article are matched with it
            candidates = [
                e for e in candidates if name_tokens(self.ref.communes[e.code].name)[0] in DEFINITE_ARTICLES
            ]
        return candidates

    def _find_demonyms(self, tokens: list[Token]) -> dict[str, tuple[int, int, int]]:
        """ "les quartiers nantais" -> Nantes: INSEE -> (first start, first end, count)."""
        found: dict[str, tuple[int, int, int]] = {}
        demonyms = self.gazetteer.demonyms
        for n, tok in enumerate(tokens):
            insee = demonyms.get(tok.norm)
            if insee is not None and not _names_authority(tokens, n) and not _names_area(tokens, n):
                start, end, count = found.get(insee, (tok.start, tok.end, 0))
                found[insee] = (start, end, count + 1)
        return found

    def _candidate_score(self, ctx: LinkContext, insee: str) -> float:
        commune = self.ref.communes[insee]
        score = math.log10(commune.population + 10) / 2
        if insee in ctx.qpv_hosts:
            score += 3
        if commune.dep_code in ctx.departments:
            score += 2
        if commune.reg_code in ctx.regions:
            score += 1
        if any(code in ctx.postal for code in commune.postal_codes):
            score += 2
        return score + URL_CHOICE * ctx.url_towns.get(insee, 0.0)

    def _mention_confidence(
        self, ctx: LinkContext, mention: Mention, commune: Commune, weight: float, n_candidates: int
    ) -> float:
        single_word = mention.first == mention.last
        confidence = 0.4 * weight + 0.05 * min(3.0, max(0.0, math.log10(commune.population + 1) - 3))
        confidence += (0.0, 0.1, 0.2)[mention.locative] + (0.0 if single_word else 0.1)
        if commune.insee in ctx.qpv_hosts:
            confidence += 0.2
        if commune.dep_code in ctx.departments or any(c in ctx.postal for c in commune.postal_codes):
            confidence += 0.1
        if self._department_follows(ctx, mention, commune) or _described(ctx.text, mention.end):
            confidence += DEPARTMENT_BONUS
        if mention.relation:
            confidence -= LANDMARK_PENALTY if mention.landmark else 0.2
        if mention.listed and not mention.dateline:
            confidence -= 0.1
        if mention.dateline:
            confidence += DATELINE_BONUS
        if mention.passing or mention.authority:
            confidence -= PASSING_PENALTY
        elif mention.secondary:
            confidence -= SECONDARY_PENALTY
        if mention.start < LEAD_CHARS or mention.labelled:
            confidence += 0.1
        if mention.labelled:
            confidence += LABEL_BONUS
        if single_word and mention.sentence_start and not mention.locative and not mention.dateline:
            confidence -= 0.2
        if mention.name_follows:
            confidence -= 0.25 if single_word else 0.1
        if single_word and not _same_spelling(_with_article(ctx, mention, commune.name), commune.name):
            confidence -= 0.2  # "Place" is not "Placé"
        if n_candidates > 1 and commune.dep_code not in ctx.departments:
            confidence -= 0.05
            if n_candidates >= MANY_HOMONYMS:
                confidence -= 0.1  # "Saint-Jean" (dozens of towns) is as often a neighbourhood or a church
        if single_word and commune.population < 2000:
            confidence -= 0.15
        if single_word and mention.locative < 2 and mention.first_word in ctx.lower_words:
            confidence -= 0.25  # "Jardin partagé ... un jardin": a common noun here, not the town
        if n_candidates > 1 and commune.population < 20000 and commune.dep_code not in ctx.departments:
            confidence -= 0.1
        confidence += entity_adjustment(ctx, mention)
        confidence += URL_BONUS * ctx.url_towns.get(commune.insee, 0.0)
        if ctx.url_departments and commune.dep_code not in ctx.url_departments:
            confidence -= OTHER_DEPARTMENT_PENALTY
        return max(0.0, min(0.95, confidence))

    @staticmethod
    def _department_follows(ctx: LinkContext, mention: Mention, commune: Commune) -> bool:
        """ "À Niozelles, dans les Alpes-de-Haute-Provence", "Dole - Jura (39)": the town is placed."""
        limit = mention.end + DEPARTMENT_NEAR
        return any(
            mention.end <= at <= limit and code == commune.dep_code for at, code in ctx.department_spans
        )

    def make_link(
        self, commune: Commune, confidence: float, mention: Mention | None, start: int = 0, end: int = 0
    ) -> CommuneLink:
        if mention is not None:
            start, end = mention.start, mention.end
        return CommuneLink(
            insee=commune.insee,
            name=commune.name,
            dep_code=commune.dep_code,
            reg_code=commune.reg_code,
            confidence=round(confidence, 3),
            evidence="",
            start=start,
            end=end,
        )


COMPOUND_LINKS = frozenset({"les", "pres", "sur", "sous", "en", "de", "d", "du", "des", "aux", "au"})


def _make_compound_index(ref: ReferenceData) -> dict[str, list[str]]:
    """Head of a compound commune name -> INSEE codes ("saint andre" -> Saint-André-lez-Lille...)."""
    index: dict[str, list[str]] = {}
    for commune in ref.communes.values():
        if commune.parent:
            continue
        tokens = name_tokens(commune.name)
        for k in range(1, len(tokens) - 1):
            if tokens[k] in COMPOUND_LINKS:
                index.setdefault(" ".join(tokens[:k]), []).append(commune.insee)
                break
    return index


def _names_area(tokens: list[Token], n: int) -> bool:
    """ "en région parisienne", "la banlieue lyonnaise": an area around the town, not the town."""
    return n > 0 and tokens[n - 1].norm in AREA_WORDS


def _names_authority(tokens: list[Token], n: int) -> bool:
    """ "la métropole lilloise" (a funder), unless "dans l'agglomération lilloise" (the area)."""
    if n == 0 or tokens[n - 1].norm not in AUTHORITY_WORDS:
        return False
    return not any(t.norm in INSIDE_WORDS for t in tokens[max(0, n - 5) : n - 1])


_DESCRIBED_RE = re.compile(
    r",\s+(?:(?:une?|la|le|cette|notre)\s+)?(?:(?:petite?|grande?|jolie)\s+)?(?:village|commune|ville|bourg)\b"
    r"(?!\s+(?:voisine?s?|limitrophes?|proches?|d['’]à côté))"  # "une commune voisine" is another town
)


def _described(text: str, end: int) -> bool:
    """ "à Divajeu, petit village de 700 habitants": the text describes the town it is about."""
    return _DESCRIBED_RE.match(text, end, end + 40) is not None


def _covers(ctx: LinkContext, start: int, end: int, insee: str) -> bool:
    """The town is named inside this span ("10e arrondissement de Paris"): that mention says how sure."""
    return any(start <= m.start < end and i == insee for m, i in ctx.town_mentions)


def _enumerations(ctx: LinkContext) -> list[list[tuple[Mention, str]]]:
    """Runs of at least two town mentions listed next to each other, with their INSEE codes."""
    groups: list[list[tuple[Mention, str]]] = []
    run: list[tuple[Mention, str]] = []
    for item in ctx.town_mentions:
        if run and (
            is_enumerated(ctx.text, run[-1][0], item[0]) or is_bullet_listed(ctx.text, run[-1][0], item[0])
        ):
            run.append(item)
            continue
        if len({i for _, i in run}) > 1:
            groups.append(run)
        run = [item]
    if len({i for _, i in run}) > 1:
        groups.append(run)
    return groups


_ARTICLE_PREPOSITIONS = {"au": "le", "du": "le", "aux": "les", "des": "les"}


def _with_article(ctx: LinkContext, mention: Mention, name: str) -> str:
    """ "au Havre", "du Mans": the town's article is inside the preposition ("Le Havre"), unless the
    word is also a common noun in the text or ends a longer name ("Les Terrasses du Port")."""
    article = _ARTICLE_PREPOSITIONS.get(mention.prev_word)
    if (
        article is None
        or mention.relation
        or not name.lower().startswith(article + " ")
        or mention.first_word in ctx.lower_words
    ):
        return mention.surface
    return f"{article} {mention.surface}"


def _same_spelling(surface: str, name: str) -> bool:
    """Equal up to case and the accent of a capital initial ("Evry" = "Évry", "Place" != "Placé")."""
    a, b = surface.lower(), name.lower()
    return a == b or (a[1:] == b[1:] and fold_text(a[:1]) == fold_text(b[:1]))
