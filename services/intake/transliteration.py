"""Latin transliteration of names by the ICAO Doc 9303 (Part 3, 8th ed.) rules, for search.

Partners write names as they read them: Cyrillic from an internal passport, Latin from a
foreign one. Both are folded to the ICAO Latin form, so "Алексей" and "ALEKSEI" meet.
"""

from __future__ import annotations

import re
import unicodedata

# ICAO 9303 Part 3, table for Cyrillic (Russian letters, plus Ukrainian and Kazakh ones that
# passports of people crossing at Oral carry)
_ICAO_CYRILLIC = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "ZH", "З": "Z",
    "И": "I", "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R",
    "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH",
    "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
    "Є": "IE", "І": "I", "Ї": "I", "Ґ": "G",
    "Ә": "A", "Ғ": "G", "Қ": "K", "Ң": "N", "Ө": "O", "Ұ": "U", "Ү": "U", "Һ": "H",
}  # fmt: skip


_TO_LATIN = str.maketrans(_ICAO_CYRILLIC)
_NOT_A_LETTER = re.compile(r"[^A-Z]+")


def icao_latin(name: str) -> str:
    """Upper-case ICAO Latin form of a name written in Cyrillic or Latin script."""
    latin = unicodedata.normalize("NFC", name.upper()).translate(_TO_LATIN)
    if latin.isascii():  # the usual case, and a rebuild transliterates every name again
        return latin
    # Latin with diacritics (É, Ö) folds to its base letter, as in the MRZ
    return "".join(c for c in unicodedata.normalize("NFD", latin) if not unicodedata.combining(c))


def name_tokens(*names: str | None) -> set[str]:
    """The words of the names, transliterated: what an operator's search can match."""
    tokens: set[str] = set()
    for name in names:
        if name:
            tokens.update(token for token in _NOT_A_LETTER.split(icao_latin(name)) if token)
    return tokens
