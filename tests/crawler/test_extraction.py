"""Extraction of HTML and PDF, and the evaluation that scores it against ground truth."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import lxml.html
from typer.testing import CliRunner

import core.language
from crawler.evaluation import Scores, evaluate, expected_days, load_ground_truth, score_page, token_f1
from crawler.extraction import (
    _CAPTIONS,
    _PARSER,
    FULL_PASS_BELOW_CHARS,
    Extracted,
    _clean_text,
    caption_elements,
    decide,
    decide_text,
    extract_html,
    extract_pdf,
    gather,
)
from crawler.leads import find_leads
from crawler.maintext import plain_extraction
from crawler.rules import ALL_RULES
from crawler.run import make_extract_pool
from tests.support.site import article_html, french_text, minimal_pdf
from vigie.cli import make_app

JSONLD = (
    '<script type="application/ld+json">{"@context": "https://schema.org", '
    '"@graph": [{"@type": "NewsArticle", '
    '"headline": "Un tiers-lieu ouvre aux Izards", "datePublished": "2023-11-02T07:30:00+01:00", '
    '"author": [{"@type": "Person", "name": "Camille Martin"}]}]}</script>'
    '<link rel="canonical" href="/2023/11/tiers-lieu">'
)


def test_html_metadata_prefers_structured_data() -> None:
    head = JSONLD + '<meta property="og:title" content="Un tiers-lieu ouvre aux Izards">'
    html = article_html(
        "Un tiers-lieu ouvre aux Izards | Presse", french_text(3), date="2023-11-02", extra_head=head
    )
    result = extract_html(html, "https://presse.example.fr/2023/11/tiers-lieu?utm_source=x")
    assert (result.title, result.sources["title"]) == ("Un tiers-lieu ouvre aux Izards", "og:title")
    assert (result.date, result.author, result.lang) == ("2023-11-02", "Camille Martin", "fr")
    assert result.canonical_url == "https://presse.example.fr/2023/11/tiers-lieu"
    assert "habitants du quartier" in result.text
    assert "Mentions légales" not in result.text and not result.js_rendered


def test_captions_are_not_main_text() -> None:
    body = french_text(5)
    html = article_html("Photo", body).replace(
        "</article>",
        "<figure><img src=a.jpg><figcaption>Crédit photo : Agence Exemple</figcaption></figure></article>",
    )
    assert "Agence Exemple" not in extract_html(html).text


def test_title_candidates_that_agree_win_and_the_site_name_goes() -> None:
    head = '<meta property="og:site_name" content="Ville de Trappes">'
    html = article_html(
        "Le budget participatif est lancé - Ville de Trappes", french_text(3), extra_head=head
    )
    html = html.replace(
        "<h1>Le budget participatif est lancé - Ville de Trappes</h1>", "<h1>Ville de Trappes</h1>"
    )
    html = html.replace("<article>", "<article><h1>Le budget participatif est lancé</h1>")
    result = extract_html(html, "https://www.trappes.fr/actualites/budget")
    assert (result.title, result.sources["title"]) == ("Le budget participatif est lancé", "h1")


def test_disagreeing_title_candidates_fall_back_to_trafilatura() -> None:
    head = '<meta property="og:title" content="Un autre sujet sans rapport">'
    html = article_html("Les habitants rénovent la place du marché", french_text(3), extra_head=head)
    html = html.replace("<h1>Les habitants rénovent la place du marché</h1>", "<h1>Rubrique quartiers</h1>")
    result = extract_html(html, "https://presse.example.fr/a")
    assert result.sources["title"] == "trafilatura"


def test_the_title_fallback_is_the_same_before_and_after_the_main_text_pass() -> None:
    # trafilatura's title is asked only when no candidate wins; asked after the main-text pass has
    # dropped the captions from the page's tree, it comes from the page parsed again, not that tree
    head = '<meta property="og:title" content="Un autre sujet sans rapport">'
    html = article_html("Les habitants rénovent la place du marché", french_text(3), extra_head=head)
    html = html.replace("<h1>Les habitants rénovent la place du marché</h1>", "<h1>Rubrique quartiers</h1>")
    html = html.replace(
        "<article>", "<article><figure><figcaption>Les habitants du quartier</figcaption></figure>"
    )
    first = gather(html, "https://presse.example.fr/a")
    assert decide(first).sources["title"] == "trafilatura"
    late = gather(html, "https://presse.example.fr/a")
    decide_text(late, ALL_RULES, None)  # consumes the tree
    assert late.tree is None
    assert late.trafilatura_title() == first.trafilatura_title() is not None
    assert decide(late) == decide(first)


def test_the_full_trafilatura_pass_reads_the_same_tree_as_the_fast_one() -> None:
    # a short page gets both passes on one parsed tree: trafilatura must work on a copy of it
    html = article_html("Jardin", french_text(1, sentences=4))
    tree = lxml.html.fromstring(html, parser=_PARSER)
    before = lxml.html.tostring(tree)
    fast = plain_extraction(tree, None, comments=False, fast=True)
    assert lxml.html.tostring(tree) == before
    assert fast is not None and len(fast) < FULL_PASS_BELOW_CHARS
    full = plain_extraction(tree, None, comments=False, fast=False)
    fresh = plain_extraction(lxml.html.fromstring(html, parser=_PARSER), None, comments=False, fast=False)
    assert full is not None and full == fresh
    assert extract_html(html).text in _clean_text(full)  # less the repeated title


def test_a_teaser_marked_lead_before_the_body_is_main_text() -> None:
    lead = "La ville ouvre un nouveau jardin partagé pour les habitants du quartier des Izards cette année."
    html = article_html("Jardin", french_text(6)).replace(
        "<h1>Jardin</h1>", f'<h1>Jardin</h1><div class="teaser-text"><p>{lead}</p></div>'
    )
    assert lead in extract_html(html).text
    assert lead not in extract_html(html, rules=ALL_RULES - {"text.lead"}).text


def test_a_chapo_lead_before_the_body_is_main_text() -> None:
    lead = "La ville ouvre un nouveau jardin partagé pour les habitants du quartier des Izards cette année."
    header = f'<div class="cartouche"><h1>Jardin</h1><div class="crayon chapo"><p>{lead}</p></div></div>'
    html = article_html("Jardin", french_text(6)).replace("<article><h1>Jardin</h1>", f"{header}<article>")
    assert lead in extract_html(html).text
    assert lead not in extract_html(html, rules=ALL_RULES - {"text.lead"}).text


def test_lead_classes_are_matched_with_ascii_letters_case_folded_in_the_body_only() -> None:
    lead = "La ville ouvre un nouveau jardin partagé pour les habitants du quartier des Izards cette année."
    body = f"<p>{french_text(6, sentences=3)}</p>"
    for cls, found in [("Intro TEASER", True), ("PREFACE-x", True), ("tea\u017fer", False)]:
        html = f'<html><body><div class="{cls}"><p>{lead}</p></div>{body}</body></html>'
        assert bool(find_leads(lxml.html.fromstring(html, parser=_PARSER))) is found, cls
    # an element outside <body> is no lead; a fragment's elements are inside the body lxml adds
    head = f'<html><head><title class="teaser">{lead}</title></head><body>{body}</body></html>'
    assert find_leads(lxml.html.fromstring(head, parser=_PARSER)) == []
    fragment = lxml.html.fromstring(
        f'<div><div class="chapo"><p>{lead}</p></div>{body}</div>', parser=_PARSER
    )
    assert [text for text, _ in find_leads(fragment)] == [lead]


def test_og_title_and_title_tag_saying_the_same_are_one_vote_against_the_headline() -> None:
    """A CMS fills both from one field: "Arbeit" twice does not outvote the page's <h1>."""
    head = '<meta property="og:title" content="Arbeit"><meta property="og:site_name" content="Die Partei">'
    html = article_html("Arbeit - Die Partei", french_text(3), extra_head=head)
    html = html.replace("<h1>Arbeit - Die Partei</h1>", "<h1>Wir kämpfen für gute Arbeit</h1>")
    result = extract_html(html, "https://www.partei.example/arbeit")
    assert result.sources["title"] == "trafilatura"  # the pair no longer wins as og:title


def test_a_logo_heading_is_no_title_candidate_and_one_declared_title_is_taken() -> None:
    svg = '<h1><a href="/"><svg><title>POLITICO</title><desc>Politico Logo</desc></svg></a></h1>'
    head = '<meta property="og:title" content="Insiders: Trump will sink Pence">'
    html = article_html("Insiders: Trump will sink Pence", french_text(3), extra_head=head)
    html = html.replace("<h1>Insiders: Trump will sink Pence</h1>", svg)
    result = extract_html(html, "https://www.politico.example/story")
    assert (result.title, result.sources["title"]) == ("Insiders: Trump will sink Pence", "og:title")


def test_a_title_with_a_separated_part_gives_way_to_the_candidate_without_it() -> None:
    head = '<meta property="og:title" content="Changes in Circulating DNA in Lung Cancer - Full Text View">'
    html = article_html("Changes in Circulating DNA in Lung Cancer", french_text(3), extra_head=head)
    result = extract_html(html, "https://trials.example.gov/show/1")
    assert (result.title, result.sources["title"]) == ("Changes in Circulating DNA in Lung Cancer", "h1")
    result = extract_html(html, "https://trials.example.gov/show/1", rules=ALL_RULES - {"title.site_name"})
    assert result.title == "Changes in Circulating DNA in Lung Cancer - Full Text View"


def test_javascript_pages_are_recorded_without_text() -> None:
    html = '<html><body><div id="root"></div><noscript>Activer JavaScript</noscript></body></html>'
    result = extract_html(html, "https://x.fr/app")
    assert result.js_rendered and result.text == ""


def test_pdf_text() -> None:
    result = extract_pdf(minimal_pdf("Appel a projets pour les quartiers prioritaires"), "https://x.fr/a.pdf")
    assert "quartiers prioritaires" in result.text


def test_scoring_rules() -> None:
    assert token_f1("a b c", "a b c") == 1.0 and token_f1("x", "y") == 0.0
    assert expected_days("2022-07-18T22:00:00.000Z", "de") == {"2022-07-18", "2022-07-19"}
    assert expected_days("2022-07-18", "fr") == {"2022-07-18"}
    scores = Scores("x")
    page_truth = {"text_must_contain": ["Bonjour le monde"], "text_must_not_contain": ["menu"], "title": "T"}
    from crawler.evaluation import GroundTruthPage

    page = GroundTruthPage("p", None, "fr", "", page_truth)
    score_page(scores, page, Extracted(text="Bonjour  le monde\nmenu", title="T"))
    figures = scores.as_dict()
    assert (figures["snippet_precision"], figures["snippet_recall"], figures["title_accuracy"]) == (
        0.5,
        1.0,
        1.0,
    )


def test_title_scoring_is_strict() -> None:
    """Token F1 of at least 0.8 is right, the normalised form exactly right; a site name the ground
    truth itself declares is no part of the title."""
    from crawler.evaluation import GroundTruthPage, page_outcome

    def scored(truth: dict[str, str], title: str) -> tuple[bool | None, bool | None]:
        outcome = page_outcome(GroundTruthPage("p", None, "de", "", truth), Extracted(text="", title=title))
        return outcome.title_ok, outcome.title_exact

    headline = {"title": "Wir kämpfen für gute Arbeit"}
    assert scored(headline, "Arbeit") == (False, False)  # contained, once a match
    assert scored(headline, "wir  kämpfen für gute ARBEIT") == (True, True)
    assert scored(headline, "Wir kämpfen für gute Arbeit | Die Grünen") == (True, False)
    assert scored({"title": "Mozilla - Wikipedia"}, "Mozilla") == (False, False)
    ehow = {"title": "How to Build a Terrarium | eHow", "site_name": "eHow"}
    assert scored(ehow, "How to Build a Terrarium") == (True, True)
    assert scored({"title": "Dropbox’s ATF – a framework"}, "Dropbox's ATF - a framework") == (True, True)
    assert scored({"title_contains": "Radeon HD"}, "Radeon HD 7750 : test") == (True, True)


def _write_eval_folder(root: Path) -> Path:
    (root / "pages").mkdir(parents=True)
    (root / "ground_truth").mkdir()
    body = french_text(11)
    first_sentence = body.split(".")[0].strip()
    (root / "pages" / "fr-a-01.html").write_text(
        article_html("Jardin", body, date="2024-02-03"), encoding="utf-8"
    )
    truth = {
        "ground_truth": {
            "text_must_contain": [first_sentence],
            "text_must_not_contain": ["Mentions légales"],
            "date_published": "2024-02-03",
            "title": "Jardin",
        }
    }
    (root / "ground_truth" / "fr-a-01.json").write_text(json.dumps(truth), encoding="utf-8")
    with (root / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["file", "ground_truth_file", "url", "language", "has_ground_truth", "declared_charset"]
        )
        writer.writerow(["pages/fr-a-01.html", "ground_truth/fr-a-01.json", "", "fr", "yes", "utf-8"])
    return root


def test_evaluate_extraction_command_prints_both_extractors(tmp_path: Path) -> None:
    folder = _write_eval_folder(tmp_path / "web")
    pages = load_ground_truth(folder)
    (ours,) = evaluate(pages, {"vigie": extract_html})
    assert ours.as_dict()["snippet_f1"] == 1.0 and ours.as_dict()["date_accuracy"] == 1.0
    result = CliRunner().invoke(make_app(), ["evaluate", "extraction", "--pages", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output[result.output.index("{") :])
    assert {"vigie", "vigie_loso", "trafilatura", "by_page_type", "rules"} <= set(figures)
    assert figures["vigie"]["snippet_f1"] == 1.0 and figures["vigie_loso"]["date_accuracy"] == 1.0
    text = CliRunner().invoke(make_app(), ["evaluate", "extraction", "--pages", str(folder), "--failures"])
    assert text.exit_code == 0, text.output
    assert "vigie LOSO" in text.output and "rule ablation" in text.output and "date.headline" in text.output


def test_evaluate_extraction_rejects_a_folder_without_manifest(tmp_path: Path) -> None:
    result = CliRunner().invoke(make_app(), ["evaluate", "extraction", "--pages", str(tmp_path)])
    assert result.exit_code != 0


def _language_model_loaded() -> bool:
    return bool(core.language._identifier.cache_info().currsize)


def test_workers_start_with_the_language_model_loaded() -> None:
    """The crawler loads the language model before forking: no worker loads it again."""
    core.language._identifier.cache_clear()
    pool = make_extract_pool(2)
    assert pool is not None
    try:
        assert [pool.submit(_language_model_loaded).result() for _ in range(4)] == [True] * 4
    finally:
        pool.shutdown()
    assert make_extract_pool(0) is None


def test_caption_elements_are_the_xpaths(shared_dir: Path) -> None:
    """The walk finds the elements of ``_CAPTIONS``, in document order, on every shared page and on a
    fragment whose captions sit outside the element lxml returns."""
    pages = shared_dir / "data" / "web"
    edge = (
        '<div class="credit-box"><figcaption class="caption">a</figcaption><p class="">b</p>'
        '<span class="Copyright">c</span><i class="photo-credits">d</i><!-- caption --></div>'
    )
    htmls = [edge, f"<p>x</p>{edge}"]
    for row in csv.DictReader((pages / "manifest.csv").open(encoding="utf-8")):
        htmls.append((pages / row["file"]).read_bytes().decode("utf-8", errors="replace"))
    found = 0
    for html in htmls:
        tree = lxml.html.fromstring(html, parser=_PARSER)
        assert caption_elements(tree) == tree.xpath(_CAPTIONS)
        found += len(caption_elements(tree))
    assert found > 50
    assert [e.tag for e in caption_elements(lxml.html.fromstring(edge, parser=_PARSER))] == [
        "div",
        "figcaption",
        "i",
    ]
