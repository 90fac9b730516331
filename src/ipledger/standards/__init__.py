"""standards layer of ipledger (see DESIGN.md)."""
