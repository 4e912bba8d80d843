"""WeChat callback signatures and the AES message crypto of safe mode (安全模式).

As WeChat specifies it for Official Accounts:

* signature = sha1 of the lexicographically sorted ``token``, ``timestamp``, ``nonce``
  (and, for ``msg_signature``, the ``Encrypt`` field) concatenated;
* AES-256-CBC with key = base64(EncodingAESKey + "="), iv = key[:16];
  plaintext = 16 random bytes + msg length (4 bytes, network order) + msg + AppID,
  padded with PKCS#7 to 32-byte blocks; the ciphertext travels base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32  # WeChat pads to 32 bytes, not to the AES block size
_ALNUM = string.ascii_letters + string.digits


class SignatureError(ValueError):
    """A msg_signature that does not match the Encrypt field."""


class CryptoError(ValueError):
    """A message that cannot be decrypted: bad base64, padding, length or AppID."""


def sign(token: str, timestamp: str, nonce: str, encrypt: str | None = None) -> str:
    parts = [token, timestamp, nonce]
    if encrypt is not None:
        parts.append(encrypt)
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(
    token: str, signature: str, timestamp: str, nonce: str, encrypt: str | None = None
) -> bool:
    """True when ``signature`` is WeChat's; compared in constant time."""
    if not (token and signature and timestamp and nonce):
        return False
    expected = sign(token, timestamp, nonce, encrypt).encode("ascii")
    given = signature.strip().lower().encode("ascii", "replace")
    return hmac.compare_digest(expected, given)


def random_text(length: int = 16, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def pkcs7_pad(data: bytes, block: int = PAD_BLOCK) -> bytes:
    n = block - len(data) % block
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes, block: int = PAD_BLOCK) -> bytes:
    if not data:
        raise CryptoError("empty plaintext")
    n = data[-1]
    if not 1 <= n <= block or n > len(data) or data[-n:] != bytes([n]) * n:
        raise CryptoError("bad padding")
    return data[:-n]


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key behind a 43-character EncodingAESKey (ValueError when malformed)."""
    text = encoding_aes_key.strip()
    if len(text) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(text + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError(f"EncodingAESKey is not base64: {exc}") from None
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


class MessageCrypto:
    """Encrypts replies and decrypts messages for one Official Account (AppID)."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        if not app_id:
            raise ValueError("safe mode needs the AppID")
        self.key = aes_key(encoding_aes_key)
        self.iv = self.key[:16]
        self.app_id = app_id

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.iv))

    def encrypt(self, text: str, *, prefix: bytes | None = None) -> str:
        body = text.encode("utf-8")
        prefix = prefix if prefix is not None else random_text(16).encode("ascii")
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        plain = prefix + struct.pack("!I", len(body)) + body + self.app_id.encode("utf-8")
        encryptor = self._cipher().encryptor()
        data = encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()
        return base64.b64encode(data).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        try:
            data = base64.b64decode("".join(encrypted.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError(f"bad base64: {exc}") from None
        if not data or len(data) % 16:
            raise CryptoError("ciphertext is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        plain = pkcs7_unpad(decryptor.update(data) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack("!I", plain[16:20])
        if 20 + length > len(plain):
            raise CryptoError("message length out of range")
        app_id = plain[20 + length :]
        if not hmac.compare_digest(app_id, self.app_id.encode("utf-8")):
            raise CryptoError("AppID mismatch")
        try:
            return plain[20 : 20 + length].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CryptoError(f"message is not UTF-8: {exc}") from None
