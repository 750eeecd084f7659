"""``resettle``: the operators' console over intake, housing and aid.

Configured like the services: INTAKE_DATABASE_URL, HOUSING_DATABASE_URL, AID_DATABASE_URL,
KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC_NAMESPACE, <SERVICE>_HTTP_HOST/_HTTP_PORT, and
TRACE_UI_URL for links to traces. Each command lives in the module named after it.
"""

from __future__ import annotations

import typer

from console import dead_letters, journey, rebuild, status
from services.intake import cli as intake_cli

cli = typer.Typer(
    help="Resettle's operator console: status, journeys, rebuilds, dead letters, partners.",
    no_args_is_help=True,
)
letters = typer.Typer(help="A consumer's dead-letter topic: list, show, replay.")
partners = typer.Typer(help="Partners of intake and their API keys.")
cli.add_typer(letters, name="dead-letters")
cli.add_typer(partners, name="partners")

# partner and erasure commands are intake's own (services/intake/cli.py), not a copy
partners.command("add")(intake_cli.add_partner)
partners.command("rotate")(intake_cli.rotate)
partners.command("revoke")(intake_cli.revoke_partner)
cli.command("erase")(intake_cli.erase_person)

cli.command()(status.status)
cli.command()(journey.journey)
cli.command()(rebuild.rebuild)
letters.command("list")(dead_letters.list_dead_letters)
letters.command("show")(dead_letters.show_dead_letter)
letters.command("replay")(dead_letters.replay_dead_letter)
