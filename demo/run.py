"""``make run``: bring up the stack and the three services, play a few hours of Oral's
reception, and show what happened.  ``python -m demo.run --help`` for the flags."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Annotated, Any
from uuid import uuid4

import httpx
import typer
from rich.console import Console
from rich.table import Table

from demo.oral import SHELTERS, arrivals
from demo.processes import DEFAULT_PORTS, ServiceProcess, launch, local_stack, stop_all

REPO = Path(__file__).resolve().parent.parent
console = Console()
PARTNER = "wp-oral-demo"


def partner_key(intake: str, operator_key: str) -> str:
    """A fresh key for the demo's partner, over intake's API (a CLI process would cost a
    second Python start-up): rotate the key if the partner exists, register it if not."""
    operator = {"X-API-Key": operator_key}
    with httpx.Client(base_url=intake, timeout=30) as client:
        # each run wants a key of its own: the stored answer of a reused key holds none
        once = {**operator, "Idempotency-Key": f"demo-partner-{uuid4()}"}
        answer = client.post(f"/v1/partners/{PARTNER}/key-rotation", headers=once)
        if answer.status_code == 404:
            partner = {"partner_id": PARTNER, "name": "Welcome point at the Syrym crossing"}
            answer = client.post("/v1/partners", json=partner, headers=once)
        answer.raise_for_status()
        return str(answer.json()["api_key"])


def digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]


def play(services: dict[str, ServiceProcess], key: str, operator_key: str) -> None:
    operator = {"X-API-Key": operator_key}
    with httpx.Client(timeout=30) as client:
        for number, shelter in enumerate(SHELTERS):
            answer = client.post(
                f"{services['housing'].url}/v1/shelters",
                json=shelter,
                # the key follows the content: a rerun reuses it, an edited demo opens anew
                headers={**operator, "Idempotency-Key": f"demo-shelter-{number}-{digest(shelter)}"},
            )
            answer.raise_for_status()
        people: list[tuple[int, str]] = []
        for number, body in enumerate(arrivals()):
            answer = client.post(
                f"{services['intake'].url}/v1/arrivals",
                json=body,
                headers={
                    "X-API-Key": key,
                    "Idempotency-Key": f"demo-arrival-{number}-{digest(body)}",
                },
            )
            answer.raise_for_status()
            people.extend((number, pid) for pid in answer.json()["person_ids"])
        console.print(f"Posted {len(arrivals())} arrivals ({len(people)} people).")
        placements = wait_for_placements(client, services["housing"].url, operator, people)
        show(client, services, operator, people, placements)
        show_field_app(client, services["intake"].url, key)


def show_field_app(client: httpx.Client, intake: str, key: str) -> str:
    """The volunteers' app and a fresh device key of the demo partner (README: For volunteers)."""
    answer = client.post(
        f"{intake}/v1/devices",
        json={"label": "demo phone"},
        headers={"X-API-Key": key, "Idempotency-Key": f"demo-device-{time.time_ns()}"},
    )
    answer.raise_for_status()
    device = answer.json()
    console.print(f"  field app      {intake}/app/  (volunteers' phones; README: For volunteers)")
    console.print(f"  device key     {device['short_code']}  (demo partner; shown once)")
    console.print(f"  setup link     {device['setup_link']}")
    return str(device["key"])


def wait_for_placements(
    client: httpx.Client, housing: str, operator: dict[str, str], people: list[tuple[int, str]]
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 60
    while len(found) < len(people) and time.monotonic() < deadline:
        for _, person_id in people:
            if person_id not in found:
                answer = client.get(f"{housing}/v1/placements/{person_id}", headers=operator)
                if answer.status_code == 200:
                    found[person_id] = answer.json()
        time.sleep(0.3)
    return found


def show(
    client: httpx.Client,
    services: dict[str, ServiceProcess],
    operator: dict[str, str],
    people: list[tuple[int, str]],
    placements: dict[str, dict[str, Any]],
) -> None:
    shelters = client.get(f"{services['housing'].url}/v1/shelters", headers=operator).json()
    names = {shelter["shelter_id"]: shelter["name"] for shelter in shelters}
    table = Table(title="Shelters tonight")
    for column in ("shelter", "kind", "beds", "held", "occupied", "free"):
        table.add_column(column)
    for shelter in shelters:
        table.add_row(
            shelter["name"],
            shelter["kind"],
            str(shelter["beds"]),
            str(shelter["held"]),
            str(shelter["occupied"]),
            str(shelter["free"]),
        )
    console.print(table)

    placed = Table(title="Placements (pseudonymous ids; names stay in intake)")
    for column in ("arrival", "person", "status", "where"):
        placed.add_column(column)
    entitled = 0
    for arrival_number, person_id in people:
        placement = placements.get(person_id, {"status": "not decided yet"})
        where = (
            f"{names.get(placement.get('shelter_id') or '', '?')}, bed {placement['bed_number']}"
            if placement["status"] in ("held", "checked_in")
            else f"waitlist #{placement.get('waitlist_position')}: {placement.get('reason')}"
            if placement["status"] == "waiting"
            else ""
        )
        placed.add_row(str(arrival_number), person_id[:8], placement["status"], where)
        aid = client.get(f"{services['aid'].url}/v1/entitlements/{person_id}", headers=operator)
        entitled += aid.status_code == 200 and bool(aid.json()["entitlements"])
    console.print(placed)
    waiting = sum(1 for p in placements.values() if p["status"] == "waiting")
    console.print(
        f"[bold]{len(placements) - waiting} placed, {waiting} waiting, "
        f"{entitled} entitled to a daily food parcel.[/bold]"
    )
    console.print("\nWhere to look:")
    for name, process in services.items():
        console.print(f"  {name:8} API docs  {process.url}/docs")
    console.print("  traces         http://127.0.0.1:9411/zipkin/ (Zipkin UI)")
    console.print(f"  board          {services['housing'].url}/board (operator key)")
    console.print("  console        uv run resettle --help  (status, journey, rebuild, ...)")


class Stopped(Exception):
    """Ctrl-C or SIGTERM: the services stop, the shared stack keeps running."""


def on_stop_signal(signum: int, _: object) -> None:
    # further signals while we clean up must not cut the cleanup short
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stopped(signal.Signals(signum).name)


def ports() -> dict[str, int]:
    """The services' ports, from the same variables the services read (INTAKE_HTTP_PORT ...)."""
    return {
        name: int(os.environ.get(f"{name.upper()}_HTTP_PORT", port))
        for name, port in DEFAULT_PORTS.items()
    }


def main(
    exit_after_demo: Annotated[
        bool, typer.Option(help="Stop the services after the demo instead of keeping them.")
    ] = False,
) -> None:
    # SIGTERM (kill, a supervisor) stops the services like Ctrl-C does: the default action
    # would end this process and leave all three running
    signal.signal(signal.SIGINT, on_stop_signal)
    signal.signal(signal.SIGTERM, on_stop_signal)
    services: dict[str, ServiceProcess] = {}
    try:
        env: dict[str, str] = {}
        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            env = local_stack(REPO)
            env.setdefault("OTEL_TRACES_EXPORTER", "zipkin_json")
        operator_key = os.environ.get("OPERATOR_API_KEY", "operator-dev-key")
        services = launch(env, REPO / ".local" / "logs", ports())
        key = partner_key(services["intake"].url, operator_key)
        play(services, key, operator_key)
        if not exit_after_demo:
            console.print("\nServices keep running; Ctrl-C stops them (the stack keeps running).")
            while True:
                signal.pause()
    except Stopped as stopped:
        console.print(f"\n{stopped}: stopping the services (make down stops the stack).")
    finally:
        stop_all(services.values())


if __name__ == "__main__":
    typer.run(main)
