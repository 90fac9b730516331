"""ledger layer of ipledger (see DESIGN.md)."""
