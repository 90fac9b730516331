"""identity layer of ipledger (see DESIGN.md)."""
