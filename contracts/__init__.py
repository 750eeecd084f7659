"""The committed JSON Schemas of the topics (the contracts with subscribers) and their checks.

`generate` writes one ``<topic>.schema.json`` per topic from the topic's pydantic union;
`compat` tells whether a new schema of a topic would break a consumer of the old one.
See docs/subscribers.md for the rules.
"""
