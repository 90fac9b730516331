"""standards layer of ipledger (see DESIGN.md): WIPO ST.3, ST.96, Nice, Locarno, IPC.

Submodules: ``st3`` (office/country codes), ``nice``, ``locarno``, ``ipc``
(classification formats), ``iso639`` (language codes) and ``st96`` (register records <->
ST.96 JSON/XML).
"""

from ipledger.standards.errors import StandardsError

__all__ = ["StandardsError"]
