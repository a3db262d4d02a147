"""Domain dataclasses to and from plain documents (shared by the Mongo and memory adapters)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter

__all__ = ["from_doc", "to_doc"]

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    if cls not in _ADAPTERS:
        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


def to_doc(obj: object, id_field: str = "id") -> dict[str, Any]:
    """A storage document: the dataclass's fields, its ``id_field`` as ``_id``."""
    doc: dict[str, Any] = _adapter(type(obj)).dump_python(obj, mode="python")
    doc["_id"] = doc.pop(id_field)
    for key, value in doc.items():
        if isinstance(value, tuple):
            doc[key] = [list(v) if isinstance(v, tuple) else v for v in value]
    return doc


def from_doc(cls: type[T], doc: dict[str, Any], id_field: str = "id") -> T:
    """Rebuild a dataclass from a storage document, ignoring fields it does not know."""
    fields = dict(doc)
    fields[id_field] = fields.pop("_id")
    known = cls.__dataclass_fields__  # type: ignore[attr-defined]
    value: T = _adapter(cls).validate_python({k: v for k, v in fields.items() if k in known})
    return value
