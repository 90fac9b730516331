"""codec layer of ipledger (see DESIGN.md)."""
