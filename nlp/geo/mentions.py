"""Find place mentions in a tokenized text: gazetteer names, with what the words around them say."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.geo.gazetteer import Entry, Gazetteer
from nlp.geo.normalise import QUARTIER_WORDS, Token
from nlp.geo.words import (
    AUTHORITY_WORDS,
    DEFINITE_ARTICLES,
    ELSEWHERE_WINDOW,
    ELSEWHERE_WORDS,
    GIVEN_NAMES,
    GOVERNING_STEPS,
    INSIDE_WORDS,
    LINK_WORDS,
    ORIGIN_VERBS,
    PASSING_WINDOW,
    PASSING_WORDS,
    PLACE_NOUNS,
    RELATION_WORDS,
    SECONDARY_LINKS,
    SECONDARY_NOUNS,
    STREET_WORDS,
    STRONG_LOCATIVES,
    WEAK_LOCATIVES,
)

_RELATED_LINK_RE = re.compile(
    r"(?:^|\n)[ \t]*(?:[àa] lire aussi|lire aussi|voir aussi|sur le m[êe]me sujet)", re.I
)


@dataclass(slots=True)
class Mention:
    """A span of tokens whose key is in the gazetteer."""

    first: int  # token index
    last: int  # token index, inclusive
    start: int  # char offset
    end: int
    entries: list[Entry]
    after_street_word: bool = False
    locative: int = 0  # 2: "à X", "ville de X"; 1: "de X", "sur X"; 0: none
    sentence_start: bool = False
    quartier_word: bool = False
    glued: bool = False  # "Croix" in "Croix-du-Sud": part of a longer hyphenated name
    surface: str = ""
    first_word: str = ""
    prev_word: str = ""
    in_brackets: bool = False
    relation: bool = False  # "près de Lille", "Philharmonie de Paris": named for another thing
    listed: bool = False  # part of a comma-separated enumeration
    passing: bool = False  # origin, head office or comparison ("fondée à Lyon", "comme à Paris")
    article_before: bool = False  # "la Villeneuve": a neighbourhood, not the town Villeneuve
    name_follows: bool = False  # "Marie Curie", "Albert Camus": a person, not the town
    authority: bool = False  # "la Métropole de Lille", "le Grand Paris": an authority, not the place
    landmark: bool = False  # "près de Lille", "au nord de Paris": a town that situates another place
    labelled: bool = False  # in a "Lieu de réalisation : Marseille, Vitrolles" field of a project sheet
    secondary: bool = False  # "une entreprise de Rennes": a partner's or an event's town
    dateline: bool = False  # "Roubaix. Depuis le printemps...", "Nantes : au Breil...": the text opens on it
    surname: bool = False  # "Laurence Pavie", "Daniel Blanchard": after a given name, a person


def _is_sentence_start(text: str, offset: int) -> bool:
    before = text[max(0, offset - 3) : offset].rstrip(" \t«\"'“(")
    return not before or before[-1] in ".!?:\n•-–"


def find_mentions(text: str, tokens: list[Token], gazetteer: Gazetteer) -> list[Mention]:
    """Longest gazetteer matches starting at capitalised tokens, left to right, without overlap."""
    mentions: list[Mention] = []
    captions = find_caption_lines(text)
    fields = find_place_fields(text)
    index = gazetteer.index
    first_tokens = gazetteer.first_tokens
    n_tokens = len(tokens)
    i = 0
    while i < n_tokens:
        tok = tokens[i]
        lower_name = not tok.capital and _after_capital_article(text, tokens, i)
        if not tok.capital and not lower_name:
            i += 1
            continue
        longest = first_tokens.get(tok.norm, 0)
        found = None
        for size in range(min(longest, n_tokens - i), 0, -1):
            key = " ".join([t.norm for t in tokens[i : i + size]]) if size > 1 else tok.norm
            entries = index.get(key)
            if entries and lower_name:
                entries = [e for e in entries if e.kind == "qpv" and not e.generic]
            if entries:
                found = (size, entries)
                break
        if found is None or not _content_capitalised(tokens, i, found[0]):
            i += 1
            continue
        size, entries = found
        if size > 1 and tok.norm in DEFINITE_ARTICLES:
            # "La Guérinière": the town of Vendée, or the QPV "Guérinière" of Caen named with its article
            bare = index.get(" ".join([t.norm for t in tokens[i + 1 : i + size]]), [])
            entries = entries + [e for e in bare if e.kind == "qpv" and e not in entries]
        mention = _make_mention(text, tokens, i, size, entries, captions, fields)
        if mention.article_before and _article_in_name(tokens, i, size, index):
            # "de la Courneuve": the town's own article typed in lower case, not a neighbourhood's
            with_article = _make_mention(text, tokens, i - 1, size + 1, entries, captions, fields)
            mention.locative, mention.relation = with_article.locative, with_article.relation
            mention.passing = mention.passing or with_article.passing
            mention.authority = mention.authority or with_article.authority
        mentions.append(mention)
        i += size
    for mention in mentions:
        if mention.start > DATELINE_TITLE_CHARS + 2:
            break
        if _is_dateline(text, mention):
            mention.dateline = True
            break
    for before, after in zip(mentions, mentions[1:], strict=False):
        if before.passing and is_enumerated(text, before, after):
            after.passing = True  # "après ceux de Millau et de Rodez": the whole list is a comparison
    return mentions


_ENUMERATION_WORDS = frozenset({",", "et", "ou", "&", "a", "à", "au", "de", "d", "puis"})
_ENUMERATION_LINKS = frozenset({",", "et", "ou", "&"})
_BRACKETED_CODE_RE = re.compile(r"\(\s*(?:\d{2,3}|2[AB])\s*\)")


# after the opening town: a full stop, colon or comma, a dash, maybe its department in brackets or
# "de La Réunion" ("Saint-Denis de La Réunion.", "Bondy (93) -", "Lormont, sur la rive droite...")
_DATELINE_TAIL_RE = re.compile(
    r"(?:\s*\([^()\n]{1,40}\))?"  # "(93)", "(Seine-Saint-Denis)"
    r"(?:\s+(?:de|d'|d’|en)\s*(?:[Ll]a |[Ll]e |[Ll]['’])?[A-ZÉ][\w-]+)?"  # "de La Réunion"
    r"\s*(?:[.:,]|\s[-–—]\s)",
)


# "St Jacques, quartier historique de la ville de Perpignan": the text opens on a neighbourhood
# ("Amiens, quartier Nord :" is the town and its neighbourhood)
_NEIGHBOURHOOD_TAIL_RE = re.compile(
    r"\s*[,:]\s*(?:(?:le|un|notre|ce)\s+)?(?:quartiers?|cités?|résidences?)\b[^,.:;\n]{0,40}?\s(?:de|d['’]|du)\s"
)
DATELINE_TITLE_CHARS = 150  # a title line this long at most may come before the dateline
_ISSUED_RE = re.compile(r",\s*le\s+\d")  # "Paris, le 2 octobre 2025 –": where a press release is issued


def _is_dateline(text: str, mention: Mention) -> bool:
    """A text that opens on a town name and a stop ("Roubaix. Depuis...", "Nantes : au Breil") is
    datelined: press briefs name their place first. A press release's "Paris, le 2 octobre" is not."""
    before = text[: mention.start].strip()
    if (
        before
        and (  # or right after a title line: "Une brasserie dans une friche\n\nRoubaix. Depuis..."
            "\n" in before or len(before) > DATELINE_TITLE_CHARS or not text[: mention.start].endswith("\n")
        )
    ):
        return False
    if _ISSUED_RE.match(text, mention.end) or _NEIGHBOURHOOD_TAIL_RE.match(text, mention.end):
        return False
    return _DATELINE_TAIL_RE.match(text, mention.end) is not None


def is_enumerated(text: str, before: Mention, after: Mention) -> bool:
    """ "Rennes, Roubaix et Avignon", "à Stains ou à Bondy": two names next to each other in a list."""
    between = _BRACKETED_CODE_RE.sub(" ", text[before.end : after.start])  # "Argenteuil (95), Sarcelles"
    if len(between) > 12:
        return False
    words = re.findall(r"\w+|[,&]", between.lower())
    return bool(words) and set(words) <= _ENUMERATION_WORDS and bool(set(words) & _ENUMERATION_LINKS)


_BULLET_RE = re.compile(r"[ \t]*[-–—*•·▪][ \t]")


def is_bullet_listed(text: str, before: Mention, after: Mention) -> bool:
    """Two towns on the same or consecutive bullet lines ("- Toulon – quartier Beaucaire" then
    "- Toulouse – quartier Reynerie"): items of one list."""
    if text.count("\n", before.end, after.start) > 1:
        return False
    return all(_BULLET_RE.match(text, text.rfind("\n", 0, m.start) + 1) is not None for m in (before, after))


def _after_capital_article(text: str, tokens: list[Token], i: int) -> bool:
    """ "à L'ariane": a neighbourhood name typed in lower case after its capitalised elided article."""
    if i == 0 or tokens[i - 1].norm != "l" or not tokens[i - 1].capital:
        return False
    return text[tokens[i - 1].end : tokens[i].start] in ("'", "’") and not _is_sentence_start(
        text, tokens[i - 1].start
    )


def _article_in_name(tokens: list[Token], i: int, size: int, index: dict[str, list[Entry]]) -> bool:
    key = " ".join(t.norm for t in tokens[i - 1 : i + size])
    return any(e.kind == "commune" for e in index.get(key, []))


def _content_capitalised(tokens: list[Token], i: int, size: int) -> bool:
    """ "L'Union" yes, "L'union" no: the first word after an elided article must be capitalised too."""
    if size > 1 and tokens[i].norm in DEFINITE_ARTICLES:
        return tokens[i + 1].capital
    return True


def _glued(text: str, tokens: list[Token], first: int, last: int) -> bool:
    """ "Croix" in "Croix-du-Sud", "Bras" in "Bras-canot": a hyphen joins it to a lower-case word.

    Two capitalised names joined by a hyphen ("Bordeaux-Cenon") stay two places.
    """
    after = text[tokens[last].end : tokens[last].end + 1] == "-" and last + 1 < len(tokens)
    before = first > 0 and text[tokens[first].start - 1 : tokens[first].start] == "-"
    return (after and not tokens[last + 1].capital) or (before and not tokens[first - 1].capital)


def _make_mention(
    text: str,
    tokens: list[Token],
    i: int,
    size: int,
    entries: list[Entry],
    captions: list[tuple[int, int]] | None = None,
    fields: list[tuple[int, int]] | None = None,
) -> Mention:
    """Describe a match with the words around it (street, locative preposition, article, next name)."""
    prev = [t.norm for t in tokens[max(0, i - 3) : i]]
    last = tokens[i + size - 1]
    nxt = tokens[i + size] if i + size < len(tokens) else None
    locative = 0
    if (
        prev
        and prev[-1] in STRONG_LOCATIVES
        or len(prev) > 1
        and prev[-1] in LINK_WORDS
        and prev[-2] in PLACE_NOUNS
    ):
        locative = 2
    elif prev and prev[-1] in WEAK_LOCATIVES:
        locative = 1
    relation = (
        len(prev) > 1
        and prev[-1] in LINK_WORDS
        and (prev[-2] in RELATION_WORDS or tokens[i - 2].capital)
        and not (len(prev) > 2 and prev[-3] in QUARTIER_WORDS)  # "quartiers Nord de Marseille" is in it
    ) or _is_between(text, tokens, i)
    landmark = relation and len(prev) > 1 and prev[-2] in RELATION_WORDS  # "près de Lille", "nord de Paris"
    if i > 0 and tokens[i - 1].norm in ("grand", "grande") and tokens[i - 1].capital:
        authority = True  # "le Grand Paris", "l'agglo Grand Paris Sud", "Grand Lyon": a metropolis
    elif len(prev) > 2 and prev[-1] in LINK_WORDS and prev[-2] == "communes" and prev[-3] == "de":
        authority = True  # "la communauté de communes du Val de Drôme": the intercommunality
    elif len(prev) > 1 and prev[-1] in LINK_WORDS and prev[-2] in AUTHORITY_WORDS:
        # "dans la métropole de Lyon", "sur le territoire de l'agglomération de Valenciennes": the area
        inside = any(t.norm in INSIDE_WORDS for t in tokens[max(0, i - 6) : i - 2])
        locative, authority = (2, False) if inside else (locative, True)
    else:
        authority = False
    # "À Cergy, des lycéens...": the comma after an opening "À X" ends a phrase, it starts no list
    opener = locative == 2 and i > 0 and _is_sentence_start(text, tokens[i - 1].start)
    listed = text[max(0, tokens[i].start - 2) : tokens[i].start].strip() == "," or (
        text[last.end : last.end + 1] == "," and not opener
    )
    street = bool(prev) and (
        prev[-1] in STREET_WORDS or (len(prev) > 1 and prev[-1] in LINK_WORDS and prev[-2] in STREET_WORDS)
    )
    return Mention(
        first=i,
        last=i + size - 1,
        start=tokens[i].start,
        end=last.end,
        entries=entries,
        after_street_word=street,
        locative=locative,
        sentence_start=_is_sentence_start(text, tokens[i].start),
        quartier_word=any(w in QUARTIER_WORDS for w in prev),
        relation=relation,
        glued=_glued(text, tokens, i, i + size - 1),
        surface=text[tokens[i].start : last.end],
        first_word=tokens[i].norm,
        prev_word=prev[-1] if prev else "",
        in_brackets=text[max(0, tokens[i].start - 1) : tokens[i].start] == "(",
        listed=listed,
        passing=_is_passing(text, tokens, i)
        or any(a <= tokens[i].start < b for a, b in captions or ())
        or _is_origin(prev),
        authority=authority,
        secondary=bool(prev)
        and prev[-1] in SECONDARY_LINKS
        and (follows_word(text, tokens, i, ELSEWHERE_WORDS) or _governed_by_noun(text, tokens, i)),
        landmark=landmark,
        surname=i > 0
        and tokens[i - 1].capital
        and tokens[i - 1].norm in GIVEN_NAMES
        and text[tokens[i - 1].end : tokens[i].start] == " ",
        labelled=bool(fields) and _in_place_field(text, tokens[i].start, fields or []),
        article_before=bool(prev) and prev[-1] in DEFINITE_ARTICLES and not tokens[i - 1].capital,
        name_follows=(
            nxt is not None and nxt.capital and not nxt.norm.isdigit() and text[last.end : nxt.start] == " "
        )
        or (  # "La Terrasse aux Termites", "Saint-Louis des Lacs": a longer proper name
            nxt is not None
            and nxt.norm in ("aux", "des", "du")
            and i + size + 1 < len(tokens)
            and tokens[i + size + 1].capital
            and text[last.end : tokens[i + size + 1].start] == f" {text[nxt.start : nxt.end]} "
        ),
    )


def _is_origin(prev: list[str]) -> bool:
    return len(prev) > 1 and prev[-1] in ("de", "d") and prev[-2] in ORIGIN_VERBS


def _is_between(text: str, tokens: list[Token], i: int) -> bool:
    """ "à mi-chemin entre Rennes et Saint-Malo": towns named to situate another place."""
    if i > 0 and tokens[i - 1].norm == "entre":
        return True
    if i < 3 or tokens[i - 1].norm != "et":
        return False
    # the second town of "entre X et Y" (X one to three words long)
    return any(tokens[j].norm == "entre" for j in range(max(0, i - 5), i - 2))


_CAPTION_HINTS = ("llustration", "LLUSTRATION", "©", "rédit", "redit", "RÉDIT", "/")
_CAPTION_RE = re.compile(r"illustration|©|cr[ée]dits? photo|/(?:AFP|20 ?Minutes|SIPA|MAXPPP|Reuters)\b", re.I)


def find_caption_lines(text: str) -> list[tuple[int, int]]:
    """Spans of photo caption lines ("Illustration d'une crèche. Le 22 septembre 2008 à Toulouse. — F. S./20
    Minutes"): towns there say where the picture was taken, not where the story is."""
    if not any(hint in text for hint in _CAPTION_HINTS):
        return []
    spans = []
    for match in _CAPTION_RE.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        spans.append((start, end if end >= 0 else len(text)))
    return spans


_PLACE_LABEL_RE = re.compile(
    r"^[^\w\n]*(?:lieux?(?: de (?:r[ée]alisation|l'action|mise en \w+))?|localisation"
    r"|territoires?(?: d'action)?|implantations?|sites?|villes?|communes?|zones? d'intervention)\s*[:|]",
    re.IGNORECASE | re.MULTILINE,
)
_LABEL_LIST_RE = re.compile(r"[\w\s,'’()-]*")


def find_place_fields(text: str) -> list[tuple[int, int]]:
    """Spans after a project sheet's place label ("Lieu de réalisation : Marseille, Vitrolles")."""
    if ":" not in text and "|" not in text:
        return []
    spans = []
    for label in _PLACE_LABEL_RE.finditer(text):
        end = text.find("\n", label.end())
        spans.append((label.end(), end if end >= 0 else len(text)))
    return spans


def _in_place_field(text: str, offset: int, fields: list[tuple[int, int]]) -> bool:
    # between the label and the town only other names of the list
    return any(a <= offset < b and _LABEL_LIST_RE.fullmatch(text, a, offset) for a, b in fields)


def follows_word(
    text: str, tokens: list[Token], i: int, words: frozenset[str], window: int = ELSEWHERE_WINDOW
) -> bool:
    """One of ``words`` among the ``window`` words before token ``i``, in its sentence."""
    for j in range(i - 1, max(-1, i - 1 - window), -1):
        if any(c in ".!?\n" for c in text[tokens[j].end : tokens[j + 1].start]):
            return False
        if tokens[j].norm in words:
            return True
    return False


_NOUN_LINKS = frozenset({"d", "de", "du", "des", "un", "une", "la", "le", "l", "les"})
_PARTICIPLE_RE = re.compile(r"\w+(?:e|es|ee|ees)$")  # "installée", "grande": folded, no accents


def _governed_by_noun(text: str, tokens: list[Token], i: int) -> bool:
    """The town's preposition completes an organisation or event noun: "une entreprise de Rennes", "la
    fondation d'une grande banque à Paris", "une entreprise d'insertion installée à Aubervilliers". Only
    articles, a noun's own "d'X" complement and adjectives or participles may come between, so a verb
    stops the search ("des bénévoles lillois ont lancé à Roubaix": the subject, not a complement)."""
    for j in range(i - 2, max(-1, i - 2 - GOVERNING_STEPS), -1):
        if any(c in ".!?;\n" for c in text[tokens[j].end : tokens[j + 1].start]):
            return False
        norm = tokens[j].norm
        if norm in SECONDARY_NOUNS:
            return True
        after_link = j > 0 and tokens[j - 1].norm in ("d", "de", "du")
        if not (norm in _NOUN_LINKS or after_link or _PARTICIPLE_RE.fullmatch(norm)):
            return False
    return False


def _is_passing(text: str, tokens: list[Token], i: int) -> bool:
    """A town named for an origin or a comparison, or in a "À lire aussi" link line."""
    if follows_word(text, tokens, i, PASSING_WORDS, PASSING_WINDOW):
        return True
    line_start = text.rfind("\n", 0, tokens[i].start) + 1
    return _RELATED_LINK_RE.match(text, max(0, line_start - 1)) is not None
