"""Hand-written French cue words per innovation type, as extra features of the types model.

Written from the label definitions of the seed set's README (`sociale`: a new answer to a social
need...), not from the seed texts or their errors. Each type's model reads the share of the text's
sentences that hold one of its own cues; docs/models.md has the measurement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

# Cues are matched at a word start, case-insensitively, so a stem ("solidari") covers its forms.
TYPE_CUES: dict[str, tuple[str, ...]] = {
    "sociale": (
        "insertion", "inclusion", "emploi", "solidari", "économie sociale", "ess", "éducati",
        "accompagnement", "jeunes", "chômeur", "précarité", "isolement", "lien social", "entraide",
        "bénévole", "réinsertion", "décrochage", "handicap",
    ),
    "technologique": (
        "numérique", "digital", "application", "appli", "plateforme", "logiciel", "code", "codage",
        "coder", "programmation", "développeur", "informatique", "tablette", "ordinateur", "robot",
        "capteur", "impression 3d", "imprimante 3d", "fablab", "fab lab", "e-sport", "esport",
        "jeu vidéo", "jeux vidéo", "solaire", "photovolta", "électrique", "intelligence artificielle",
        "data", "données", "internet", "en ligne", "site web", "technologi", "innovation technique",
        "médiathèque",
    ),
    "territoriale": (
        "tiers-lieu", "tiers lieu", "tiers-lieux", "coopération", "gouvernance", "conseil citoyen",
        "conseils citoyens", "table de quartier", "partenariat", "partenaires", "acteurs locaux",
        "acteurs du territoire", "co-construction", "co-construit", "concertation", "participati",
        "habitants", "collectif", "mutualis", "consortium", "réseau", "maison du projet",
        "territoire", "quartier",
    ),
    "marketing": (
        "image", "campagne", "marque", "promouvoir", "promotion", "vendre", "vente",
        "boutique éphémère", "pop-up", "pop up", "marché", "créateurs", "magazine", "fresque",
        "street art", "valoriser", "valorisation", "communication", "panier", "paniers",
        "circuit court", "commerciali", "label", "attractivité", "regard", "clichés", "stigmat",
        "réputation",
    ),
    "services": (
        "service", "mobilité", "transport", "garde d'enfant", "crèche", "santé", "médecin", "soins",
        "guichet", "accueil", "permanence", "réparation", "repair", "porte-à-porte", "porte à porte",
        "itinérant", "bus", "conciergerie", "livraison", "aide à domicile", "démarches",
        "accès aux droits", "france services", "navette", "covoiturage",
    ),
}  # fmt: skip

_PATTERNS = {
    t: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")", re.IGNORECASE)
    for t, words in TYPE_CUES.items()
}
# Cues are counted over the same start of the text as the TF-IDF (features.FEATURE_CHARS).
CUE_CHARS = 12000
# Sentences: cut after . ! ? or at line breaks; fragments of 20 characters or less (captions, menu
# items) are not sentences.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_SENTENCE_CHARS = 20


def sentences(text: str) -> list[str]:
    """The sentences of a text's first `CUE_CHARS` characters (the whole head when none is long enough)."""
    head = text[:CUE_CHARS]
    found = [s for s in _SENTENCE_END.split(head) if len(s.strip()) > MIN_SENTENCE_CHARS]
    return found or [head]


def cue_shares(texts: Sequence[str], labels: Sequence[str]) -> npt.NDArray[np.float64]:
    """Share of each text's sentences holding at least one cue of each label (texts x labels, 0-1).

    A label without cues reads 0. The share measures how much of the text is about the type, where a
    raw count grows with the length of the page.
    """
    out = np.zeros((len(texts), len(labels)))
    for i, text in enumerate(texts):
        sents = sentences(text)
        for j, label in enumerate(labels):
            pattern = _PATTERNS.get(label)
            if pattern is not None:
                out[i, j] = sum(1 for s in sents if pattern.search(s)) / len(sents)
    return out
