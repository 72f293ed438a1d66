"""Text hygiene and initiative extraction, on our own French sentences."""

from __future__ import annotations

from core.language import detect_language
from nlp.extraction import extract_initiatives, find_carriers, find_names, iter_list_items
from nlp.text import clean_text, split_passages


def test_clean_text_strips_html_passed_as_text() -> None:
    raw = "<html><body><script>var x=1;</script><p>Le projet &laquo;Vélo&raquo;</p><div>démarre</div></body>"
    cleaned = clean_text(raw)
    assert "<p>" not in cleaned.text and "var x" not in cleaned.text
    assert "Le projet «Vélo»" in cleaned.text and "démarre" in cleaned.text
    assert any(w.startswith("html_stripped") for w in cleaned.warnings)


def test_clean_text_removes_control_characters() -> None:
    cleaned = clean_text("Le\x00 jardin\x07 partagé\u200b ouvre\r\nlundi")
    assert cleaned.text == "Le jardin partagé ouvre\nlundi"
    assert any(w.startswith("control_chars") for w in cleaned.warnings)


def test_detect_language() -> None:
    assert (
        detect_language("Le centre social de la ville ouvre une épicerie pour les habitants du quartier.")
        == "fr"
    )
    assert (
        detect_language("The city council approved the new housing plan for the borough this week.") == "en"
    )
    assert detect_language("Bonjour") is None


def test_split_passages_keeps_every_character_of_long_texts() -> None:
    text = " ".join(f"Phrase numéro {i} du texte." for i in range(2000))
    passages = split_passages(text, size=1000)
    assert len(passages) > 10
    assert all(len(p) <= 1000 for p in passages)
    assert sum(len(p) for p in passages) >= len(text) - len(passages)


def test_find_names_and_carriers() -> None:
    sentence = (
        "L'association Les Jardins du Blosne a lancé le projet « Paniers Voisins » avec la Ville de Rennes."
    )
    assert find_names(sentence) == ["Paniers Voisins"]
    carriers = find_carriers(sentence)
    assert "Les Jardins du Blosne" in carriers
    assert "Ville de Rennes" in carriers
    assert find_carriers("Un atelier vélo porté par Mobilité Pour Tous ouvre.")[0] == "Mobilité Pour Tous"


def test_laureates_list_gives_one_initiative_per_item() -> None:
    text = (
        "Les lauréats sont connus :\n"
        "- Cuisine Mobile : l'association Saveurs Partagées installe un food-truck d'insertion.\n"
        "- Atelier Vélo Solidaire : la régie de quartier Nord répare les vélos des habitants.\n"
        "- Radio Cité : une radio animée par les jeunes du quartier."
    )
    assert len(iter_list_items(text)) == 3
    found = extract_initiatives(text, text.split("\n"), laureates=True)
    assert [m.name for m in found] == ["Cuisine Mobile", "Atelier Vélo Solidaire", "Radio Cité"]
    assert found[0].carrier == "Saveurs Partagées"
    assert found[1].evidence == [text.split("\n")[2].strip()]


def test_text_without_names_gets_one_initiative_with_evidence() -> None:
    sentences = [
        "Il fait beau.",
        "Une épicerie solidaire a été ouverte par des habitants du quartier en mars dernier.",
    ]
    found = extract_initiatives(" ".join(sentences), sentences)
    assert len(found) == 1
    assert found[0].name is None
    assert found[0].evidence == [sentences[1]]
