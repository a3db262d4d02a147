"""Which stored fields are personal data, and how they are sealed (see bot.adapters.crypto).

Phone fields keep a blind index under their own name (what queries match) and
the sealed number beside it as ``<field>_enc``; names and texts are sealed in
place. Empty values stay empty (retention blanks texts; nothing to hide).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.adapters.crypto import FieldCipher
from bot.core.errors import ConflictError
from bot.core.phones import ERASED_PREFIX

__all__ = ["INDEXED", "SEALED", "Sealer", "rotate"]

Doc = dict[str, Any]

# Re-reads of one document changed under us before rotation gives up on it.
_ATTEMPTS = 50

# collection -> phone fields stored as blind index + sealed copy
INDEXED: dict[str, tuple[str, ...]] = {
    "appointments": ("phone",),
    "conversations": ("phone",),
    "inbound": ("phone",),
    "outbox": ("phone",),
}
# collection -> fields sealed in place (str, or a dict sealed as JSON)
SEALED: dict[str, tuple[str, ...]] = {
    "appointments": ("patient_name",),
    "conversations": ("data",),
    "inbound": ("body", "user_id"),
    "outbox": ("text", "variables"),
}


class Sealer:
    def __init__(self, cipher: FieldCipher) -> None:
        self.cipher = cipher

    def encode(self, collection: str, doc: Doc) -> Doc:
        """The document as stored: phones indexed and sealed, personal fields sealed."""
        out = dict(doc)
        for field in INDEXED.get(collection, ()):
            value = out.get(field)
            if isinstance(value, str) and value and not value.startswith(("bi:", ERASED_PREFIX)):
                out[field] = self.cipher.index(value)
                out[f"{field}_enc"] = self.cipher.seal(field, value)
        for field in SEALED.get(collection, ()):
            value = out.get(field)
            if isinstance(value, dict):
                out[field] = (
                    {"sealed": self.cipher.seal(field, json.dumps(value, default=str))}
                    if value
                    else {}
                )
            elif isinstance(value, str) and value:
                out[field] = self.cipher.seal(field, value)
        return out

    def decode(self, collection: str, doc: Doc) -> Doc:
        """The document as the domain sees it."""
        out = dict(doc)
        for field in INDEXED.get(collection, ()):
            sealed = out.pop(f"{field}_enc", None)
            if isinstance(sealed, str):
                out[field] = self.cipher.open(field, sealed)
        for field in SEALED.get(collection, ()):
            value = out.get(field)
            if isinstance(value, dict) and set(value) == {"sealed"}:
                out[field] = json.loads(self.cipher.open(field, value["sealed"]))
            elif isinstance(value, str):
                out[field] = self.cipher.open(field, value)
        return out

    def phones(self, phones: tuple[str, ...] | list[str]) -> list[str]:
        """Every stored form of these numbers: their blind index under each configured key."""
        return [index for phone in phones for index in self.cipher.indexes(phone)]


def _stale(sealer: Sealer, collection: str, doc: Doc) -> bool:
    for field in INDEXED.get(collection, ()):
        value = doc.get(field)
        if (
            isinstance(value, str)
            and value.startswith("bi:")
            and not sealer.cipher.is_current(value)
        ):
            return True
    for field in SEALED.get(collection, ()):
        value = doc.get(field)
        if isinstance(value, dict) and set(value) == {"sealed"}:
            value = value["sealed"]
        if (
            isinstance(value, str)
            and value.startswith("enc:")
            and not sealer.cipher.is_current(value)
        ):
            return True
    return False


def _personal(collection: str) -> list[str]:
    """The stored keys that hold personal data in ``collection`` (what rotation rewrites)."""
    indexed = INDEXED.get(collection, ())
    return [*indexed, *(f"{field}_enc" for field in indexed), *SEALED.get(collection, ())]


async def _reseal(coll: Any, sealer: Sealer, collection: str, doc: Doc) -> bool:
    """Re-seal one document, only if it is still as read; re-read and retry on a conflict.

    The filter holds the personal fields as read (a changed ciphertext means a new value)
    and the conversation's ``version``: a turn saved meanwhile wins, and is re-read. Only
    the personal fields are set, so whatever else changed meanwhile is kept.
    """
    keys = _personal(collection)
    for _ in range(_ATTEMPTS):
        if not _stale(sealer, collection, doc):
            return False  # someone wrote it under the current key meanwhile
        fresh = sealer.encode(collection, sealer.decode(collection, doc))
        condition = {"_id": doc["_id"], **{key: doc.get(key) for key in keys}}
        if "version" in doc:
            condition["version"] = doc["version"]
        result = await coll.update_one(
            condition, {"$set": {key: fresh[key] for key in keys if key in fresh}}
        )
        if result.matched_count:
            return True
        doc = await coll.find_one({"_id": doc["_id"]})
        if doc is None:
            return False  # deleted meanwhile (erased, expired)
    raise ConflictError(f"{collection} {doc['_id']}: changed on every attempt to re-seal it")


async def rotate(
    db: Any, sealer: Sealer, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Re-seal every personal field under the current key; return how many documents changed.

    Safe while the product runs: each write is conditional on the document being
    as read (see :func:`_reseal`), so a turn saved during the rotation is never lost.
    """
    changed: dict[str, int] = {}
    for collection in sorted(set(INDEXED) | set(SEALED)):
        total = await db[collection].estimated_document_count()
        done = count = 0
        if progress is not None:
            progress(collection, 0, total)
        async for doc in db[collection].find():
            if await _reseal(db[collection], sealer, collection, doc):
                count += 1
            done += 1
            if progress is not None:  # the count is an estimate: never show past 100%
                progress(collection, done, max(done, total))
        changed[collection] = count
    changed["suppressions"] = await _rekey_suppressions(db["suppressions"], sealer)
    return changed


async def _rekey_suppressions(coll: Any, sealer: Sealer) -> int:
    """Suppressions are keyed by the blind index itself: re-keyed from their sealed number."""
    count = 0
    async for doc in coll.find():
        if sealer.cipher.is_current(str(doc["_id"])) or "phone_enc" not in doc:
            continue
        phone = sealer.cipher.open("phone", doc["phone_enc"])
        fresh = {
            **doc,
            "_id": sealer.cipher.index(phone),
            "phone_enc": sealer.cipher.seal("phone", phone),
        }
        await coll.replace_one({"_id": fresh["_id"]}, fresh, upsert=True)
        gone = await coll.delete_one(doc)
        if not gone.deleted_count:
            # Lifted (VOLTAR) while we copied it: the copy must not bring it back.
            await coll.delete_one(fresh)
            continue
        count += 1
    return count
