"""Identity: Ed25519 keys and key files, did:key, C2SP signed-note keys."""

from ipledger.identity.didkey import DidError, did_key, did_key_url, public_key_from_did
from ipledger.identity.ed25519 import (
    PUBLIC_KEY_SIZE,
    SEED_SIZE,
    SIGNATURE_SIZE,
    SigningKey,
    ed25519_verify_ceiling,
    verify_signature,
)
from ipledger.identity.keyfile import (
    KeyFileError,
    private_key_pem,
    public_key_pem,
    read_private_key,
    read_public_key,
    write_private_key,
    write_public_key,
)
from ipledger.identity.signednote import (
    MAX_SIGNATURES,
    NoteError,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    OpenedNote,
    add_signatures,
    key_id,
    open_note,
    sign_note,
)

__all__ = [
    "MAX_SIGNATURES",
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "DidError",
    "KeyFileError",
    "NoteError",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "SigningKey",
    "add_signatures",
    "did_key",
    "did_key_url",
    "ed25519_verify_ceiling",
    "key_id",
    "open_note",
    "private_key_pem",
    "public_key_from_did",
    "public_key_pem",
    "read_private_key",
    "read_public_key",
    "sign_note",
    "verify_signature",
    "write_private_key",
    "write_public_key",
]
