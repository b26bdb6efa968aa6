"""Personal data at rest: AES-256-GCM (default) or SM4-GCM (国密), with a keyed blind index.

Ciphertext is text: "<key id>:<algorithm>:<base64(nonce | ciphertext | tag)>", so rows written with an
old key stay readable while `wangge registry rotate_keys` re-encrypts them in batches. The blind index
(HMAC-SHA256, or HMAC-SM3 with SM4) lets exact search find a value without decrypting anything.

Keys come from the environment:
  WANGGE_PII_KEYS        "k2:BASE64,k1:BASE64" — the first is used for new writes; 32-byte keys
                         (AES-256; SM4 uses the first 16 bytes)
  WANGGE_PII_INDEX_KEY   BASE64 — the blind index key (changing it means rebuilding every index)
  WANGGE_PII_ALGORITHM   "aes-gcm" (default) or "sm4-gcm"
With WANGGE_DEBUG or in tests, fixed development keys are used when none are set; otherwise a
missing key stops start-up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHMS = ("aes-gcm", "sm4-gcm")
_DEV_KEY = base64.b64encode(hashlib.sha256(b"wangge-development-only").digest()).decode()
_DEV_INDEX_KEY = base64.b64encode(hashlib.sha256(b"wangge-development-index").digest()).decode()


class DecryptionError(Exception):
    pass


@dataclass(frozen=True)
class KeyRing:
    algorithm: str
    keys: dict[str, bytes]  # key id -> key
    current: str
    index_key: bytes


def _parse_keys(raw: str) -> tuple[dict[str, bytes], str]:
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        if ":" not in part:
            raise ImproperlyConfigured("WANGGE_PII_KEYS entries are written KEYID:BASE64")
        kid, b64 = part.split(":", 1)
        try:
            key = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"WANGGE_PII_KEYS: key {kid} is not base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(f"WANGGE_PII_KEYS: key {kid} must be 32 bytes")
        keys[kid] = key
        order.append(kid)
    if not keys:
        raise ImproperlyConfigured("WANGGE_PII_KEYS is empty")
    return keys, order[0]


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    dev = settings.DEBUG or getattr(settings, "TESTING", False)
    raw_keys = os.environ.get("WANGGE_PII_KEYS") or (f"dev:{_DEV_KEY}" if dev else "")
    raw_index = os.environ.get("WANGGE_PII_INDEX_KEY") or (_DEV_INDEX_KEY if dev else "")
    if not raw_keys or not raw_index:
        raise ImproperlyConfigured(
            "WANGGE_PII_KEYS and WANGGE_PII_INDEX_KEY must be set when WANGGE_DEBUG is off"
        )
    algorithm = os.environ.get("WANGGE_PII_ALGORITHM", "aes-gcm")
    if algorithm not in ALGORITHMS:
        raise ImproperlyConfigured(f"WANGGE_PII_ALGORITHM must be one of {ALGORITHMS}")
    keys, current = _parse_keys(raw_keys)
    return KeyRing(algorithm, keys, current, base64.b64decode(raw_index))


def reset() -> None:
    """Forget the cached keys (after the environment changed: tests, rotation)."""
    keyring.cache_clear()
    _aesgcm.cache_clear()


@lru_cache(maxsize=8)
def _aesgcm(key: bytes) -> AESGCM:
    return AESGCM(key)


def _encrypt_raw(algorithm: str, key: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(12)
    if algorithm == "aes-gcm":
        return nonce + _aesgcm(key).encrypt(nonce, plaintext, None)
    enc = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce)).encryptor()
    body = enc.update(plaintext) + enc.finalize()
    return nonce + body + enc.tag


def _decrypt_raw(algorithm: str, key: bytes, blob: bytes) -> bytes:
    nonce, body = blob[:12], blob[12:]
    if algorithm == "aes-gcm":
        return _aesgcm(key).decrypt(nonce, body, None)
    dec = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce, body[-16:])).decryptor()
    return dec.update(body[:-16]) + dec.finalize()


def encrypt(value: str | None) -> str | None:
    if value is None or value == "":
        return value
    ring = keyring()
    blob = _encrypt_raw(ring.algorithm, ring.keys[ring.current], value.encode())
    return f"{ring.current}:{ring.algorithm}:{base64.b64encode(blob).decode()}"


def encrypt_many(values: list[str]) -> list[str]:
    """encrypt() for a column of values at once (ledger imports): one key lookup, one urandom call."""
    ring = keyring()
    prefix = f"{ring.current}:{ring.algorithm}:"
    key = ring.keys[ring.current]
    nonces = os.urandom(12 * len(values))
    out: list[str] = []
    b64 = base64.b64encode
    if ring.algorithm == "aes-gcm":
        seal = _aesgcm(key).encrypt
        for i, value in enumerate(values):
            if not value:
                out.append(value)
                continue
            nonce = nonces[12 * i : 12 * i + 12]
            out.append(prefix + b64(nonce + seal(nonce, value.encode(), None)).decode())
        return out
    return [encrypt(v) or "" for v in values]


def encrypt_bytes(data: bytes) -> bytes:
    """A whole file (an uploaded ledger) sealed as encrypt() seals a value."""
    if not data:
        return data
    ring = keyring()
    sealed = _encrypt_raw(ring.algorithm, ring.keys[ring.current], data)
    return f"{ring.current}:{ring.algorithm}:".encode() + sealed


def decrypt_bytes(blob: bytes) -> bytes:
    if not blob:
        return blob
    try:
        kid, algorithm, body = bytes(blob).split(b":", 2)
        key = keyring().keys[kid.decode()]
        return _decrypt_raw(algorithm.decode(), key, body)
    except Exception as exc:
        raise DecryptionError("cannot decrypt") from exc


def decrypt(token: str | None) -> str | None:
    if token is None or token == "":
        return token
    try:
        kid, algorithm, b64 = token.split(":", 2)
    except ValueError as exc:
        raise DecryptionError("not an encrypted value") from exc
    ring = keyring()
    if kid not in ring.keys:
        raise DecryptionError(f"unknown key {kid}")
    try:
        return _decrypt_raw(algorithm, ring.keys[kid], base64.b64decode(b64)).decode()
    except Exception as exc:  # InvalidTag and friends: the value was tampered with or the key is wrong
        raise DecryptionError("cannot decrypt") from exc


def key_id(token: str | None) -> str | None:
    return token.split(":", 1)[0] if token else None


def blind_index_many(values: list[str]) -> list[str | None]:
    """blind_index() for a column of values at once (ledger imports): one key lookup."""
    ring = keyring()
    if ring.algorithm == "sm4-gcm":
        return [blind_index(v) for v in values]
    key, digest = ring.index_key, hmac.digest
    return [digest(key, v.strip().upper().encode(), "sha256").hex() if v else None for v in values]


def blind_index(value: str | None) -> str | None:
    """Keyed hash of a normalised value, for exact search (same value, same hash; no way back)."""
    if not value:
        return None
    ring = keyring()
    message = value.strip().upper().encode()
    if ring.algorithm != "sm4-gcm":
        # the standard library's one-shot HMAC: same bytes as cryptography's, a third of the time
        return hmac.digest(ring.index_key, message, "sha256").hex()
    h = crypto_hmac.HMAC(ring.index_key, hashes.SM3())
    h.update(message)
    return h.finalize().hex()
