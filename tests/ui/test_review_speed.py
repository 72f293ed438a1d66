"""Reviewing fast and safely in a real browser: confirmations, next/previous, progress, select-all,
shortcuts that stay off while a form is open, place pickers, the map with context, annotation sets."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.storage.tables import AnnotationRow
from tests.support.browser import browser_login
from tests.support.live_app import LiveApp


def _status(app: LiveApp, doc_id: str) -> str:
    with app.client("reviewer") as client:
        status: str = client.get(f"/api/review/{doc_id}").json()["status"]
    return status


def _reset(app: LiveApp, *doc_ids: str) -> None:
    with app.client("reviewer") as client:
        client.post("/api/review-bulk", json={"action": "reset", "doc_ids": list(doc_ids)}).raise_for_status()


def test_next_previous_keep_the_filters_and_actions_confirm(page, app_live: LiveApp) -> None:
    browser_login(page, "rita")
    page.goto("/revue?source=presse-ain&sort=date")
    assert "0 / 3 traités" in page.locator("#progression").inner_text()
    first = page.locator("tbody tr").first.locator("a").first
    first.click()
    assert page.locator("#position").inner_text() == "Élément 1 / 3"
    page.locator("h1").click()
    page.keyboard.press("n")  # next, within the filtered queue
    page.wait_for_url(re.compile(r"/revue/d\d\?source=presse-ain&sort=date$"))
    assert page.locator("#position").inner_text() == "Élément 2 / 3"
    doc = page.url.split("/revue/")[1].split("?")[0]
    page.get_by_role("button", name="Valider").click()
    page.wait_for_selector("#flash")
    assert page.locator("#flash").inner_text() == "Détection validée."
    assert "source=presse-ain" in page.url and _status(app_live, doc) == "validated"
    assert page.locator("#progression").inner_text() == "1 / 3 traités"
    # Validated, it left the pending selection: "next" leads back into it.
    assert "Hors de la sélection filtrée" in page.locator("#position").inner_text()
    page.get_by_role("link", name=re.compile("Suivant")).click()
    assert page.locator("#position").inner_text() == "Élément 1 / 2"
    page.goto("/revue?source=presse-ain&sort=date&status=all")
    assert "1 / 3 traités" in page.locator("#progression").inner_text()
    _reset(app_live, doc)


def test_shortcuts_are_off_while_the_correction_form_is_open(page, app_live: LiveApp) -> None:
    browser_login(page, "rita")
    page.goto("/revue/d3")
    page.locator("h1").click()
    page.keyboard.press("c")  # opens the correction form, focus in the name field
    assert page.locator("#corriger").get_attribute("open") is not None
    page.locator("#c-type-sociale").focus()  # a checkbox: the old stray-`v` case
    page.keyboard.press("v")
    page.locator("h1").click()  # even with the focus outside any field, the open form keeps them off
    page.keyboard.press("v")
    assert _status(app_live, "d3") == "pending"
    page.keyboard.press("Escape")  # closes the correction form
    assert page.locator("#corriger").get_attribute("open") is None
    page.locator("h1").click()
    page.keyboard.press("v")
    page.wait_for_selector("#flash")
    assert _status(app_live, "d3") == "validated"
    assert page.get_by_role("button", name=re.compile("Valider")).inner_text() == "Valider v"
    _reset(app_live, "d3")


def test_select_all_then_bulk_confirms_with_counts(page, app_live: LiveApp) -> None:
    browser_login(page, "rita")
    page.goto("/revue?source=asso-web")
    page.get_by_label("Tout sélectionner sur cette page").check()
    boxes = page.locator("input.row-select")
    assert boxes.count() == 2 and all(boxes.nth(i).is_checked() for i in range(2))
    assert page.locator("#selection-count").inner_text() == "(2 cochées)"
    page.get_by_role("button", name="Appliquer").click()
    page.wait_for_selector("#flash")
    assert page.locator("#flash").inner_text() == "Action groupée : 2 détection(s) traitée(s)."
    assert "source=asso-web" in page.url
    assert _status(app_live, "d3") == "validated" and _status(app_live, "d5") == "validated"
    _reset(app_live, "d3", "d5")


def test_the_map_draws_the_commune_the_qpv_and_its_neighbours(page, app_live: LiveApp) -> None:
    browser_login(page, "rita")
    page.goto("/revue/d1")
    page.wait_for_selector("#carte[data-loaded='1']")
    assert page.locator("#carte").get_attribute("data-layers") == "commune qpv voisins:1"
    assert page.locator("#carte path.leaflet-interactive").count() == 3  # commune, QPV, one neighbour


def test_pick_a_qpv_by_name_and_see_names_in_the_history(page, app_live: LiveApp) -> None:
    browser_login(page, "rita")
    page.goto("/revue/d6")  # no QPV detected; the text names Bourg-en-Bresse
    page.get_by_text("Corriger un champ").click()
    field = page.get_by_label(re.compile("^QPV"))
    field.fill("")
    field.press_sequentially("Mosson", delay=30)
    page.wait_for_selector("#c-qpv[data-suggested='1']")
    assert (
        page.locator("#qpv-proposes option").first.get_attribute("value") == "QN03405M — Mosson (Montpellier)"
    )
    field.fill("QN03405M — Mosson (Montpellier)")
    page.get_by_label(re.compile("^Commune")).fill("")
    page.get_by_role("button", name="Enregistrer la correction").click()
    page.wait_for_selector("#flash")
    assert page.locator("#val-qpv").inner_text().startswith("QN03405M — Mosson (Montpellier)")
    assert page.locator("#val-commune").inner_text().startswith("Montpellier")
    assert page.locator("#badge-mismatch").is_visible()  # the text's town is Bourg-en-Bresse
    entry = page.locator("tr.audit-entry").first.inner_text()
    assert "QPV" in entry and "→ QN03405M — Mosson (Montpellier)" in entry and "détecté" in entry
    # A code that does not exist: a French message in the form, nothing saved.
    page.get_by_label(re.compile("^QPV")).fill("QN99999X")
    page.get_by_role("button", name="Enregistrer la correction").click()
    assert "Code QPV inconnu : « QN99999X »" in page.locator("#erreur-correction").inner_text()
    with app_live.client("reviewer") as client:
        assert client.get("/api/review/d6").json()["values"]["qpv_code"] == "QN03405M"
        undo = client.get("/api/audit", params={"doc_id": "d6"}).json()["entries"][0]["id"]
        client.post(f"/api/audit/{undo}/undo").raise_for_status()
    page.goto("/revue?status=all")
    assert page.locator("#row-d6 .badge-warn").count() == 0


def test_annotation_progress_definitions_enter_on_links_and_a_second_initiative(
    page, app_live: LiveApp
) -> None:
    browser_login(page, "anna")
    page.goto("/annotation")
    assert "0 annoté" in page.locator("#progression-annotation").inner_text()
    page.get_by_role("link", name="Commencer l'annotation").click()
    page.wait_for_url(re.compile(r"/annotation/d\d$"))
    first = page.url.rsplit("/", 1)[1]
    assert page.locator("#definitions dt").count() == 5
    assert "tiers-lieu" in page.locator("#definitions").inner_text()
    page.locator("#passer").focus()
    page.keyboard.press("Enter")  # follows the link: skips, saves nothing
    page.wait_for_url(lambda url: not url.endswith(f"/{first}"))
    with app_live.services.session_factory() as session:
        assert session.scalars(select(AnnotationRow).where(AnnotationRow.annotator == "anna")).all() == []
    doc = page.url.rsplit("/", 1)[1]
    page.locator("h1").click()
    page.keyboard.press("o")
    page.keyboard.press("1")
    page.get_by_text("Le texte décrit plusieurs initiatives").click()
    page.locator("#ini2-name").fill("Deuxième lauréat")
    page.locator("#ini2-type-services").check()
    page.locator("#ini2-qpv").select_option("true")
    page.get_by_role("button", name=re.compile("Enregistrer et suivant")).click()
    page.wait_for_url(lambda url: not url.endswith(f"/{doc}"))
    assert "1 document annoté" in page.locator("#progression-annotation").inner_text()
    with app_live.services.session_factory() as session:
        row = session.scalars(select(AnnotationRow).where(AnnotationRow.doc_id == doc)).one()
    assert row.labels["innovation_types"] == ["sociale"]
    assert row.labels["initiatives"] == [
        {"name": "Deuxième lauréat", "in_qpv": True, "innovation_types": ["services"], "communes": []}
    ]
    page.goto(f"/annotation/{doc}")  # shown again when the annotator comes back
    assert page.locator("#ini2-name").input_value() == "Deuxième lauréat"
