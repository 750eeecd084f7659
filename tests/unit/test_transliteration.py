from __future__ import annotations

import pytest

from services.intake.search import name_keys
from services.intake.transliteration import fold, name_tokens, spellings, words
from tests.name_spellings import DIFFERENT, SPELLINGS


def test_at_least_thirty_real_world_spellings_are_covered() -> None:
    assert len(SPELLINGS) >= 30


@pytest.mark.parametrize(("cyrillic", "latin"), SPELLINGS)
def test_a_latin_spelling_meets_the_cyrillic_name_it_romanises(cyrillic: str, latin: str) -> None:
    assert spellings(latin) <= spellings(cyrillic)
    assert set(name_keys(latin, "Ivanova")) & set(name_keys(cyrillic, "Иванова"))


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_names_stay_apart(one: str, other: str) -> None:
    assert not name_tokens(one) >= name_tokens(other)


@pytest.mark.parametrize(
    ("written", "folded"),
    [("Yuliya", "IULIA"), ("Iuliia", "IULIA"), ("Khabibullin", "HABIBULIN"),
     ("Aleksey", "ALEKSEI"), ("Alexei", "ALEKSEI"), ("Zhanna", "JANA"), ("Tsoy", "COI"),
     ("Natal'ya", "NATALIA"), ("Šolpan", "SHOLPAN"), ("Müller", "MULER")],
)  # fmt: skip
def test_latin_spellings_fold_to_one_form(written: str, folded: str) -> None:
    assert fold(written.replace("'", "")) == folded


def test_names_split_into_words_across_hyphens_but_not_apostrophes() -> None:
    assert words("Мария-Анна", "Ol'ga") == ["Мария", "Анна", "Olga"]
    assert name_tokens("Smirnova") <= name_tokens("Смирнова")
    assert name_tokens(None, "") == set()


def test_every_combination_of_spellings_is_a_duplicate_key_up_to_a_bound() -> None:
    keys = name_keys("Юлия", "Соловьёва")
    assert "IULIA SOLOVIEVA" in keys and "JULIA SOLOVIOVA" in keys
    assert len(name_keys("Фёдор Юлия Алексей Соловьёв Щукин Ксения", "Чернышёв")) <= 64
