"""W3C Verifiable Credentials 2.0 for the register, with Data Integrity proofs.

``contexts`` holds the JSON-LD contexts a credential may use (bundled: nothing is fetched);
``loader`` refuses every other URL; ``rdfc`` turns a document into RDFC-1.0 canonical
N-Quads; ``eddsa_rdfc_2022`` creates and verifies the proof; ``multikey`` encodes keys and the
office's ``did:web``; ``status_list`` is the W3C Bitstring Status List; ``register`` builds
credentials from the register; ``key`` is the node's credential key; ``issuer`` signs them;
``verify`` checks them offline.
"""
