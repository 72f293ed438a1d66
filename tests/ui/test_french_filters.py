"""The French Jinja filters every page uses: numbers, dates in Paris time, booleans, place names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from search_api.app.place_names import load_place_names
from search_api.app.routes.rendering import (
    french_bool,
    french_date,
    french_datetime,
    french_decimal,
    french_number,
    french_percent,
    templates,
)


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(644.0, "644"), (644, "644"), (1234.5, "1 234,5"), (0.12345, "0,12"), (1234567, "1 234 567"),
     (None, "—"), (-2.5, "-2,5")],
)  # fmt: skip
def test_numbers_are_french(value: object, expected: str) -> None:
    assert _plain(french_number(value)) == expected


def test_fixed_decimals_for_metric_tables() -> None:
    assert french_decimal(0.75) == "0,750" and french_decimal(0.0625, 3, signed=True) == "+0,062"
    assert french_decimal(-0.5, 2, signed=True) == "-0,50" and french_decimal(None) == "—"


def test_percent_and_booleans() -> None:
    assert _plain(french_percent(0.125)) == "12,5 %"
    assert [french_bool(v) for v in (True, False, None, "true", "false")] == [
        "oui", "non", "inconnu", "oui", "non",
    ]  # fmt: skip


def test_dates_are_paris_time_with_french_months() -> None:
    assert french_datetime(datetime(2026, 12, 6, 13, 5, tzinfo=UTC)) == "6 déc. 2026 14:05"  # winter: UTC+1
    assert french_datetime("2026-07-06T13:05:00Z") == "6 juil. 2026 15:05"  # summer: UTC+2
    assert french_datetime(datetime(2026, 2, 1, 23, 30)) == "2 févr. 2026 00:30"  # naive means UTC
    assert french_date("2026-01-15") == "15 janv. 2026"
    assert french_datetime(None) == ""


def test_place_names_from_the_reference_folder(shared_dir: Path) -> None:
    places = load_place_names(shared_dir / "data" / "reference")
    assert places.name("84", "region") == "Auvergne-Rhône-Alpes"
    assert places.name("01", "department") == "Ain"
    assert places.name("01053", "commune") == "Bourg-en-Bresse"
    assert places.name("QN00101M", "qpv") == "Grande Reyssouze Terre Des Fleurs"
    assert places.name("QN99999X", "qpv") is None
    assert load_place_names(shared_dir / "data" / "reference") is places  # read once, cached


def test_place_filters_in_a_template(shared_dir: Path) -> None:
    # What the filter reads from the template context: request.app.state.services.settings.
    settings = SimpleNamespace(reference_dir=shared_dir / "data" / "reference")
    request = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(services=SimpleNamespace(settings=settings)))
    )
    source = (
        "{{ '01'|place_name('department') }}|{{ 'QN00101M'|place_label('qpv') }}|{{ 'X'|place_name('qpv') }}"
    )
    out = templates.env.from_string(source).render(request=request)
    assert out == 'Ain|Grande Reyssouze Terre Des Fleurs <span class="code">QN00101M</span>|X'
    assert load_place_names(None).name("01", "department") is None  # no reference folder: codes stay
