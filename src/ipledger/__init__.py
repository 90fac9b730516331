"""ipledger: a verifiable register of intellectual-property rights."""
__version__ = "0.1.0"
