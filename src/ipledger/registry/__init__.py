"""registry layer of ipledger (see DESIGN.md)."""
