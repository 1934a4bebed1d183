"""The field checks the payload's validators share (:mod:`torchscope.schema`, :mod:`torchscope.schema_step`).

Each names the field it refused, as ``js/validate-fields.ts`` does on the front end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class SchemaError(ValueError):
    """A payload does not follow the contract; the message says which field and where."""


def mapping(value: object, where: str) -> Mapping[str, object]:
    """``value`` as an object, or a SchemaError naming ``where``."""
    if not isinstance(value, Mapping):
        raise SchemaError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def sequence(value: object, where: str) -> Sequence[object]:
    """``value`` as a list, or a SchemaError naming ``where``."""
    if not isinstance(value, list | tuple):
        raise SchemaError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def string(value: object, where: str) -> str:
    """``value`` as a string, or a SchemaError naming ``where``."""
    if not isinstance(value, str):
        raise SchemaError(f"{where}: expected a string, got {type(value).__name__}")
    return value
