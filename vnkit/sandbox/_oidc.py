"""OpenID Connect ID tokens the way a standard client checks them: RS256 and a JWKS.

The access tokens stay HS256 with the database's secret key (only the sandbox checks
them). An ID token is for the *client* to check, so it is signed with an RSA key whose
public half is published at the discovery document's ``jwks_uri``; any OpenID client
library (PyJWT's ``PyJWKClient``, authlib, joserfc ...) verifies it from there.

The key pair belongs to the working database, like the signing key: made on first use,
kept in the database (which is private to its owner, 0600) so a restart on the same
``--db`` keeps verifying old ID tokens, and gone with a reset. The JOSE work is PyJWT's
(with ``cryptography``), never hand-rolled.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import TYPE_CHECKING, Any

from ._store import Store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

# PyJWT and cryptography are imported where they are used: together they take about
# 0.1 s to import, which every sandbox start would pay even when no ID token is asked for.

ALGORITHM = "RS256"
_SCHEMA = ("CREATE TABLE IF NOT EXISTS signin_id_token_keys ("
           " kid TEXT PRIMARY KEY, private_pem TEXT NOT NULL, created REAL NOT NULL)")


class IdTokenSigner:
    """Signs ID tokens with the working database's RSA key and publishes its JWKS."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._key: Any = None
        self._kid = ""

    def _ensure_key(self) -> tuple[rsa.RSAPrivateKey, str]:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        with self._lock:
            if self._key is not None:
                return self._key, self._kid
            conn = self.store.connection()
            conn.execute(_SCHEMA)
            row = conn.execute("SELECT kid, private_pem FROM signin_id_token_keys "
                               "ORDER BY created DESC LIMIT 1").fetchone()
            if row is None:
                # Generated lazily: a sandbox that never issues an ID token never pays
                # for an RSA key generation.
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                pem = key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode("ascii")
                kid = _key_id(key)
                conn.execute("INSERT OR IGNORE INTO signin_id_token_keys VALUES (?, ?, ?)",
                             (kid, pem, time.time()))
            else:
                kid, pem = row
                loaded = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
                # the table holds only keys generated above: RSA keys
                assert isinstance(loaded, rsa.RSAPrivateKey)
                key = loaded
            self._key, self._kid = key, kid
            return key, kid

    def sign(self, claims: dict) -> str:
        """A compact RS256 JWT of ``claims`` whose header names the key (``kid``)."""
        import jwt

        key, kid = self._ensure_key()
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})

    def jwks(self) -> dict:
        """The JSON Web Key Set of the public key (``{"keys": [...]}``)."""
        from jwt.algorithms import RSAAlgorithm

        key, kid = self._ensure_key()
        public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": kid, "use": "sig", "alg": ALGORITHM}]}


def _key_id(key: rsa.RSAPrivateKey) -> str:
    """A stable key id: a digest of the public key (so it names this key only)."""
    from cryptography.hazmat.primitives import serialization

    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]
