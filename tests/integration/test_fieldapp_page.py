"""The field app's page is its whole first screen (one round trip on a slow network): the
catalogue of the phone's language, the addresses of housing and aid, the style and the script
inline, admitted by the Content-Security-Policy by their hashes alone. And the arrival slip's QR
code, which the food counter scans, holds the slip code and nothing else."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from uuid import uuid4

import pytest

from services.intake.devices import qr_svg
from tests.conftest import RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def inline(html: str, opening: str, closing: str) -> str:
    found = re.findall(re.escape(opening) + r"(.*?)" + re.escape(closing), html, re.DOTALL)
    assert len(found) == 1, opening
    return str(found[0])


@pytest.mark.parametrize(("asked", "language", "title"), [
    ("kk-KZ,kk;q=0.9,ru;q=0.8", "kk", "Телефонды баптау"),
    ("ru-RU,ru;q=0.9", "ru", "Настройка телефона"),
    ("en-GB,en;q=0.5", "en", "Set up this phone"),
])  # fmt: skip
async def test_the_page_carries_its_first_screen_in_the_phones_language_under_a_strict_policy(
    services: RunningServices, asked: str, language: str, title: str
) -> None:
    answer = await services.intake.get("/app/", headers={"Accept-Language": asked})
    assert answer.status_code == 200
    html = answer.text
    assert f'<html lang="{language}">' in html and "<!--" + "script-->" not in html
    catalogue = inline(html, f'id="catalogue" data-language="{language}">', "</script>")
    assert json.loads(catalogue)["setup.title"] == title
    config = json.loads(inline(html, '<script type="application/json" id="config">', "</script>"))
    assert set(config) == {"housing_url", "aid_url"}
    script = inline(html, '<script type="module">', "</script>")
    style = inline(html, "<style>", "</style>")
    policy = answer.headers["content-security-policy"]
    assert f"script-src 'self' {sha256(script)};" in policy
    assert f"style-src 'self' {sha256(style)};" in policy
    assert "unsafe" not in policy and "Accept-Language" in answer.headers["vary"]
    assert '<link rel="stylesheet"' not in html and "<script src" not in html


async def test_each_persons_slip_qr_code_holds_their_slip_code_alone(
    services: RunningServices,
) -> None:
    headers = {"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())}
    sent = await services.intake.post("/v1/arrivals", json=arrival(person()), headers=headers)
    assert sent.status_code == 201, sent.text
    slip = await services.intake.get(
        f"/v1/arrivals/{sent.json()['arrival_id']}/slip",
        headers={"X-API-Key": services.partner_key},
    )
    assert slip.status_code == 200, slip.text
    for shown in slip.json()["people"]:
        assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", shown["code"])
        assert shown["qr_svg"] == qr_svg(shown["code"])
