"""storage layer of ipledger (see DESIGN.md)."""
