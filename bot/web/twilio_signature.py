"""``X-Twilio-Signature`` checked with one HMAC for a correctly signed request, not two.

twilio-python's ``RequestValidator.validate`` computes the signature over the URL
both with and without its port (Twilio's back end signs either form), always
both. This checks the form the URL is in first (the public URL as configured in
Twilio: what Twilio signs) and the other only when that one does not match. The
rest is ``validate``'s own: its ``compute_signature`` over every field (repeated
keys included), its ``add_port``/``remove_port``, its constant-time ``compare``,
and its ``bodySHA256`` rule for a body passed as text. Only the default algorithm
(HMAC-SHA1 with the Auth Token) is used, as our webhooks always have.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, urlparse

from twilio.request_validator import RequestValidator, add_port, compare, remove_port

__all__ = ["signed"]


def signed(
    validator: RequestValidator, url: str, params: Mapping[str, str] | str | None, signature: str
) -> bool:
    """What ``validator.validate(url, params, signature)`` answers, with one HMAC when the
    signature is over ``url`` in the form given (with or without its port)."""
    parsed = urlparse(url)
    given, other = (
        (add_port(parsed), remove_port(parsed))
        if parsed.port
        else (remove_port(parsed), add_port(parsed))
    )
    fields: Mapping[str, str] | str = {} if params is None else params
    query = parse_qs(parsed.query)
    if "bodySHA256" in query and isinstance(fields, str):
        if not compare(validator.compute_hash(fields), query["bodySHA256"][0]):
            return False
        fields = {}
    return any(
        compare(validator.compute_signature(form, fields), signature) for form in (given, other)
    )
