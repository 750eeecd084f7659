"""Topic names. A change that breaks a consumer is a new version of the topic.

A *namespace* (``KAFKA_TOPIC_NAMESPACE``, empty in production) prefixes every physical topic and
consumer group, so that test runs and demos sharing one broker never read each other's events.
"""

INTAKE_EVENTS = "intake.events.v2"
HOUSING_EVENTS = "housing.events.v2"
AID_EVENTS = "aid.events.v2"
#: the first versions, no longer published: every string on them was not yet a code, an id or
#: a date from a closed set (docs/subscribers.md, "Changelog"); contracts/ keeps their schemas
RETIRED_TOPICS = ("intake.events.v1", "housing.events.v1", "aid.events.v1")


def dead_letter_topic(consumer: str) -> str:
    """Where a consumer parks what it cannot handle (one topic per consuming service)."""
    return f"{consumer}.deadletter.v1"


def physical(topic: str, namespace: str) -> str:
    """The topic name on the broker."""
    return f"{namespace}.{topic}" if namespace else topic


def logical(topic: str, namespace: str) -> str:
    """The contract name of a topic read from the broker."""
    prefix = f"{namespace}."
    return topic[len(prefix) :] if namespace and topic.startswith(prefix) else topic
