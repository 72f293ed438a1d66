"""French stop words: the one list of Vigie, for search analysis and for the classifiers' word TF-IDF."""

from __future__ import annotations

# Accent-folded (search analyses folded words). Elided articles and pronouns ("l'", "qu'", "jusqu'")
# fall out as the short tokens listed here.
_FOLDED = """
    a ai aie aient aies ainsi ait alors apres as au aussi aux avaient avais avait avant avec avez
    aviez avions avons ayant bien c ce ceci cela celle celles celui ces cet cette ceux chez comme d
    dans de des donc dont du elle elles en entre es est et etaient etais etait etant etre eu eux
    fait faut ici il ils j je jusqu l la le les leur leurs lorsqu lui m ma mais me meme mes moi mon
    n ne ni nos notre nous on ont ou par pas peu plus pour puisqu qu quand que quel quelle quelles
    quels qui quoiqu s sa sans se ses si son sont sous sur t ta te tes toi ton tous tout toute
    toutes tres tu un une unes uns vers vos votre vous y
"""
FRENCH_STOP_WORDS: frozenset[str] = frozenset(_FOLDED.split())

# The subset the classifiers' word TF-IDF drops, spelt as in the texts (not folded), plus "été" (search
# keeps it: "activités d'été"). The promoted models were trained with exactly these: a change here
# changes what the next training learns.
_TFIDF = """
    le la les l un une des du de d et à au aux en dans par pour sur avec ce cette ces qui que qu se
    sa son ses leur leurs il elle ils elles on nous vous est sont a ont été être ne pas plus
"""
TFIDF_STOP_WORDS: tuple[str, ...] = tuple(_TFIDF.split())
