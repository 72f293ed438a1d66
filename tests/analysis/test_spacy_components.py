"""The analyzer's spaCy pipeline: rule sentences and the entity recogniser, nothing it does not read."""

from __future__ import annotations

import spacy

from nlp.pipeline import SPACY_EXCLUDE, SPACY_MODEL, load_spacy

TEXT = (
    "L'association Les Jardins de Kervénanec a lancé le projet dans le quartier de Kervénanec à Lorient. "
    "La Caisse d'allocations familiales du Morbihan soutient l'initiative depuis mars."
)


def test_only_sentences_and_entities_run() -> None:
    assert load_spacy().pipe_names == ["sentencizer", "ner"]


def test_leaving_out_the_shared_tok2vec_changes_no_entity_nor_sentence() -> None:
    """The NER embeds tokens itself; the shared tok2vec fed only the excluded tagger and parser."""
    full = spacy.load(SPACY_MODEL, exclude=[c for c in SPACY_EXCLUDE if c != "tok2vec"])
    full.add_pipe("sentencizer", first=True)
    assert "tok2vec" in full.pipe_names
    expected, got = full(TEXT), load_spacy()(TEXT)
    assert [(e.text, e.label_, e.start_char) for e in got.ents] == [
        (e.text, e.label_, e.start_char) for e in expected.ents
    ]
    assert [s.text for s in got.sents] == [s.text for s in expected.sents] and len(list(got.sents)) == 2
    assert {"Lorient"} <= {e.text for e in got.ents if e.label_ == "LOC"}
