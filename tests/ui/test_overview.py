"""The overview: a dashboard per role (over HTTP), department outlines served once, the catalogue map."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.live_app import PASSWORD, LiveApp
from tests.support.web import login

HTML = {"accept": "text/html"}


def _page(app_live: LiveApp, user: str, path: str) -> str:
    client = login(app_live.url, user, PASSWORD)
    try:
        response = client.get(path, headers=HTML)
    finally:
        client.close()
    assert response.status_code == 200, response.text[:300]
    return response.text


def test_login_lands_on_the_overview(app_live: LiveApp) -> None:
    with httpx.Client(base_url=app_live.url, timeout=30) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/connexion").text)
        assert token is not None
        data = {"username": "victor", "password": PASSWORD, "csrf_token": token.group(1)}
        response = client.post("/connexion", data=data)
    assert response.status_code == 303 and response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("user", "todo"),
    [("rita", 'href="/revue"'), ("anna", 'href="/annotation"'), ("victor", 'href="/recherche"'),
     ("ada", 'href="/admin/modeles"')],
)  # fmt: skip
def test_the_overview_counts_detections_by_month_department_and_type(
    app_live: LiveApp, user: str, todo: str
) -> None:
    html = _page(app_live, user, "/")
    assert "<h1>Vue d'ensemble</h1>" in html
    card = html.split('id="a-faire"', 1)[1].split("</div>", 1)[0]
    assert todo in card  # what this role has to do
    # Seeded: six analysed pages, five detections (score >= 0.4), all in the Ain (01), none decided yet.
    assert re.search(r'id="n-detections">5<', html) and re.search(r'id="n-attente">5<', html)
    assert 'data-dep="01" data-n="5"' in html and 'data-dep="75" data-n="0"' in html
    assert html.count('class="dep"') == 96  # every metropolitan department drawn, inline SVG
    assert 'Ain <span class="code">01</span>' in html
    assert html.count('class="bar-detected"') == 5  # January, February, March, May, June 2026
    assert re.search(r'data-type="sociale"><span>sociale</span><span class="bar" style="width: 100', html)


def test_department_outlines_are_simplified_and_cacheable(app_live: LiveApp) -> None:
    with app_live.client("viewer") as client:
        response = client.get("/api/geo/departements")
    body = response.json()
    assert response.status_code == 200 and "max-age" in response.headers["cache-control"]
    assert len(body["features"]) == 96 and len(response.content) < 200_000
    assert {f["properties"]["code"] for f in body["features"]} >= {"01", "2A", "2B", "75"}


def test_the_catalogue_map_places_validated_initiatives(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        for doc in ("d1", "d3"):
            client.post(f"/api/review/{doc}", json={"action": "validate"}).raise_for_status()
    try:
        html = _page(app_live, "victor", "/catalogue/carte")
        catalogue = _page(app_live, "victor", "/catalogue")
    finally:
        with app_live.client("reviewer") as client:
            for doc in ("d1", "d3"):
                client.post(f"/api/review/{doc}", json={"action": "reset"})
    points = dict(re.findall(r'data-doc="(d\d)" cx="([\d.]+)"', html))
    assert set(points) == {"d1", "d3"}  # d1 at its QPV's centroid, d3 at its commune's
    assert "Grande Reyssouze Terre Des Fleurs (Bourg-en-Bresse)" in html
    assert html.count('class="dep outline"') == 96
    assert 'href="/catalogue/carte"' in catalogue
    assert 'Grande Reyssouze Terre Des Fleurs <span class="code">QN00101M</span>' in catalogue
