"""Print a new VAPID key pair for browser push, as lines for the environment (.env)."""

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def vapid_key_pair() -> tuple[str, str]:
    """``(public, private)``: the application server key browsers subscribe with (the
    uncompressed P-256 point) and the private key as its raw 32 bytes, both URL-safe
    base64 without padding; pywebpush (py_vapid ``Vapid.from_string``) reads the latter."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(public), _b64url(private)


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair for browser push as VAPID_PUBLIC_KEY=... and "
        "VAPID_PRIVATE_KEY=... lines. New keys void the existing subscriptions; "
        "browsers that allowed notifications subscribe again on their next page view."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = vapid_key_pair()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
