"""The canary scan: distinctive personal data searched for on every topic of a run (dead-letter
topics included), in every log file and in the spans exported into them.

A canary is searched for as written, JSON-escaped (the console span exporter writes ``\\u041a``
for a Cyrillic letter) and percent-encoded (a name in a URL lands in ``http.target``), so that
an encoding never hides a leak. Each finding says where: the topic, partition and offset, or the
log file and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiokafka.admin import AIOKafkaAdminClient

from tests.integration.helpers import read_topic


@dataclass(frozen=True)
class Finding:
    what: str  # which canary: "given name", "document number", ...
    form: str  # "as written", "JSON-escaped", "percent-encoded"
    where: str  # "intake.log line 12", "topic t1.intake.events.v2[0]@3"

    def __str__(self) -> str:
        return f"{self.what} ({self.form}) in {self.where}"


@dataclass
class CanaryScan:
    topics: list[str] = field(default_factory=list)
    records: int = 0
    logs: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def report(self) -> str:
        return "\n".join(str(finding) for finding in self.findings) or "no canary found"


def forms_of(canary: str) -> dict[str, str]:
    """Every spelling of a canary a log, a span or a message could carry."""
    forms = {
        "as written": canary,
        "JSON-escaped": json.dumps(canary)[1:-1],
        "percent-encoded": quote(canary),
    }
    unique: dict[str, str] = {}
    for form, text in forms.items():  # an ASCII canary has one spelling: report it once
        if text not in unique.values():
            unique[form] = text
    return unique


def search(canaries: dict[str, str], text: str, where: str) -> list[Finding]:
    found = []
    for what, canary in canaries.items():
        for form, spelling in forms_of(canary).items():
            if spelling in text:
                found.append(Finding(what, form, where))
    return found


async def topics_of(bootstrap: str, namespace: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return sorted(t for t in await admin.list_topics() if t.startswith(f"{namespace}."))
    finally:
        await admin.close()


def _wire(record: Any) -> str:
    parts = [record.key or b"", record.value or b"", *(value or b"" for _, value in record.headers)]
    return "\n".join(part.decode("utf-8", "replace") for part in parts)


async def scan(
    canaries: dict[str, str], bootstrap: str, namespace: str, log_dir: Path
) -> CanaryScan:
    """Search every topic of ``namespace`` and every file in ``log_dir``; stop the services
    first so that what they buffer (spans, log lines) is in the files."""
    result = CanaryScan(topics=await topics_of(bootstrap, namespace))
    for topic in result.topics:
        for record in await read_topic(bootstrap, topic):
            result.records += 1
            where = f"topic {topic}[{record.partition}]@{record.offset}"
            result.findings.extend(search(canaries, _wire(record), where))
    for path in sorted(log_dir.iterdir()):
        if path.is_file():
            text = path.read_text(errors="replace")
            result.logs[path.name] = text
            for number, line in enumerate(text.splitlines(), start=1):
                result.findings.extend(search(canaries, line, f"{path.name} line {number}"))
    return result
