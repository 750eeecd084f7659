"""Names as people write them: every common romanisation of a Cyrillic name, for search.

Partners type what is on the paper: an internal passport in Cyrillic, a foreign passport
romanised by ICAO 9303 (since 2013), by the older MVD rules ("Yuliya", "Aleksey", before
2010 and 2010-2013), a Kazakh document in Kazakh Latin (2021: "Qairat", "Janar"), or the
spelling people use themselves ("Yulia", "Alexey", "Dmitry"). The romanisations come from
the iuliia library's published schemas; only the Kazakh 2021 alphabet, which iuliia lacks,
is written out here (as an iuliia schema, so iuliia's engine applies it).

Each spelling is then *folded*: a few rules that erase the differences between schemas
(y/i/j for the soft vowels, kh/h, zh/j, ks/x, ts/c, doubled letters) without erasing the
name. A Cyrillic name is indexed under the folds of all its romanisations; a Latin query is
folded once and must meet one of them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import iuliia  # type: ignore[import-untyped]
from iuliia.schema import TranslitSchema  # type: ignore[import-untyped]

#: Kazakh letters -> the Russian ones the Russian schemas know (Нұрлан -> Нурлан)
_KAZAKH_TO_RUSSIAN = str.maketrans(
    {"Ә": "А", "Ғ": "Г", "Қ": "К", "Ң": "Н", "Ө": "О", "Ұ": "У", "Ү": "У", "Һ": "Х", "І": "И",
     "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
     # Ukrainian letters, which passports of people crossing at Oral carry too
     "Є": "Е", "Ї": "Й", "Ґ": "Г", "є": "е", "ї": "й", "ґ": "г"}
)  # fmt: skip

#: Kazakh Latin alphabet of 2021 (presidential decree of 2021), lower case
KAZAKH_2021 = TranslitSchema(
    name="kazakh_2021",
    description="Kazakh Latin alphabet, 2021",
    mapping={
        "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e",
        "ё": "io", "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l",
        "м": "m", "н": "n", "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s",
        "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
        "ч": "ç", "ш": "ş", "щ": "şş", "ъ": "", "ы": "y", "і": "ı", "ь": "", "э": "e",
        "ю": "iu", "я": "ia",
    },
)  # fmt: skip

#: the schemas of the papers people carry and of what they type
SCHEMAS = (
    iuliia.ICAO_DOC_9303,  # foreign passports since 2013
    iuliia.MVD_782,  # foreign passports 1997-2010
    iuliia.MVD_310,  # foreign passports 2010-2013
    iuliia.GOST_779_ALT,  # GOST 7.79 system B
    iuliia.GOST_16876,
    iuliia.BGN_PCGN,
    iuliia.ALA_LC,
    iuliia.BS_2979,
    iuliia.SCIENTIFIC,
    iuliia.WIKIPEDIA,  # what most people type
    iuliia.YANDEX_MAPS,
    iuliia.TELEGRAM,
)

_AFTER_HUSHING = re.compile(r"([жшчщ])ё")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_APOSTROPHES = re.compile(r"['`’ʹʼʺ\"]")
_WORD = re.compile(r"[^\W\d_]+")

#: letters with a diacritic that stand for two Latin letters elsewhere (Š = SH); the others
#: lose their mark (Ä -> A, Ğ -> G, Ñ -> N, Ū -> U)
_SPELLED_OUT = str.maketrans(
    {"Š": "SH", "Ş": "SH", "Č": "CH", "Ç": "CH", "Ž": "ZH", "Ŝ": "SHCH", "Û": "YU", "Â": "YA",
     "Ë": "YO", "Ё": "YO", "İ": "I", "Ĭ": "Y"}
)  # fmt: skip

#: (pattern, replacement) in order; "#" stands for the zh sound while j is being folded
_FOLDS = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"SHCH|SHH|SCH|SC", "SH"),  # Щ: Shchukin, Shhukin, Schukin, Scukin
        (r"T?SCH|TCH", "CH"),  # Tchernov
        (r"DZH|DJ|ZH", "#"),  # Ж, Дж: Zhanna, Janna, Djamila
        (r"KH", "H"),  # Х: Khabibullin, Habibullin, Mihail
        (r"X", "KS"),  # Alexey, Aleksey; Xabibullin (GOST) gets an extra form, harmless
        (r"TS|TZ|TC|CZ", "C"),  # Ц: Tsoi, Tcoi, Coi, Czoj
        (r"W", "V"),
        (r"Q", "K"),  # Kazakh Қ: Qairat, Kairat
        (r"Y", "I"),  # Yulia, Iuliia; Dmitry, Dmitrii; Sergey, Sergei
        (r"(?<=.)J", "I"),  # Sergej, Natalja, Julija (a J that starts the word may be Ж)
        (r"#", "J"),
        (r"(.)\1+", r"\1"),  # doubled letters: Iuliia, Khabibullin, Anna
    )
)


def _plain_upper(spelling: str) -> str:
    """Upper case, digraph letters spelled out, other marks dropped, ASCII only."""
    upper = unicodedata.normalize("NFC", spelling.upper()).translate(_SPELLED_OUT)
    stripped = unicodedata.normalize("NFD", upper)
    return "".join(c for c in stripped if "A" <= c <= "Z" or c == "#")


def fold(latin: str) -> str:
    """The spelling-insensitive form of one Latin word: ``fold("Yuliya") == fold("Iuliia")``."""
    folded = _plain_upper(latin)
    for pattern, replacement in _FOLDS:
        folded = pattern.sub(replacement, folded)
    return folded


@lru_cache(maxsize=65_536)  # names repeat: a rebuild meets the same ones thousands of times
def spellings(word: str) -> frozenset[str]:
    """The folded forms under which one word is indexed or looked up."""
    if not _CYRILLIC.search(word):
        return frozenset({fold(word)} - {""})
    latin = [
        schema.translate(written) for written in _as_written(word.lower()) for schema in SCHEMAS
    ]
    latin.append(KAZAKH_2021.translate(word.lower()))
    return frozenset(fold(spelling) for spelling in latin) - {""}


def _as_written(word: str) -> set[str]:
    """The word in Russian letters, also as often written: yo as ye (Соловьев: "Soloviev"),
    and as o after a hushing consonant, as it sounds (Чернышёв: "Chernyshov")."""
    russian = word.translate(_KAZAKH_TO_RUSSIAN)
    return {russian, russian.replace("ё", "е"), _AFTER_HUSHING.sub(r"\1о", russian)}


def words(*names: str | None) -> list[str]:
    """The words of the names (apostrophes inside a word kept out: Ol'ga is one word)."""
    found: list[str] = []
    for name in names:
        if name:
            found.extend(_WORD.findall(_APOSTROPHES.sub("", name)))
    return list(dict.fromkeys(found))


def name_tokens(*names: str | None) -> set[str]:
    """Every folded spelling of every word of the names: what a search can match."""
    return {token for word in words(*names) for token in spellings(word)}
