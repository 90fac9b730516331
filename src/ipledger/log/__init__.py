"""log layer of ipledger (see DESIGN.md)."""
