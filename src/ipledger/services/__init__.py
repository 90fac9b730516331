"""services layer of ipledger (see DESIGN.md)."""
