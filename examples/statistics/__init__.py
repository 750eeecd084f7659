"""A downstream subscriber built on the topic contracts alone: daily figures with HXL hashtags.

It imports neither ``services`` nor ``shared``: only the standard library, aiokafka and
jsonschema-rs, validating every message against ``contracts/<topic>.schema.json``.
Run ``python -m examples.statistics --help``.
"""
