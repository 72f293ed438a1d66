"""Who speaks and in what genre, read from the text itself: a call, a list of winners, an institution...

The second pass on the document kind (docs/models.md, eighth round): next to the URL cues of who publishes
the page (`nlp.classifiers.url_cues`), a handful of interpretable cues of the text's speaker and genre,
written from the label definitions (data/annotations-seed/README.md), not from errors: how often the text
uses the words of a call (« candidatures », « date limite », « dossier »...), of a list of winners
(« lauréats », « primés », « jury »...), of an institution speaking of its policy (« la Ville », « le
Département », « contrat de ville »...), of an association about itself (« notre association »,
« adhérents », « bénévoles »...), of press reporting (« a-t-il expliqué », « lire aussi »...), of a blog,
a study or a company; amounts; the rate of « nous » / « je » / « vous »; quotes, a dateline, a byline,
proper names, list items and digits. Only the first `MAX_CHARS` characters are read (labelled excerpts
are about that long; the pipeline hands the model a document's first passage).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MAX_CHARS = 2000

# Families of words, searched in the accent-folded, lower-case text; the count enters as log1p(n) / 2.
WORD_FAMILIES: dict[str, str] = {
    "call": r"\bcandidatures?\b|\bcandidater\b|\bpostuler\b|date limite|\bdossiers? de candidature"
    r"|appel a (?:projets?|candidatures?|manifestation)|\bami\b|\baap\b|eligib|criteres? de selection"
    r"|\bmodalites\b|\bdeposer\b|\bdepot des\b|porteurs? de projets?|\bdotation\b|\bsubventions?\b"
    r"|\breglement\b|jusqu.au \d|\bclotures?\b|peuvent candidater|\bformulaire\b",
    "money": r"\d[\d .]*(?:000)? ?(?:€|euros?\b|k€|m€)|\bmillions? d.euros",
    "laureates": r"\blaureats?\b|\blaureates?\b|\bprimes?\b|\bprimees?\b|\brecompenses?\b|\brecompensees?\b"
    r"|\bpalmares\b|\bjury\b|\bremporte\b|\bdistingues?\b|\bselectionnes?\b|\bgagnants?\b|\b1er prix\b"
    r"|\bprix\b|\bmention speciale\b|\bceremonie\b",
    "institution": r"\bla ville\b|\bla commune\b|\ble departement\b|\bla region\b|\bla metropole\b"
    r"|\bl.agglomeration\b|\ble maire\b|\bconseil (?:municipal|departemental|regional)\b|\bservice public\b"
    r"|\bla municipalite\b|\bdeliberation\b|\bcontrat de ville\b|\bpolitique de la ville\b|\bvos demarches\b"
    r"|\bprefet\b|\bprefecture\b|\blocataires\b|\bbailleur\b|\belus?\b|\bl.etat\b|\bministere\b"
    r"|\bcollectivites?\b",
    "association": r"notre association|\bl.association\b|\badherents?\b|\badhesion\b|\bbenevoles?\b"
    r"|\bbenevolat\b|rejoignez.nous|faire un don|\bnos actions\b|\bloi 1901\b|\bstatuts\b|\bnotre projet\b"
    r"|\bnos ateliers\b|\bnotre equipe\b|\bsoutenez\b",
    "press": r"a-t-(?:il|elle) (?:explique|precise|ajoute|confie|indique|souligne)|explique-t-(?:il|elle)"
    r"|(?:raconte|confie|precise|souligne|sourit|assure|estime)-t?-?(?:il|elle)\b|\bselon (?:lui|elle)\b"
    r"|\bjournaliste\b|\bpublie le\b|\bmis a jour\b|\blire aussi\b|\ba lire aussi\b|\babonnes?\b|\bafp\b"
    r"|\bphoto\b|\bcredit\b|\bnotre journal\b|\bredaction\b",
    "other": r"\bcommentaires?\b|\bposte par\b|\brepondre\b|\bbillet\b|\bforum\b|\bsommaire\b|\brapport\b"
    r"|\betude\b|\bmethodologie\b|\btableau\b|\bpage \d+\b|\bannexes?\b|\bbibliographie\b|\bentreprise\b"
    r"|\bnos clients\b|\bfondation\b|\bmecenat\b",
}
# Persons of the speaker: their rate per word, x 50, capped at 2.
PERSONS: dict[str, str] = {
    "we": r"\bnous\b|\bnotre\b|\bnos\b",
    "i": r"\bje\b|\bj'|\bmoi\b",
    "you": r"\bvous\b|\bvotre\b|\bvos\b",
}
_FAMILY_RE = {name: re.compile(p) for name, p in {**WORD_FAMILIES, **PERSONS}.items()}
_QUOTE = re.compile(r"«|»|\"|“|”")
_DATELINE = re.compile(r"\s*[A-Z][A-Za-zÀ-ÿ' -]{2,30}\s*(?:\(|,|–|—|-)\s*")
_BYLINE = re.compile(r"\b[Pp]ar [A-ZÀ-Ý][a-zà-ÿ]+ [A-ZÀ-Ý][A-Za-zà-ÿ-]+")
_PROPER_NAME = re.compile(r"\b[A-ZÀ-Ý][a-zà-ÿ]+ [A-ZÀ-Ý][A-Za-zà-ÿ-]+\b")
_LIST_ITEM = re.compile(r"^\s*(?:[-•*–·]|\d+[.)])\s+", re.M)

CUE_NAMES: tuple[str, ...] = (
    tuple(WORD_FAMILIES)
    + tuple(PERSONS)
    + ("quotes", "dateline", "byline", "proper_names", "list_items", "digits", "length")
)


def _fold(text: str) -> str:
    """Lower-case ASCII, the typographic apostrophe made plain ("J’ai Été" -> "j'ai ete")."""
    text = text.replace("\u2019", "'")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def text_cues(text: str) -> FloatArray:
    """The cue vector of one text, in `CUE_NAMES` order (each value in [0, 2])."""
    head = text[:MAX_CHARS]
    folded = _fold(head)
    words = max(len(folded.split()), 1)
    values = [np.log1p(len(_FAMILY_RE[k].findall(folded))) / 2 for k in WORD_FAMILIES]
    values += [min(len(_FAMILY_RE[k].findall(folded)) / words * 50, 2.0) for k in PERSONS]
    values += [
        np.log1p(len(_QUOTE.findall(head))) / 2,
        float(bool(_DATELINE.match(head))),
        float(bool(_BYLINE.search(head))),
        min(len(_PROPER_NAME.findall(head)) / words * 20, 2.0),
        np.log1p(len(_LIST_ITEM.findall(head))) / 2,
        min(sum(ch.isdigit() for ch in head) / max(len(head), 1) * 20, 2.0),
        np.log1p(words) / 8,
    ]
    return np.asarray(values, dtype=float)


def text_cue_matrix(texts: list[str]) -> FloatArray:
    """One row of `text_cues` per text."""
    if not texts:
        return np.zeros((0, len(CUE_NAMES)))
    return np.vstack([text_cues(t) for t in texts])
