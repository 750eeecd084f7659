"""Real-world spellings of Russian and Kazakh names, each with the name as written in
Cyrillic: passports (ICAO 9303 since 2013, the MVD rules before), Kazakh documents (Latin
alphabet of 2021), and what people type."""

from __future__ import annotations

SPELLINGS: list[tuple[str, str]] = [
    ("Юлия", "Yulia"), ("Юлия", "Yuliya"), ("Юлия", "Iuliia"), ("Юлия", "Julia"),
    ("Алексей", "Alexey"), ("Алексей", "Aleksey"), ("Алексей", "Aleksei"),
    ("Алексей", "Alexei"), ("Алексей", "Aleksej"),
    ("Жанна", "Zhanna"), ("Жанна", "Janna"),
    ("Хабибуллин", "Khabibullin"), ("Хабибуллин", "Habibullin"),
    ("Сергей", "Sergey"), ("Сергей", "Sergei"), ("Сергей", "Sergej"),
    ("Дмитрий", "Dmitry"), ("Дмитрий", "Dmitriy"), ("Дмитрий", "Dmitrii"),
    ("Екатерина", "Ekaterina"), ("Екатерина", "Yekaterina"),
    ("Наталья", "Natalya"), ("Наталья", "Natalia"), ("Наталья", "Nataliia"),
    ("Наталья", "Natal'ya"),
    ("Ксения", "Ksenia"), ("Ксения", "Xenia"), ("Ксения", "Kseniya"),
    ("Фёдор", "Fyodor"), ("Фёдор", "Fedor"),
    ("Щукин", "Shchukin"), ("Щукин", "Schukin"),
    ("Цой", "Tsoy"), ("Цой", "Tsoi"),
    ("Ольга", "Olga"), ("Ольга", "Ol'ga"),
    ("Вячеслав", "Vyacheslav"), ("Вячеслав", "Viacheslav"),
    ("Юрий", "Yury"), ("Юрий", "Yuri"), ("Юрий", "Yuriy"), ("Юрий", "Iurii"),
    ("Анастасия", "Anastasia"), ("Анастасия", "Anastasiya"),
    ("Илья", "Ilya"), ("Илья", "Ilia"),
    ("Михаил", "Mikhail"), ("Михаил", "Mihail"),
    ("Татьяна", "Tatyana"), ("Татьяна", "Tatiana"), ("Татьяна", "Tatjana"),
    ("Евгений", "Evgeny"), ("Евгений", "Yevgeny"), ("Евгений", "Evgenii"),
    ("Андрей", "Andrey"), ("Андрей", "Andrei"),
    ("Николай", "Nikolay"), ("Николай", "Nikolai"),
    ("Мария", "Maria"), ("Мария", "Mariya"),
    ("Соловьёв", "Solovyov"), ("Соловьёв", "Soloviev"), ("Соловьёв", "Solovev"),
    ("Кузнецов", "Kuznetsov"),
    ("Чернышёв", "Chernyshev"), ("Чернышёв", "Chernyshov"),
    ("Жуков", "Zhukov"),
    ("Қайрат", "Qairat"), ("Қайрат", "Kairat"),
    ("Нұрлан", "Nurlan"),
    ("Жанар", "Janar"), ("Жанар", "Zhanar"),
    ("Әсел", "Äsel"), ("Әсел", "Asel"),
    ("Ғалым", "Ğalym"), ("Ғалым", "Galym"),
    ("Шолпан", "Şolpan"), ("Шолпан", "Sholpan"),
    ("Айгүл", "Aigül"), ("Айгүл", "Aigul"), ("Айгүл", "Aygul"),
    ("Ерлан", "Yerlan"), ("Ерлан", "Erlan"),
]  # fmt: skip

#: names that must stay apart however they are folded
DIFFERENT: list[tuple[str, str]] = [
    ("Юлия", "Юрий"), ("Щукина", "Щукин"), ("Жанна", "Яна"), ("Сергей", "Серго"),
    ("Алексей", "Александр"), ("Наталья", "Настя"), ("Ольга", "Олег"),
]  # fmt: skip
