"""The commune scores of `vigie evaluate geo`: gazetteer-matched and strict by name."""

from __future__ import annotations

from nlp.geo import GeoLinker
from nlp.geo.evaluation import evaluate_geo


def _record(text: str, communes: list[str], url: str | None = None) -> dict[str, object]:
    return {"id": "x1", "text": text, "url": url, "is_initiative": True, "in_qpv": None, "communes": communes}


def test_a_renamed_commune_matches_through_the_gazetteer_not_by_strict_name(linker: GeoLinker) -> None:
    records = [_record("À Saint-Ouen-sur-Seine (93), une recyclerie ouvre ses portes.", ["Saint-Ouen"])]
    scores = evaluate_geo(linker, records)
    assert (scores.commune_tp, scores.commune_fp, scores.commune_fn) == (1, 0, 0)
    assert (scores.strict_tp, scores.strict_fp, scores.strict_fn) == (0, 1, 1)
    assert scores.as_dict()["commune_f1"] == 1.0
    assert scores.as_dict()["commune_f1_strict_names"] == 0.0


def test_les_and_lez_spellings_are_one_name(linker: GeoLinker) -> None:
    text = "À Saint-André-lès-Lille, un atelier vélo mobile s'installe sur le marché."
    scores = evaluate_geo(linker, [_record(text, ["Saint-André-lez-Lille"])])
    assert (scores.commune_tp, scores.commune_fp, scores.commune_fn) == (1, 0, 0)
    assert scores.strict_tp == 1


def test_a_foreign_town_is_scored_against_the_gold_name(linker: GeoLinker) -> None:
    text = "À Molenbeek, en Belgique, le CPAS de Molenbeek ouvre un compost collectif."
    scores = evaluate_geo(linker, [_record(text, ["Molenbeek-Saint-Jean"]), _record(text, [])])
    assert (scores.commune_tp, scores.commune_fp, scores.commune_fn) == (1, 1, 0)


def test_in_qpv_f1_counts_an_unknown_gold_as_not_in_a_qpv(linker: GeoLinker) -> None:
    text = "À Grigny, sur la Grande Borne, un repair café ouvre le samedi."
    inside, unknown = _record(text, ["Grigny"]), _record(text, ["Grigny"])
    inside["in_qpv"] = True
    scores = evaluate_geo(linker, [inside, unknown])
    assert (scores.qpv_tp, scores.qpv_fp, scores.qpv_fn) == (1, 1, 0)
    assert scores.as_dict()["in_qpv_f1"] == round(2 / 3, 4)
    assert scores.qpv_total == 1  # the accuracy still reads only the texts with a gold in_qpv
