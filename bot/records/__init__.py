"""The records layer: what a person told us and chose to keep, in its own tables.

``model`` is pure (dataclasses for records, the queries a dialog asks through ``Context.ask``
and the effects it returns to change them); ``store`` reads and writes them with SQLAlchemy
Core and is the only module that knows their tables.
"""
