"""The office as credential issuer: its key, its did:web, signed credentials.

The credential key is a dedicated Ed25519 key, ``DATA/keys/credential.key``, made at
``ipledger init`` (or on first use by a node initialised before credentials existed). It is
not the log key: the log key signs checkpoints (C2SP signed notes) and nothing else, so a
credential signature can never be replayed as a checkpoint signature or the other way round,
and either key can be rotated alone.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any

from ipledger.codec import canonicalize
from ipledger.credentials.eddsa_rdfc_2022 import add_proof
from ipledger.credentials.key import CREDENTIAL_KEY_FILE, credential_key
from ipledger.credentials.multikey import did_document, did_web, key_id
from ipledger.credentials.register import (
    Issuance,
    RegisterView,
    RightRef,
    Unsigned,
    assignment_credential,
    licence_credential,
    registration_certificate,
    revoked_bits,
    status_list_credential,
)
from ipledger.credentials.status_list import encode_bits
from ipledger.identity import SigningKey
from ipledger.storage.base import LedgerStore

__all__ = ["CREDENTIAL_KEY_FILE", "Issuer", "credential_key"]

_CACHE_SIZE = 1024


class Issuer:
    """Signs the register's credentials with one key, as one did:web.

    Signed credentials are kept (least recently used first out): the same register state
    always gives the same bytes (deterministic content, Ed25519 is deterministic), and
    JSON-LD canonicalisation is the slow part.
    """

    def __init__(self, store: LedgerStore, key: SigningKey, base_url: str, origin: str) -> None:
        self.store, self.key = store, key
        self.did = did_web(base_url)
        self.issuance = Issuance(base_url.rstrip("/"), self.did, origin)
        self.verification_method = key_id(self.did, key.public_key)
        self._lock = threading.Lock()
        self._signed: OrderedDict[bytes, dict[str, Any]] = OrderedDict()

    def did_document(self) -> dict[str, Any]:
        return did_document(self.did, [self.key.public_key])

    def _sign(self, unsigned: Unsigned) -> dict[str, Any]:
        cache_key = canonicalize({"document": unsigned.document, "created": unsigned.created})
        with self._lock:
            found = self._signed.get(cache_key)
            if found is not None:
                self._signed.move_to_end(cache_key)
                return copy.deepcopy(found)  # callers may change theirs (e.g. to present it)
        signed = add_proof(unsigned.document, self.key, self.verification_method,
                           unsigned.created)
        with self._lock:
            self._signed[cache_key] = signed
            while len(self._signed) > _CACHE_SIZE:
                self._signed.popitem(last=False)
        return copy.deepcopy(signed)

    def registration(self, ref: RightRef, tree_size: int) -> dict[str, Any]:
        unsigned = registration_certificate(RegisterView(self.store, tree_size),
                                            self.issuance, ref)
        return self._sign(unsigned)

    def licence(self, ref: RightRef, licence_id: str, tree_size: int) -> dict[str, Any]:
        unsigned = licence_credential(RegisterView(self.store, tree_size), self.issuance, ref,
                                      licence_id)
        return self._sign(unsigned)

    def assignment(self, ref: RightRef, index: int, tree_size: int) -> dict[str, Any]:
        unsigned = assignment_credential(RegisterView(self.store, tree_size), self.issuance,
                                         ref, index)
        return self._sign(unsigned)

    def status_list(self, ref: RightRef, tree_size: int) -> dict[str, Any]:
        view = RegisterView(self.store, tree_size)
        bits = revoked_bits(view, ref)
        unsigned = status_list_credential(view, self.issuance, ref, encode_bits(bits))
        return self._sign(unsigned)

