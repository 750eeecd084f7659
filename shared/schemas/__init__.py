"""Event contracts shared by every service: the envelope and one module per bounded context.

These models are the documentation downstream subscribers read: every field has a description,
and a breaking change is a new topic version, never an edit in place.
"""
