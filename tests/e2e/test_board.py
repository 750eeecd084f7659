"""The occupancy board in a real browser: headless Chromium against the services as processes.

A known scenario (two shelters, five arrivals: some held, some checked in, a group waiting), then
the page at /board with the operator key in the URL fragment: the dumped DOM must show the
scenario's numbers and nothing personal; screenshots (wall screen and phone) must show a page.
Debian's chromium is required (`apt-get install -y chromium`; .ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo.processes import ServiceProcess
from tests.conftest import OPERATOR_KEY, eventually
from tests.e2e.conftest import partner_key
from tests.factories import arrival, person
from tests.stack import REPO

pytestmark = pytest.mark.e2e

OPERATOR = {"X-API-Key": OPERATOR_KEY}
WALL = (1920, 1080)
PHONE = (390, 844)
#: names that must never reach the board
GIVEN, FAMILY = "Тестимир", "Бордов"


def chromium() -> str:
    found = shutil.which(os.environ.get("CHROMIUM", "chromium"))
    if found is None:
        pytest.fail(
            "Debian's chromium is missing: the board's browser test needs it. "
            "Install it with `apt-get install -y chromium` (.ci/run does this when missing)."
        )
    return found


def run_chromium(url: str, profile: Path, size: tuple[int, int], *extra: str) -> str:
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
        f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=10000", *extra, url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout


class BoardDom(HTMLParser):
    """Text by element id, and per shelter card (data-shelter) the text of its data-field."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.cards: dict[str, dict[str, str]] = {}
        self._open: list[tuple[str, str | None, str | None]] = []  # tag, id, field
        self._card: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("data-shelter"):
            self._card = values["data-shelter"]
            self.cards[self._card or ""] = {}
        if tag not in ("br", "img", "input", "meta", "link"):
            self._open.append((tag, values.get("id"), values.get("data-field")))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break
        if tag == "article":
            self._card = None

    def handle_data(self, data: str) -> None:
        if not self._open:
            return
        _, element_id, field = self._open[-1]
        if element_id:
            self.by_id[element_id] = self.by_id.get(element_id, "") + data.strip()
        if field and self._card is not None:
            self.cards[self._card][field] = self.cards[self._card].get(field, "") + data.strip()


def png_facts(path: Path) -> tuple[int, int, int]:
    """Width, height and how many distinct byte values the pixel data holds (a one-colour
    image, whatever the PNG filters, holds only a handful)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    position, width, height, idat = 8, 0, 0, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


async def post(client: httpx.AsyncClient, url: str, body: dict[str, Any], key: str,
               headers: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    answer = await client.post(url, json=body, headers={**headers, "Idempotency-Key": key})
    assert answer.status_code in (200, 201), answer.text
    result: dict[str, Any] = answer.json()
    return result


async def test_board_shows_occupancy_in_a_browser_without_personal_data(
    processes: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    intake, housing = processes["intake"], processes["housing"]
    partner = {"X-API-Key": partner_key(intake)}
    people: list[str] = []
    arrivals: list[str] = []

    async with httpx.AsyncClient(timeout=30) as client:

        async def register(tag: str, size: int) -> list[str]:
            members = [person(given=f"{GIVEN}{tag}{n}", family=FAMILY) for n in range(size)]
            body = arrival(*members, keep_together=True)
            made = await post(client, f"{intake.url}/v1/arrivals", body, f"board-{tag}", partner)
            arrivals.append(made["arrival_id"])
            people.extend(made["person_ids"])
            for person_id in made["person_ids"]:

                async def decided(person_id: str = person_id) -> bool:
                    seen = await client.get(f"{housing.url}/v1/placements/{person_id}",
                                            headers=OPERATOR)  # fmt: skip
                    return seen.status_code == 200

                await eventually(decided, timeout=60, what=f"housing to decide on {tag}")
            return list(made["person_ids"])

        async def open_shelter(name: str, beds: int) -> str:
            body = {"name": name, "kind": "gym", "district": "Oral", "beds": beds}
            made = await post(client, f"{housing.url}/v1/shelters", body, f"open-{name}",
                              OPERATOR)  # fmt: skip
            return str(made["shelter_id"])

        async def check_in(shelter_id: str, person_id: str) -> None:
            await post(client, f"{housing.url}/v1/shelters/{shelter_id}/check-ins",
                       {"person_id": person_id}, f"in-{person_id}", OPERATOR)  # fmt: skip

        gym = await open_shelter("Gym Yubileiny", 3)
        await register("a", 2)  # a pair: held in the gym
        (single,) = await register("b", 1)  # held in the gym, then checked in
        await check_in(gym, single)
        cinema = await open_shelter("Cinema Arman", 3)  # opened once the gym is full
        (single,) = await register("c", 1)  # held in the cinema, then checked in
        await check_in(cinema, single)
        await register("d", 3)  # a group of three keeps together: only 2 free, so it waits
        await register("e", 1)  # held in the cinema

        board = (await client.get(f"{housing.url}/v1/board", headers=OPERATOR)).json()
        assert (await client.get(f"{housing.url}/v1/board")).status_code == 401
        page = await client.get(f"{housing.url}/board")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert OPERATOR_KEY not in page.text

    expected = {
        "Gym Yubileiny": {"free": "0", "held": "2", "occupied": "1", "places": "3"},
        "Cinema Arman": {"free": "1", "held": "1", "occupied": "1", "places": "3"},
    }
    assert {s["name"]: {k: str(s[k]) for k in ("free", "held", "occupied", "places")}
            for s in board["shelters"]} == expected  # fmt: skip
    assert (board["waitlist"], board["arrivals_today"]) == (3, 5)

    url = f"{housing.url}/board#key={OPERATOR_KEY}"
    dom = run_chromium(url, tmp_path / "profile-dom", WALL, "--dump-dom")
    parsed = BoardDom()
    parsed.feed(dom)
    assert parsed.cards == expected, dom
    assert parsed.by_id["arrivals-today"] == "5"
    assert parsed.by_id["waitlist"] == "3"
    assert [parsed.by_id[f"total-{k}"] for k in ("free", "held", "occupied")] == ["1", "3", "2"]
    for secret in [*people, *arrivals, GIVEN, FAMILY, "person_id", OPERATOR_KEY]:
        assert secret not in dom, f"{secret!r} appears on the board"

    docs = REPO / "docs"
    for name, size in (("wall", WALL), ("phone", PHONE)):
        shot = tmp_path / f"board-{name}.png"
        run_chromium(url, tmp_path / f"profile-{name}", size, f"--screenshot={shot}")
        assert shot.exists() and shot.stat().st_size > 10_000, f"{shot} missing or tiny"
        width, height, distinct = png_facts(shot)
        assert (width, height) == size
        assert distinct > 16, f"{shot} looks like one colour"
        if os.environ.get("UPDATE_BOARD_SCREENSHOTS") == "1":  # the README's pictures, by hand
            shutil.copyfile(shot, docs / f"board-{name}.png")
