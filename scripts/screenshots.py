"""Screenshots of the web UI for the docs: docs/img/dashboard.png, review-item.png, catalogue-map.png.

Builds a throwaway demo database (our own short fictional texts, placed in real QPVs read from
VIGIE_REFERENCE_DIR at run time), serves the app on 127.0.0.1 and drives Debian's Chromium with Playwright.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from core.domain import INNOVATION_TYPES, Analysis, CommuneRef, Initiative, QpvRef
from core.settings import load_settings
from core.storage import open_database
from core.storage.tables import AnalysisRow, PageRow
from search_api.app import review
from search_api.app.auth import add_user
from search_api.app.factory import create_app
from search_api.app.services import AppServices
from vigie.wiring import make_place_directory

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-captures-2026"
# Our own fictional initiatives: (title, evidence sentence, initiative, carrier, types).
STORIES = [
    (
        "Un jardin partagé ouvre au pied des immeubles",
        "L'association a ouvert un jardin partagé au pied des tours.",
        "Jardin des Voisins",
        "Association Terre Commune",
        ["sociale", "territoriale"],
    ),
    (
        "Une recyclerie solidaire forme des habitants",
        "La régie de quartier lance une recyclerie qui forme des habitants.",
        "Recyclerie du Pont",
        "Régie de quartier",
        ["sociale", "services"],
    ),
    (
        "Des ateliers numériques pour les seniors",
        "Le centre social propose des ateliers numériques chaque mardi.",
        "Clic Seniors",
        "Centre social Est",
        ["technologique"],
    ),
    (
        "Un tiers-lieu culturel dans une ancienne école",
        "Le collectif a transformé une ancienne école en tiers-lieu.",
        "La Fabrique",
        "Collectif Fabrique",
        ["territoriale"],
    ),
    (
        "Une application de covoiturage entre voisins",
        "Une jeune entreprise teste le covoiturage entre voisins.",
        "Covoisin",
        "Start-up Covoisin",
        ["technologique", "services"],
    ),
    (
        "Une épicerie solidaire tenue par des bénévoles",
        "Des bénévoles tiennent une épicerie solidaire à prix réduits.",
        "Le Panier",
        "Secours de quartier",
        ["sociale"],
    ),
    (
        "Un atelier vélo pour apprendre à réparer",
        "L'atelier apprend aux jeunes à réparer leurs vélos.",
        "Vélo Fabrik",
        "Maison des jeunes",
        ["services", "sociale"],
    ),
    (
        "Une marque de quartier pour les artisans",
        "Les artisans du quartier lancent une marque commune.",
        "Fait ici",
        "Union des artisans",
        ["marketing"],
    ),
]


def pick_qpvs(reference: Path, count: int, seed: int = 7) -> list[dict[str, str]]:
    """A spread of real QPVs (code, name, commune, department) from the reference list."""
    with (reference / "qpv_2024.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["dep_code"] < "97"]
    return random.Random(seed).sample(rows, count)


def seed_demo(factory: object, reference: Path, n_docs: int = 60) -> list[str]:
    """Pages and analyses of fictional detections over 12 months; some validated, one rejected."""
    rng = random.Random(11)
    qpvs = pick_qpvs(reference, 24)
    ids = []
    with factory() as session:  # type: ignore[operator]
        for n in range(n_docs):
            title, evidence, name, carrier, types = STORIES[n % len(STORIES)]
            q = qpvs[rng.randrange(len(qpvs))] if n % 5 else qpvs[n % 4]  # a few busy departments
            doc_id = f"demo{n:03d}"
            text = f"{title}. {evidence} Les habitants du quartier {q['lib_qp']} sont invités à participer."
            page = PageRow(
                id=doc_id,
                url=f"https://exemple.test/{doc_id}",
                canonical_url=f"https://exemple.test/{doc_id}",
                title=f"{title} à {q['lib_com_cog2026']}",
                text=text,
            )
            page.date, page.lang, page.source, page.kind = (
                f"2026-{1 + n % 12:02d}-{1 + n % 27:02d}",
                "fr",
                "presse-demo",
                "press",
            )
            qpv = QpvRef(
                code=q["code_qp"],
                name=q["lib_qp"],
                commune=q["lib_com_cog2026"],
                insee=q["insee_com_cog2026"],
            )
            score = round(0.45 + 0.5 * rng.random(), 2)
            analysis = Analysis(
                id=doc_id,
                is_initiative=True,
                initiative_score=score,
                innovation_types=list(types),
                type_scores={t: (0.8 if t in types else 0.15) for t in INNOVATION_TYPES},
                in_qpv=True,
                qpv=[qpv],
                communes=[CommuneRef(insee=q["insee_com_cog2026"], name=q["lib_com_cog2026"])],
                doc_kind="press",
                initiatives=[Initiative(name, carrier, q["lib_com_cog2026"], q["code_qp"], [evidence])],
                department_codes=[q["dep_code"]],
                region_codes=[q["reg_code"]],
                model_version="demo",
            ).to_contract()
            session.add(page)
            session.add(
                AnalysisRow(
                    doc_id=doc_id,
                    result=analysis,
                    is_initiative=True,
                    initiative_score=score,
                    in_qpv=True,
                    doc_kind="press",
                    model_version="demo",
                )
            )
            ids.append(doc_id)
        session.commit()
        add_user(session, "demo", PASSWORD, "admin")
        for doc_id in ids[::2][:22]:
            review.apply_action(session, doc_id, "demo", "validate")
        review.apply_action(session, ids[3], "demo", "reject", reason="Article sur un autre quartier.")
    return ids


def serve(services: AppServices) -> tuple[uvicorn.Server, str]:
    """The app on 127.0.0.1 (free port) in a thread, once it accepts connections."""
    server = uvicorn.Server(
        uvicorn.Config(create_app(services), host="127.0.0.1", port=0, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def capture(url: str, out: Path, review_id: str) -> None:
    """Log in and take the three screenshots."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_context(
            base_url=url, viewport={"width": 1200, "height": 1000}, locale="fr-FR"
        ).new_page()
        page.goto("/connexion")
        page.get_by_label("Identifiant").fill("demo")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_selector("#carte-departements")
        page.screenshot(path=str(out / "dashboard.png"))
        page.goto(f"/revue/{review_id}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / "review-item.png"))
        page.goto("/catalogue/carte")
        page.wait_for_selector("#carte-catalogue circle.point")
        page.screenshot(path=str(out / "catalogue-map.png"))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), secret_key="screenshots")
        reference = settings.require_reference_dir()
        engine, factory = open_database(settings.resolved_database_url)
        ids = seed_demo(factory, reference)
        services = AppServices(
            settings=settings,
            session_factory=factory,
            search_engine=None,
            places=make_place_directory(settings),
        )
        server, url = serve(services)
        try:
            capture(url, args.out, review_id=ids[1])
        finally:
            server.should_exit = True
            engine.dispose()
    for name in ("dashboard.png", "review-item.png", "catalogue-map.png"):
        print(f"{args.out / name}: {(args.out / name).stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
