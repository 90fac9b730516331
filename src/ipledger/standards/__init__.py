"""standards layer of ipledger (see DESIGN.md): WIPO ST.3, ST.96, Nice, Locarno, IPC.

Submodules: ``st3`` (office/country codes), ``nice``, ``locarno``, ``ipc``
(classification formats) and ``st96`` (trademark records <-> ST.96 XML).
"""

from ipledger.standards.errors import StandardsError

__all__ = ["StandardsError"]
