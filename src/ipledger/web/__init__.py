"""web layer of ipledger (see DESIGN.md)."""
