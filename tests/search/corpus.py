"""A small French corpus written for the search contract suite, with its facets (our own text)."""

from __future__ import annotations

from typing import Any

from search_api.engines.base import KEYWORD_FIELDS, IndexDocument


def _doc(
    doc_id: str, title: str, text: str, date: str | None, score: float, **keywords: Any
) -> dict[str, Any]:
    return {"id": doc_id, "title": title, "text": text, "date": date, "score": score, "keywords": keywords}


DOCS: list[dict[str, Any]] = [
    _doc(
        "fab1",
        "Un fablab pour les jeunes de la Castellane",
        "L'association Les Bricoleurs ouvre un fablab au cœur du quartier de la Castellane à Marseille. "
        "Les jeunes y apprennent l'impression 3D et la découpe laser avec des animateurs.",
        "2024-03-12",
        0.92,
        region=["93"],
        department=["13"],
        commune=["13055"],
        qpv=["QN01301M"],
        in_qpv=["true"],
        innovation_type=["technologique", "sociale"],
        doc_kind=["press"],
        source=["laprovence"],
        review_status=["validated"],
    ),
    _doc(
        "fab2",
        "Fablab de la Castellane : reprise de l'article",
        "L'association Les Bricoleurs ouvre un fablab au cœur du quartier de la Castellane à Marseille. "
        "Les jeunes y apprennent l'impression 3D.",
        "2024-03-13",
        0.90,
        region=["93"],
        department=["13"],
        commune=["13055"],
        qpv=["QN01301M"],
        in_qpv=["true"],
        innovation_type=["technologique"],
        doc_kind=["press"],
        source=["agregateur"],
        review_status=["pending"],
    ),
    _doc(
        "ess1",
        "Économie sociale et solidaire : une épicerie coopérative",
        "Une épicerie solidaire et coopérative s'installe dans le quartier du Mirail à Toulouse. "
        "Portée par des habitantes, elle propose des produits locaux à petits prix.",
        "2023-11-05",
        0.81,
        region=["76"],
        department=["31"],
        commune=["31555"],
        qpv=["QN03101M"],
        in_qpv=["true"],
        innovation_type=["sociale", "services"],
        doc_kind=["association"],
        source=["mirail-asso"],
        review_status=["validated"],
    ),
    _doc(
        "mob1",
        "Mobilité solidaire : des vélos électriques en prêt",
        "Pour rejoindre les zones d'emploi, une plateforme de mobilité prête des vélos "
        "à assistance électrique "
        "aux demandeurs d'emploi du quartier des Tarterêts à Corbeil-Essonnes.",
        "2024-01-20",
        0.77,
        region=["11"],
        department=["91"],
        commune=["91174"],
        qpv=["QN09105M"],
        in_qpv=["true"],
        innovation_type=["services"],
        doc_kind=["press"],
        source=["leparisien"],
        review_status=["pending"],
    ),
    _doc(
        "code1",
        "Une école du code gratuite",
        "Une école gratuite forme au développement web des adultes sans diplôme. Les apprenants conçoivent "
        "des applications et des sites pendant six mois, puis rejoignent une entreprise en alternance.",
        "2022-09-01",
        0.70,
        region=["84"],
        department=["69"],
        commune=["69266"],
        qpv=[],
        in_qpv=["unknown"],
        innovation_type=["technologique", "sociale"],
        doc_kind=["institutional"],
        source=["metropole-lyon"],
        review_status=["validated"],
    ),
    _doc(
        "jard1",
        "Des jardins partagés au pied des immeubles",
        "Les locataires cultivent des légumes dans des jardins partagés créés avec le bailleur social. "
        "Les récoltes sont partagées lors de repas de quartier.",
        "2021-06-15",
        0.55,
        region=["32"],
        department=["59"],
        commune=["59350"],
        qpv=["QN05901M"],
        in_qpv=["true"],
        innovation_type=["territoriale"],
        doc_kind=["institutional"],
        source=["lille-metropole"],
        review_status=["rejected"],
    ),
    _doc(
        "aap1",
        "Appel à projets : innovation sociale dans les quartiers",
        "La préfecture lance un appel à projets pour soutenir l'innovation sociale dans les quartiers "
        "prioritaires. "
        "Les dossiers sont à déposer avant le 30 juin.",
        "2024-05-02",
        0.10,
        region=["11"],
        department=["93"],
        commune=["93066"],
        qpv=[],
        in_qpv=["unknown"],
        innovation_type=[],
        doc_kind=["call_for_projects"],
        source=["prefecture"],
        review_status=["pending"],
    ),
    _doc(
        "stat1",
        "Chômage : les chiffres du trimestre",
        "Le taux de chômage recule légèrement selon les statistiques publiées ce trimestre par l'institut.",
        None,
        0.05,
        region=[],
        department=[],
        commune=[],
        qpv=[],
        in_qpv=["unknown"],
        innovation_type=[],
        doc_kind=["other"],
        source=["insee-blog"],
        review_status=["pending"],
    ),
    _doc(
        "sante1",
        "Un bus santé sillonne les quartiers",
        "Un bus médicalisé se rend chaque semaine dans les quartiers nord d'Amiens pour des consultations "
        "de prévention et des dépistages gratuits.",
        "2023-03-30",
        0.74,
        region=["32"],
        department=["80"],
        commune=["80021"],
        qpv=["QN08001M"],
        in_qpv=["true"],
        innovation_type=["services"],
        doc_kind=["press"],
        source=["courrier-picard"],
        review_status=["validated"],
    ),
    _doc(
        "garde1",
        "Une crèche à horaires décalés",
        "Une crèche ouverte tôt le matin et tard le soir permet aux parents qui travaillent "
        "en horaires décalés "
        "de faire garder leurs enfants près de chez eux, au centre-ville de Rennes.",
        "2022-12-01",
        0.68,
        region=["53"],
        department=["35"],
        commune=["35238"],
        qpv=[],
        in_qpv=["false"],
        innovation_type=["services", "sociale"],
        doc_kind=["association"],
        source=["rennes-asso"],
        review_status=["pending"],
    ),
]


def make_documents() -> list[IndexDocument]:
    """The corpus as index documents (vectors are added by the fixture)."""
    out = []
    for item in DOCS:
        keywords = {name: list(item["keywords"].get(name, [])) for name in KEYWORD_FIELDS}
        out.append(
            IndexDocument(
                id=item["id"],
                title=item["title"],
                text=item["text"],
                date=item["date"],
                keywords=keywords,
                initiative_score=item["score"],
                is_initiative=item["score"] >= 0.5,
                group="fab1" if item["id"] == "fab2" else None,
                summary={"initiative_score": item["score"]},
            )
        )
    return out


def expected_ids(field: str, value: str) -> set[str]:
    """Oracle for keyword filters."""
    return {d["id"] for d in DOCS if value in d["keywords"].get(field, [])}
