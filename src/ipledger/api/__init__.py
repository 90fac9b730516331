"""api layer of ipledger (see DESIGN.md)."""
