from __future__ import annotations

import pytest

from services.intake.transliteration import icao_latin, name_tokens


@pytest.mark.parametrize(
    ("written", "latin"),
    [
        ("Алексей", "ALEKSEI"),
        ("Щукин", "SHCHUKIN"),
        ("Юлия", "IULIIA"),
        ("Фёдор", "FEDOR"),
        ("Хабенский", "KHABENSKII"),
        ("Подъячев", "PODIEIACHEV"),
        ("Ольга", "OLGA"),
        ("Цой", "TSOI"),
        ("Нұрлан", "NURLAN"),
        ("Müller", "MULLER"),
        ("aleksei", "ALEKSEI"),
    ],
)
def test_names_fold_to_icao_latin(written: str, latin: str) -> None:
    assert icao_latin(written) == latin


def test_cyrillic_and_latin_spellings_share_search_tokens() -> None:
    assert name_tokens("Мария-Анна", "Смирнова") == {"MARIIA", "ANNA", "SMIRNOVA"}
    assert name_tokens("Smirnova") <= name_tokens("Смирнова")
    assert name_tokens(None, "") == set()
