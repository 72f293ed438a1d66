"""Vocabulary bridging: the thesaurus file, its matching on analysed words, and its use in hybrid ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from search_api.engines.french import analyze
from search_api.engines.thesaurus import DEFAULT_THESAURUS, Thesaurus, load_thesaurus


def test_the_shipped_thesaurus_parses_and_bridges_analyst_words_to_page_words() -> None:
    thesaurus = load_thesaurus()
    assert DEFAULT_THESAURUS.is_file()
    assert len(thesaurus.groups) >= 50
    seniors = thesaurus.expand(analyze("aider les seniors isolés à rester chez eux"))
    assert set(analyze("personnes âgées solitude")) <= set(seniors)
    assert "senior" not in seniors  # query terms are not repeated
    # Verb forms reach their nouns: « réparent », « réemploient » -> ressourcerie, recyclerie.
    reuse = thesaurus.expand(analyze("des lieux où les habitants réparent et réemploient"))
    assert set(analyze("ressourcerie recyclerie")) <= set(reuse)
    assert thesaurus.expand(analyze("Toulouse")) == []


def test_entries_match_whole_phrases_in_order_and_short_terms_exactly() -> None:
    thesaurus = Thesaurus.from_lines(
        ["# comment", "", "jardins partagés | potagers | ferme urbaine", "mer | océan"]
    )
    assert thesaurus.expand(analyze("des jardins partagés")) == analyze("potagers ferme urbaine")
    assert thesaurus.expand(analyze("partagés des jardins")) == []  # not side by side
    assert thesaurus.expand(analyze("merci")) == []  # « mer » is shorter than a prefix match
    assert thesaurus.expand(analyze("potagers collectifs"), limit=2) == analyze("jardins partagés")


def test_bad_thesaurus_lines_and_files_say_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="two entries"):
        Thesaurus.from_lines(["seniors"], "t.txt")
    with pytest.raises(InputError, match="t.txt:2"):
        Thesaurus.from_lines(["bus | navette", "les | des"], "t.txt")  # stop words only: no entry left
    with pytest.raises(InputError, match="cannot read the search thesaurus"):
        Thesaurus.load(tmp_path / "missing.txt")
