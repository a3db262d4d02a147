"""Phone numbers: E.164, and the Brazilian mobile "9th digit".

Brazilian mobiles gained a leading 9 (DDD + 9 + 8 digits), but many WhatsApp
accounts registered before still have an ID without it, so the ``WaId`` of a
reply may not equal the number the clinic has on file. We store E.164 as given
and match both variants.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from bot.core.errors import ValidationError

__all__ = ["ERASED_PREFIX", "for_people", "is_erased", "normalize", "sender_identity", "variants"]

_BRAZIL = 55
# What an erased patient's number is replaced with: a keyed hash under this prefix (LGPD).
ERASED_PREFIX = "erased:"


# Every inbound webhook normalizes its sender (two parses and validity checks with
# phonenumbers, ~55 µs); patients write again and again, so repeats come from here.
@lru_cache(maxsize=8192)
def normalize(raw: str, default_region: str = "BR") -> str:
    """``raw`` (``whatsapp:+55…``, a WaId of digits, a formatted number) as E.164, or ValidationError."""
    text = raw.strip().removeprefix("whatsapp:").strip()
    if text.isdigit() and len(text) >= 12:
        text = "+" + text  # a WaId: country code included, no plus
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"not a phone number: {_hint(raw)}") from None
    if number.country_code == _BRAZIL:
        # Validate the 9-digit form: an 8-digit WaId is still a valid mobile.
        candidate = phonenumbers.parse(_with_ninth_digit(_e164(number)), None)
        if not phonenumbers.is_valid_number(candidate) and not phonenumbers.is_valid_number(number):
            raise ValidationError(f"not a valid Brazilian number: {_hint(raw)}")
    elif not phonenumbers.is_valid_number(number):
        raise ValidationError(f"not a valid phone number: {_hint(raw)}")
    return _e164(number)


def sender_identity(address: str, wa_id: str = "") -> tuple[str, str | None]:
    """Who wrote: ``(E.164 phone, None)``, or ``("", raw id)`` for a WhatsApp id that is
    not a phone number.

    WhatsApp users with a username may write from a business-scoped user id
    (``whatsapp:BR.1501…``) instead of their number; its digits are not a phone
    and must never be read as one. Only a ``+digits`` address (or, without one,
    a digits-only ``WaId``) is a phone; ValidationError if that is not a valid one.
    """
    bare = address.strip().removeprefix("whatsapp:").strip()
    if bare.startswith("+") and bare[1:].isdigit():
        return normalize(wa_id if wa_id.isdigit() else bare), None
    if not bare and wa_id.isdigit():
        return normalize(wa_id), None
    raw = address.strip() or wa_id.strip()
    if not raw:
        raise ValidationError("the sender (From) is missing")
    return "", raw


def variants(e164: str) -> tuple[str, ...]:
    """The forms under which this number may appear: for a Brazilian mobile, with and without the 9."""
    if not e164.startswith("+55"):
        return (e164,)
    national = e164[3:]
    ddd, rest = national[:2], national[2:]
    if len(rest) == 9 and rest.startswith("9"):
        return (e164, f"+55{ddd}{rest[1:]}")
    if len(rest) == 8 and rest[0] in "6789":  # an old 8-digit mobile
        return (e164, f"+55{ddd}9{rest}")
    return (e164,)


def _with_ninth_digit(e164: str) -> str:
    all_forms = variants(e164)
    return max(all_forms, key=len)


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _hint(raw: str) -> str:
    """Enough of the input to fix it, not the whole number (it is personal data)."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return f"{len(digits)} digits ending in {digits[-2:]}" if digits else "no digits"


def for_people(e164: str) -> str:
    """How staff write a number: ``(11) 99111-0001`` for Brazil, international otherwise;
    the stored text unchanged when it does not parse."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 55
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def is_erased(phone: str) -> bool:
    """True for what is left of an erased patient's number (no message may go to it)."""
    return phone.startswith(ERASED_PREFIX)
