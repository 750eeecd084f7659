"""The field app in a real browser, against the three services running as processes: a
volunteer's phone (Debian's chromium at 390x844) sets up with a device key, registers a group of
four and two more people offline, sends when the network returns (once more after the network
dies in the middle of a send), checks a person in at the shelter desk and issues a food parcel
at the counter, refused the second time the same day, in Russian. Its IndexedDB never holds
anything readable about the people.

The counter uses the operator key as its site key: per-site keys for aid are another change
(AID_SITE_API_KEYS); the app only stores whatever key the site was given.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import segno
from playwright.sync_api import Browser, FilePayload, Response, Route, sync_playwright

from demo.processes import ServiceProcess, launch
from demo.run import show_field_app
from services.intake.devices import qr_svg
from tests.conftest import OPERATOR_KEY
from tests.e2e.conftest import free_port, partner_key
from tests.e2e.fieldapp_phone import Phone, axe_source, y4m_frame
from tests.e2e.fieldapp_phone import launch as launch_browser
from tests.stack import REPO, Stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

OPERATOR = {"X-API-Key": OPERATOR_KEY}
STAFF = ("camp-staff", "staff-key-camp")
SITE = "atameken-camp"
#: what must never be readable in the phone's storage
GROUP: list[dict[str, Any]] = [
    {"given_name": "Тестимир", "family_name": "Фелдов", "patronymic": "Олегович",
     "birth_date": "1991-04-12", "sex": "male",
     "document": ("russian_internal_passport", "4517 902311")},
    {"given_name": "Милана", "family_name": "Фелдова", "birth_date": "1993-08-30",
     "sex": "female", "relation": "spouse", "walking": "a_lot_of_difficulty"},
    {"given_name": "Ярослав", "family_name": "Фелдов", "birth_date": "2016-02-01",
     "sex": "male", "relation": "child", "needs": ["family_with_children"]},
    {"given_name": "Zhanna", "family_name": "Feldova", "birth_date": "1962-11-05",
     "sex": "female", "relation": "parent"},
]  # fmt: skip
SINGLES: list[list[dict[str, Any]]] = [
    [{"given_name": "Добромир", "family_name": "Оффлайнов", "birth_date": "1989-01-17",
      "sex": "male", "document": ("foreign_passport", "75 3318842")}],
    [{"given_name": "Всеслава", "family_name": "Сетева", "birth_date": "1999-06-21",
      "sex": "female"}],
]  # fmt: skip
SECRETS = ["Тестимир", "Фелдов", "Милана", "Ярослав", "Feldova", "Добромир", "Оффлайнов",
           "Всеслава", "Сетева", "1991-04-12", "1993-08-30", "4517 902311", "75 3318842",
           "Олегович", "1989-01-17"]  # fmt: skip


@pytest.fixture
def field(
    stack: Stack, databases: dict[str, str], namespace: str, tmp_path: Path
) -> Iterator[dict[str, ServiceProcess]]:
    """The three services, with the app's origin admitted by housing and aid."""
    ports = {name: free_port() for name in ("intake", "housing", "aid")}
    origin = f"http://127.0.0.1:{ports['intake']}"
    environment = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "OPERATOR_API_KEY": OPERATOR_KEY,
        "OTEL_TRACES_EXPORTER": "none",
        "HOUSING_STAFF_API_KEYS": json.dumps({STAFF[0]: STAFF[1]}),
        "HOUSING_CORS_ORIGINS": json.dumps([origin]),
        "AID_CORS_ORIGINS": json.dumps([origin]),
        "INTAKE_FIELDAPP_HOUSING_URL": f"http://127.0.0.1:{ports['housing']}",
        "INTAKE_FIELDAPP_AID_URL": f"http://127.0.0.1:{ports['aid']}",
    }
    running = launch(environment, tmp_path / "logs", ports, databases)
    try:
        yield running
    finally:
        for process in running.values():
            process.stop()


def posted(url: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    answer = httpx.post(url, json=body, headers={**headers, "Idempotency-Key": str(uuid4())})
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def eventually(check: Any, what: str, timeout: float = 60.0, what_else: Any = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last seen: {what_else}")


def world(field: dict[str, ServiceProcess]) -> tuple[str, str]:
    """A partner with a device key, a shelter run by camp-staff, food parcels at the site."""
    intake, housing, aid = (field[name].url for name in ("intake", "housing", "aid"))
    shelter = posted(f"{housing}/v1/shelters", {
        "name": "Атамекен", "code": "atameken", "kind": "camp_dormitory",
        "district": "Zachagansk",
        "units": [{"name": "Корпус 3", "code": "korpus-3", "places": 12},
                  {"name": "Семейный дом", "code": "family-house", "places": 4,
                   "attributes": ["family_room", "accessible"]}],
        "contact_partner_id": STAFF[0],
    }, OPERATOR)  # fmt: skip
    posted(f"{aid}/v1/donations", {
        "site_id": SITE, "item": "food_parcel", "quantity": 40, "unit": "parcel",
        "donor_kind": "business", "expires_on": "2099-12-31",
    }, OPERATOR)  # fmt: skip
    with httpx.Client() as client:  # as `make run` issues the demo partner's device key
        device_key = show_field_app(client, intake, partner_key(field["intake"]))
    return device_key, shelter["shelter_id"]


def arrivals_stored(field: dict[str, ServiceProcess]) -> int:
    answer = httpx.get(f"{field['intake'].url}/v1/arrivals", headers=OPERATOR)
    return len(answer.json())


def assert_nothing_readable(phone: Phone) -> str:
    stored = phone.storage()
    leaked = [secret for secret in SECRETS if secret in stored]
    assert leaked == [], f"readable in IndexedDB: {leaked}"
    return stored


def test_a_volunteer_registers_offline_sends_once_checks_in_and_is_refused_a_second_parcel(
    field: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    device_key, shelter_id = world(field)
    camera = tmp_path / "camera.y4m"  # filmed by the fake camera: a blank page until the slip
    y4m_frame([], camera)
    with sync_playwright() as playwright:
        browser = launch_browser(playwright, camera)
        phone = Phone.open(browser, f"{field['intake'].url}/app/")
        phone.set_up(device_key, (shelter_id, STAFF[1]), (SITE, OPERATOR_KEY))

        # offline: a group of four, then two more; every form opens and saves
        phone.context.set_offline(True)
        phone.register(GROUP)
        assert_nothing_readable(phone)
        phone.page.reload()  # the shell comes from the service worker
        phone.unlock()
        for single in SINGLES:
            phone.register(single)
            assert_nothing_readable(phone)
        assert phone.statuses() == ["waiting"] * 3
        assert arrivals_stored(field) == 0

        # back online, but the network dies after the first request reached intake
        cut: list[str] = []

        def cut_once(route: Route) -> None:
            if not cut:
                route.fetch()  # intake registers it; the phone never hears back
                cut.append(route.request.headers["idempotency-key"])
                route.abort("connectionreset")
            else:
                route.continue_()

        phone.context.route("**/v1/arrivals", cut_once)
        phone.context.set_offline(False)
        eventually(lambda: phone.statuses() == ["accepted"] * 3, "three accepted arrivals")
        assert cut, "the first send was cut"
        assert arrivals_stored(field) == 3  # the resend after the cut created nothing new
        stored = assert_nothing_readable(phone)
        assert '"sealed":null' in stored.replace(" ", "")  # only ids are left after acceptance

        # placed: the queue shows shelter, unit and place for all six people (by the codes the
        # operator gave them: housing's topic carries no names, so intake knows none)
        shown: list[str] = []

        def placed() -> bool:
            phone.go("queue")
            shown[:] = phone.page.locator("#queue-list .slip").all_inner_texts()
            return len(shown) == 6 and all(
                re.search(r"— atameken, (korpus-3|family-house), место \d+", line) for line in shown
            )

        eventually(placed, "the placements of all six", what_else=shown)

        # the arrival slip of the group: the words in Russian, a code and a QR code per person
        phone.page.locator("#queue-list li[data-status=accepted] button").last.click()
        slip = phone.page.locator(".slip-card")
        slip.wait_for()
        assert "Талон прибытия" in slip.inner_text() and slip.locator("svg").count() == 4

        # the shelter desk checks the first of the expected in with one tap
        phone.go("desk")
        expected = phone.page.locator("#desk-expected li")
        eventually(lambda: expected.count() == 6, "six expected at the desk")
        code = expected.first.inner_text().split(" · ")[0]
        expected.first.locator("button").click()
        phone.page.wait_for_selector("#desk-staying li")
        assert code in phone.page.locator("#desk-staying").inner_text()
        assert phone.page.locator("#desk-expected li").count() == 5

        # the food counter scans the slip's QR code (the camera films it), which holds the slip
        # code alone, and finds the person; then a parcel, then a refusal in Russian
        person = resident_of(field, code)
        phone.go("counter")
        # filming no QR code, a scan runs until Stop, which turns the camera off
        phone.page.click("#counter-scan")
        eventually(lambda: phone.page.evaluate(CAMERA_ON), "the camera on")  # CSP: no eval
        phone.page.click("#counter-scan-stop")
        phone.page.wait_for_selector("#counter-scanner", state="hidden")
        assert phone.page.evaluate("document.querySelector('#counter-video').srcObject") is None
        # a QR code that is not a slip's (the device key's link) is refused, nothing looked up
        link = f"{field['intake'].url}/app/#device={device_key}"
        y4m_frame([list(row) for row in segno.make(link, micro=False).matrix], camera)
        phone.page.click("#counter-scan")
        phone.page.wait_for_selector("#counter-result p")
        assert phone.page.inner_text("#counter-result") == "Этот QR-код не с талона прибытия."
        assert phone.page.input_value("#counter-code") == ""
        # a slip code nobody has: the scan asks aid, as a typed code does, and aid knows no one
        y4m_frame([list(row) for row in segno.make("0000-0000-0000", micro=False).matrix], camera)
        phone.page.click("#counter-scan")
        phone.page.wait_for_selector("#counter-result p")
        assert phone.page.inner_text("#counter-result").startswith("Нет человека с кодом 0000")
        y4m_frame(slip_qr(field, code), camera)
        phone.page.click("#counter-scan")
        found = phone.page.locator("#counter-result p")
        found.wait_for(timeout=30_000)
        assert found.inner_text().startswith(f"Талон {code} найден.")
        assert phone.page.input_value("#counter-code") == code
        assert phone.page.locator("#counter-scanner").is_hidden()  # the camera is off again
        phone.page.select_option("#counter-item", "food_parcel")
        # aid hears of the check-in a moment later; until then the rule says residents only
        answers: list[str] = []
        eventually(lambda: counter(phone, answers).startswith("Выдано: Продуктовый набор"),
                   "the parcel to be issued", what_else=answers)  # fmt: skip
        refusal = counter(phone, answers)
        assert "Не выдано: Продуктовый набор." in refusal
        assert "Сегодня уже получал(а)." in refusal and "Можно снова:" in refusal
        issued = httpx.get(f"{field['aid'].url}/v1/entitlements/{person}", headers=OPERATOR)
        assert json.dumps(issued.json()).count('"food_parcel"') >= 1
        browser.close()


#: the counter's camera films (Chromium's fake camera plays the test's video file)
CAMERA_ON = "document.querySelector('#counter-video').srcObject?.active === true"


def test_an_arrival_refused_by_a_rule_goes_again_under_a_new_key_once_corrected(
    field: dict[str, ServiceProcess],
) -> None:
    """Intake keeps a domain refusal with its key, so the corrected arrival must not reuse it
    (intake would answer "key reused" for ever). Today's request checks catch the rules first,
    so the refusal is intake's kept answer played by the network; the resend is real."""
    device_key, shelter_id = world(field)
    refusal = {"type": "about:blank", "title": "Refused", "status": 422,
               "detail": "arrival_date 2022-09-24 is after today (2022-09-23)"}  # fmt: skip
    keys: list[str] = []

    def refuse_first(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fulfill(status=422, json=refusal, content_type="application/problem+json")
        else:
            route.continue_()

    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        phone = Phone.open(browser, f"{field['intake'].url}/app/")
        phone.set_up(device_key, (shelter_id, STAFF[1]), (SITE, OPERATOR_KEY))
        phone.context.route("**/v1/arrivals", refuse_first)
        phone.register(SINGLES[1])
        eventually(lambda: phone.statuses() == ["refused"], "the refusal shown")
        assert "is after today" in phone.page.inner_text("#queue-list")

        phone.page.locator("#queue-list li[data-status=refused] button").click()
        phone.page.wait_for_selector("#screen-register:not([hidden])")
        phone.page.click("#save-arrival")
        eventually(lambda: phone.statuses() == ["accepted"], "the corrected arrival accepted")
        browser.close()

    assert len(keys) == 2 and keys[0] != keys[1], keys
    assert arrivals_stored(field) == 1


def slip_qr(field: dict[str, ServiceProcess], code: str) -> list[list[int]]:
    """The modules of the QR code on the arrival slip of the person with ``code``, checked to be
    the QR code of that code alone (nothing personal in it)."""
    cases = httpx.get(f"{field['intake'].url}/v1/arrivals", headers=OPERATOR).json()
    shown = [
        person["qr_svg"]
        for case in cases
        for person in httpx.get(
            f"{field['intake'].url}/v1/arrivals/{case['arrival_id']}/slip", headers=OPERATOR
        ).json()["people"]
        if person["code"] == code
    ]
    assert shown == [qr_svg(code)], "the slip's QR code holds the slip code and nothing else"
    return [list(row) for row in segno.make(code, error="m", micro=False).matrix]


def desk_count(phone: Phone) -> int:
    """People expected at the desk, as the desk shows them when opened now."""
    phone.go("register")
    phone.go("desk")
    phone.page.wait_for_selector("#desk-summary:not(:empty)")
    return phone.page.locator("#desk-expected li").count()


def upload_a_sheet(phone: Phone) -> None:
    """A spreadsheet from the register screen: one good row, one refused naming its column."""
    sheet = ("дата_прибытия;пункт_пересечения;фамилия;имя;дата_рождения;пол\n"
             "24.09.2022;syrym;Таблицева;Ольга;02.03.1990;ж\n"
             "24.09.2022;syrym;Таблицев;Олег;31.02.1990;м\n")  # fmt: skip
    phone.page.click("#import summary")
    assert "lang=ru" in (phone.page.get_attribute("#template-link", "href") or "")
    payload: FilePayload = {"name": "a.csv", "mimeType": "text/csv", "buffer": sheet.encode()}
    phone.page.set_input_files("#import-file", files=[payload])
    phone.page.click("#import-form button[type=submit]")
    phone.page.wait_for_selector("#import-result p")
    result = phone.page.inner_text("#import-result")
    assert "Создано: 1 · уже известны: 0 · отказ: 1" in result, result
    assert "Строка 3, дата_рождения: Это не дата" in result, result


def counter(phone: Phone, answers: list[str]) -> str:
    """Tap Issue once; the counter's answer as the volunteer reads it."""
    phone.page.evaluate("document.querySelector('#counter-result').replaceChildren()")
    phone.page.click("#counter-form button[type=submit]")
    phone.page.wait_for_selector("#counter-result p")
    answers.append(phone.page.inner_text("#counter-result"))
    return answers[-1]


def resident_of(field: dict[str, ServiceProcess], code: str) -> str:
    """The person behind a slip code, once aid knows them as placed."""
    found = httpx.get(f"{field['aid'].url}/v1/slips/{code}", headers=OPERATOR)
    assert found.status_code == 200, found.text
    person = str(found.json()["person_id"])

    def resident() -> bool:
        answer = httpx.get(f"{field['aid'].url}/v1/entitlements/{person}", headers=OPERATOR)
        return answer.status_code == 200 and bool(answer.json().get("resident"))

    eventually(resident, "aid to know the person placed")
    return person


SCREENS = ("setup", "unlock", "register", "queue", "desk", "counter", "scan")
#: set to write the screenshots of the README (docs/fieldapp/) instead of a temporary folder
SCREENSHOTS_ENV = "FIELDAPP_SCREENSHOTS"


def first_load(browser: Browser, app: str) -> tuple[int, int]:
    """Bytes of the app's first load as sent (gzip) and as files, from a fresh phone."""
    phone = Phone.open(browser, app)
    sizes: list[tuple[int, int]] = []

    def count(response: Response) -> None:
        if response.url.startswith(app) and response.ok:
            sent = response.request.sizes()["responseBodySize"]
            sizes.append((sent, len(response.body())))

    phone.page.on("response", count)
    answer = phone.page.goto(app)
    assert answer is not None
    # the page's style and script are inline, admitted by their hashes, never by 'unsafe-inline'
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy and "style-src 'self' 'sha256-" in policy
    assert "unsafe" not in policy
    phone.ready()
    phone.context.close()
    return sum(sent for sent, _ in sizes), sum(raw for _, raw in sizes)


#: the first screen, usable: the setup form shown in Russian, its handlers attached
#: (body[data-ready]), and the device key field focused by a tap
USABLE = "body[data-ready=true] #setup-key:not([disabled])"


def slow_3g_seconds(browser: Browser, app: str) -> tuple[float, int]:
    """Seconds from asking for the page until the setup screen is usable, on Chromium's Slow 3G
    (DevTools' preset: 2,000 ms latency, 50 kB/s each way), with nothing cached; and how many
    requests the browser made until then."""
    phone = Phone.open(browser, app)
    session = phone.context.new_cdp_session(phone.page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 2000, "downloadThroughput": 50_000,
        "uploadThroughput": 50_000,
    })  # fmt: skip
    requests: list[str] = []
    phone.page.on("request", lambda request: requests.append(request.url))
    started = time.monotonic()
    phone.page.goto(app, wait_until="commit", timeout=120_000)
    phone.page.wait_for_selector(USABLE, state="visible", timeout=120_000)
    phone.page.focus("#setup-key")
    assert phone.page.evaluate("document.activeElement.id") == "setup-key"
    elapsed = time.monotonic() - started
    made = len(requests)
    print(f"\nSlow 3G: asked for {[request.removeprefix(app) or '/' for request in requests]}")
    # the browser's own clock, from the start of the navigation: usable, and the page received
    usable, received = phone.page.evaluate(
        "[performance.getEntriesByName('ready')[0].startTime,"
        " performance.getEntriesByType('navigation')[0].responseEnd]"
    )
    print(f"\nSlow 3G: the page received after {received / 1000:.2f} s, usable after "
          f"{usable / 1000:.2f} s (the browser's clock)")  # fmt: skip
    assert phone.page.inner_text("#setup-title") == "Настройка телефона"
    phone.context.close()
    return elapsed, made


def test_every_screen_passes_axe_in_russian_and_kazakh_and_the_first_load_is_small(
    field: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    device_key, shelter_id = world(field)
    folder = REPO / "docs" / "fieldapp" if os.environ.get(SCREENSHOTS_ENV) else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    app = f"{field['intake'].url}/app/"
    camera = tmp_path / "camera.y4m"  # a blank page before the counter's camera
    y4m_frame([], camera)
    with sync_playwright() as playwright:
        browser = launch_browser(playwright, camera)
        sent, raw = first_load(browser, app)
        seconds, requests = slow_3g_seconds(browser, app)
        print(f"\nfield app first load: {sent / 1024:.1f} KB sent (gzip), {raw / 1024:.1f} KB "
              f"of files; usable after {seconds:.1f} s on Slow 3G ({requests} request(s) by "
              "then)")  # fmt: skip
        assert sent <= 150 * 1024

        phone = Phone.open(browser, app, axe=True)
        axe = axe_source()
        found: dict[str, list[dict[str, Any]]] = {}

        def look(screen: str, then: Callable[[], object] = lambda: None) -> None:
            for language in ("ru", "kk"):
                phone.page.select_option("#language", language)
                phone.page.wait_for_function(f"document.documentElement.lang === '{language}'")
                then()
                phone.page.screenshot(path=str(folder / f"{screen}-{language}.png"))
                found[f"{screen}/{language}"] = phone.violations(axe)
            phone.page.select_option("#language", "ru")

        phone.page.goto(app)
        phone.ready()
        look("setup")
        phone.set_up(device_key, (shelter_id, STAFF[1]), (SITE, OPERATOR_KEY))
        phone.register(GROUP)
        eventually(lambda: phone.statuses() == ["accepted"], "the arrival accepted")
        phone.page.reload()
        phone.unlock_screen_shown()
        look("unlock")
        phone.unlock()
        phone.go("register")
        look("register")
        upload_a_sheet(phone)
        phone.go("queue")
        placed = "atameken, "  # by its code: housing's topic names no shelter
        eventually(lambda: placed in phone.page.inner_text("#queue-list"), "the placement")
        look("queue")
        phone.go("desk")
        # the group of four and the one person from the spreadsheet
        eventually(lambda: desk_count(phone) == 5, "the desk")
        look("desk")
        phone.go("counter")
        phone.page.fill("#counter-code", "0000-0000-0000")
        look("counter", lambda: counter(phone, []))

        def scanning() -> None:
            if phone.page.locator("#counter-scanner").is_hidden():
                phone.page.click("#counter-scan")
            eventually(lambda: phone.page.evaluate(CAMERA_ON), "the camera on")

        look("scan", scanning)
        phone.page.click("#counter-scan-stop")
        browser.close()
    assert {where: issues for where, issues in found.items() if issues} == {}
    assert len(found) == 2 * len(SCREENS)
