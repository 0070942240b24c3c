"""The metrics layer: entities, ownership, the selection and the metrics, declared once (see README)."""
