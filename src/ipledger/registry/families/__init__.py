"""One module per transaction family; each exports ``RULES``: type -> (schema, handler)."""
