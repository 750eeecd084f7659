"""Topic names. A change that breaks a consumer is a new version of the topic."""

INTAKE_EVENTS = "intake.events.v1"
HOUSING_EVENTS = "housing.events.v1"
AID_EVENTS = "aid.events.v1"


def dead_letter_topic(consumer: str) -> str:
    """Where a consumer parks the messages it cannot handle (one topic per consuming service)."""
    return f"{consumer}.deadletter.v1"
