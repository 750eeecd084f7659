"""The workload: arrivals as a welcome point would post them (1 to N people, Cyrillic names,
documents, skills; about 0.9 KB of JSON per arrival), seeded so that runs are comparable."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

ARRIVAL_DAY = date(2022, 9, 24)
CROSSINGS = ("syrym", "taskala", "zhanibek", "kos-aral", "ural-air")
MALE = (
    "Алексей", "Дмитрий", "Иван", "Сергей", "Андрей", "Максим", "Никита", "Артём", "Павел",
    "Олег", "Егор", "Михаил", "Кирилл", "Роман", "Денис", "Илья", "Владимир", "Григорий",
)  # fmt: skip
FEMALE = (
    "Мария", "Анна", "Екатерина", "Ольга", "Татьяна", "Юлия", "Наталья", "Ксения", "Дарья",
    "Елена", "Светлана", "Алина", "Вера", "Полина",
)  # fmt: skip
FAMILY = (
    "Смирнов", "Иванов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков",
    "Морозов", "Петров", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов",
    "Голубев", "Виноградов", "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев",
)  # fmt: skip
PATRONYMIC = ("Алексеевич", "Дмитриевич", "Иванович", "Сергеевич", "Андреевич", "Олегович")
PROFESSIONS = (
    "backend developer", "welder", "teacher", "nurse", "truck driver", "accountant",
    "electrician", "student", "designer", "mechanic",
)  # fmt: skip
SKILLS = ("driving licence C", "first aid", "cooking", "carpentry", "english", "plumbing")
NEEDS = ("victim_of_trauma", "serious_illness", "pregnant", "accessible_place")
COMPANIONS = ("spouse", "child", "parent", "sibling", "friend", "colleague")


def _member(rng: random.Random, relation: str, family: str) -> dict[str, Any]:
    sex = rng.choice(("male", "female"))
    adult = relation != "child"
    age = rng.randint(18, 72) if adult else rng.randint(0, 17)
    member: dict[str, Any] = {
        "given_name": rng.choice(MALE if sex == "male" else FEMALE),
        "family_name": family if sex == "male" else f"{family}а",
        "sex": sex,
        "relation": relation,
        "languages": ["ru", *rng.sample(("en", "kk", "de", "uk"), rng.randint(0, 2))],
    }
    if sex == "male" and adult:
        member["patronymic"] = rng.choice(PATRONYMIC)
    if rng.random() < 0.9:
        born = ARRIVAL_DAY - timedelta(days=age * 365 + rng.randint(10, 355))
        member["birth_date"] = born.isoformat()
    else:
        member["age"] = age
    if adult and rng.random() < 0.85:
        member["documents"] = [
            {
                "type": "foreign_passport",
                "number": f"{rng.randint(10, 99)} {rng.randint(1_000_000, 9_999_999)}",
                "issuing_country": "RU",
                "expiry": (ARRIVAL_DAY + timedelta(days=rng.randint(100, 3000))).isoformat(),
            }
        ]
        if rng.random() < 0.3:
            member["documents"].append({"type": "russian_internal_passport"})
    if adult and rng.random() < 0.7:
        member["profession"] = rng.choice(PROFESSIONS)
        member["skills"] = rng.sample(SKILLS, rng.randint(0, 3))
    if adult and rng.random() < 0.6:
        member["contact_phone"] = f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)} 12 34"
    if rng.random() < 0.1:
        member["needs"] = [rng.choice(NEEDS)]
    if rng.random() < 0.05:
        member["washington_group"] = {"walking": "a_lot_of_difficulty", "seeing": "no_difficulty"}
    return member


def make_arrival(rng: random.Random, reference: str, max_people: int) -> dict[str, Any]:
    """One arrival of 1 to ``max_people`` people, as a welcome point would post it."""
    size = rng.randint(1, max_people)
    family = rng.choice(FAMILY)
    members = [_member(rng, "self", family)]
    members.extend(_member(rng, rng.choice(COMPANIONS), family) for _ in range(size - 1))
    consents = ["housing", "aid"] + (["anonymous_statistics"] if rng.random() < 0.5 else [])
    return {
        "arrival_date": (ARRIVAL_DAY + timedelta(days=rng.randint(0, 6))).isoformat(),
        "crossing_point": rng.choice(CROSSINGS),
        "partner_reference": reference,
        "keep_together": size > 1,
        "consents": consents,
        "members": members,
    }


#: the baselines' table: intake's events table with the same columns, keys and indexes
BASELINE_DDL = """
CREATE TABLE {table} (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id text NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    event_id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    schema_version integer NOT NULL,
    topic text,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (stream_id, version)
);
CREATE INDEX ON {table} (transaction_id, global_position) WHERE topic IS NOT NULL;
"""

#: events the outbox relay has not published yet (intake's own tables, read-only)
RELAY_PENDING = """
WITH checkpoint AS (
    SELECT coalesce(max(transaction_id::text), '0')::xid8 AS t,
           coalesce(max(global_position), 0) AS p
    FROM outbox_checkpoint WHERE relay = 'main'
)
SELECT count(*) FROM events, checkpoint
WHERE topic IS NOT NULL AND (transaction_id, global_position) > (checkpoint.t, checkpoint.p)
"""
