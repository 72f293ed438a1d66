"""Shared by API and browser tests: a seeded SQLite database, the embedded engine, a live server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from core.domain import INNOVATION_TYPES, Analysis, CommuneRef, Initiative, QpvRef
from core.settings import Settings, load_settings
from core.storage.tables import AnalysisRow, PageRow
from search_api.app.auth import add_user, create_api_token
from search_api.app.factory import create_app
from search_api.app.services import AppServices

PASSWORD = "motdepasse-test"
USERS = {"ada": "admin", "rita": "reviewer", "anna": "annotator", "victor": "viewer"}
ROLE_USER = {role: name for name, role in USERS.items()}
QPV = QpvRef(
    code="QN00101M", name="Grande Reyssouze Terre Des Fleurs", commune="Bourg-en-Bresse", insee="01053"
)

# Our own short French texts (fictional), one per detection:
# id, title, score, types, initiative name, carrier, in QPV, source, evidence sentence.
_ROWS = [
    ("d1", "Un jardin partagé au cœur du quartier de la Reyssouze", 0.91, ["sociale", "territoriale"],
     "Jardin des Fleurs", "Association Terre Commune", True, "presse-ain",
     "L'association Terre Commune a ouvert un jardin partagé au pied des immeubles."),
    ("d2", "Une recyclerie solidaire embauche des habitants du quartier", 0.74, ["sociale", "services"],
     "Recyclerie du Pont", "Régie de quartier", True, "presse-ain",
     "La régie de quartier lance une recyclerie solidaire qui forme des habitants."),
    ("d3", "Des ateliers numériques pour les seniors", 0.55, ["technologique"],
     "Clic Seniors", "Centre social Est", None, "asso-web",
     "Le centre social propose des ateliers numériques gratuits chaque mardi."),
    ("d4", "Conseil municipal : le budget primitif adopté", 0.12, [], None, None, False, "mairie", ""),
    ("d5", "Un tiers-lieu culturel ouvre dans une ancienne école", 0.62, ["territoriale"],
     "La Fabrique", "Collectif Fabrique", True, "asso-web",
     "Le collectif a transformé une ancienne école en tiers-lieu culturel."),
    ("d6", "Une application de covoiturage entre voisins", 0.48, ["technologique", "services"],
     "Covoisin", "Start-up Covoisin", None, "presse-ain",
     "La jeune entreprise teste une application de covoiturage entre voisins."),
]  # fmt: skip
_KEYS = ("id", "title", "score", "types", "name", "carrier", "qpv", "source", "evidence")
DOCS: list[dict[str, Any]] = [dict(zip(_KEYS, row, strict=True)) for row in _ROWS]


def make_analysis(doc: dict[str, Any]) -> dict[str, Any]:
    """The analyze contract of one seeded document."""
    is_init = doc["score"] >= 0.4
    scores = {t: (0.8 if t in doc["types"] else 0.2) for t in INNOVATION_TYPES}
    qpv_code = QPV.code if doc["qpv"] else None
    initiative = Initiative(doc["name"], doc["carrier"], "Bourg-en-Bresse", qpv_code, [doc["evidence"]])
    initiatives = [initiative] if is_init else []
    return Analysis(
        id=doc["id"],
        is_initiative=is_init,
        initiative_score=doc["score"],
        innovation_types=list(doc["types"]),
        type_scores=scores,
        in_qpv=doc["qpv"],
        qpv=[QPV] if doc["qpv"] else [],
        communes=[CommuneRef(insee="01053", name="Bourg-en-Bresse")],
        doc_kind="press",
        initiatives=initiatives,
        department_codes=["01"],
        region_codes=["84"],
        model_version="test",
    ).to_contract()


def seed(factory: Any) -> None:
    """Pages, analyses and users, written directly as rows (model versions come from the model folder)."""
    with factory() as session:
        for n, doc in enumerate(DOCS):
            text = f"{doc['title']}. {doc['evidence']} Les habitants sont invités à participer."
            url = f"https://exemple.test/{doc['id']}"
            page = PageRow(id=doc["id"], url=url, canonical_url=url, title=doc["title"], text=text)
            page.date, page.lang, page.source, page.kind = f"2026-0{1 + n}-15", "fr", doc["source"], "press"
            session.add(page)
            result = make_analysis(doc)
            session.add(
                AnalysisRow(
                    doc_id=doc["id"],
                    result=result,
                    is_initiative=result["is_initiative"],
                    initiative_score=doc["score"],
                    in_qpv=doc["qpv"],
                    doc_kind="press",
                    model_version="test",
                )
            )
        session.commit()
        for name, role in USERS.items():
            add_user(session, name, PASSWORD, role)


@dataclass
class LiveApp:
    """A running server and what the tests need to drive it."""

    url: str
    settings: Settings
    services: AppServices
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, role: str | None = None) -> httpx.Client:
        """An HTTP client, authenticated with the role's API token when given."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def save_test_models(model_dir: Path) -> None:
    """Two real (tiny) versions of the initiative model on disk, v1 promoted: the registry mirrors them."""
    from sklearn.dummy import DummyClassifier

    from nlp.classifiers.store import promote, save_model

    for version, f1 in (("v1", 0.70), ("v2", 0.75)):
        estimator = DummyClassifier(strategy="most_frequent").fit([[0], [1]], [0, 1])
        meta = {"task": "initiative", "version": version, "n_examples": 10, "cv_metrics": {"f1": f1}}
        save_model(model_dir, "initiative", version, estimator, meta | {"data_hash": f"hash-{version}"})
    promote(model_dir, {"initiative": "v1"})


def make_services(data_dir: Path, reference_dir: Path, database_url: str | None = None) -> AppServices:
    """The app's services built as `vigie serve` builds them (vigie.wiring.make_app_services), seeded.

    Production wiring: the search engine with the real e5 embedder (hybrid search, "similar"), the
    model registry over a model folder (promote, roll back, train) and the re-analysis hook. Training
    reads an empty annotation folder, so a train job ends quickly (and says why).
    """
    from search_api.engines.documents import reindex
    from vigie.wiring import make_app_services

    annotations = data_dir / "annotations-empty"
    annotations.mkdir(parents=True, exist_ok=True)
    model_dir = data_dir / "models"
    save_test_models(model_dir)
    settings = load_settings(
        data_dir=data_dir,
        reference_dir=reference_dir,
        secret_key="test-secret-key",
        model_dir=model_dir,
        annotations_dir=annotations,
        seed_annotations=None,
        pool_annotations=None,
        database_url=database_url,
    )
    services = make_app_services(settings)
    assert services.search_engine is not None and services.registry is not None
    assert services.reanalyze is not None
    seed(services.session_factory)
    report = reindex(services.session_factory, services.search_engine)
    assert report.indexed == len(DOCS), report
    return services


@contextmanager
def run_server(services: AppServices) -> Iterator[str]:
    """Serve the app on 127.0.0.1, a free port, in a thread; yield its base URL once it answers."""
    with run_app(create_app(services)) as url:
        yield url


@contextmanager
def run_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1, a free port, in a thread; yield its base URL once it answers."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # readiness polled, not slept on
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{url}/api/health", timeout=10).status_code == 200
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def live_app(data_dir: Path, reference_dir: Path, database_url: str | None = None) -> Iterator[LiveApp]:
    """A seeded app served live, with one API token per role (SQLite in data_dir unless a URL is given)."""
    services = make_services(data_dir, reference_dir, database_url)
    with services.session_factory() as session:
        tokens = {role: create_api_token(session, name, "tests") for name, role in USERS.items()}
    try:
        with run_server(services) as url:
            yield LiveApp(url=url, settings=services.settings, services=services, tokens=tokens)
    finally:
        if services.search_engine is not None:
            services.search_engine.close()
