"""search layer of ipledger (see DESIGN.md)."""
