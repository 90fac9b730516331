"""network layer of ipledger (see DESIGN.md)."""
