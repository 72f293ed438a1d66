"""Hand-written French cue words per innovation type, as extra features of the types model.

Written from the label definitions of the seed set's README (`sociale`: a new answer to a social
need...), not from the seed texts or their errors. Each type's model reads the rate of its own cues
(``log1p`` of matches per 1,000 characters); docs/models.md has the measurement.
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


def cue_rates(texts: Sequence[str], labels: Sequence[str]) -> npt.NDArray[np.float64]:
    """``log1p`` of each label's cue matches per 1,000 characters (texts x labels; 0 without cues)."""
    out = np.zeros((len(texts), len(labels)))
    for i, text in enumerate(texts):
        head = text[:CUE_CHARS]
        size = max(len(head), 200)  # very short texts do not get huge rates from one word
        for j, label in enumerate(labels):
            pattern = _PATTERNS.get(label)
            if pattern is not None:
                out[i, j] = np.log1p(1000.0 * len(pattern.findall(head)) / size)
    return out
