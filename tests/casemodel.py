"""The case-file model, introspected: which fields admit strings, and how (for the hostile-input and fuzz
tests, so that a field or a fact kind added to ``case.py`` is covered without touching them)."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from nonrefoulement import case as model


@dataclass(frozen=True)
class Shape:
    """How a field admits strings: one string or a list of them, free or constrained by a pattern."""

    many: bool
    pattern: str | None


def _patterns(metadata: list[Any]) -> str | None:
    for item in metadata:
        if isinstance(item, FieldInfo):
            found = _patterns(item.metadata)
            if found:
                return found
        elif getattr(item, "pattern", None):
            return str(item.pattern)
    return None


def string_shapes(annotation: Any, metadata: list[Any], many: bool = False) -> Iterator[Shape]:
    """The ways ``annotation`` admits a string (Literal vocabularies are closed: not free strings)."""
    origin = typing.get_origin(annotation)
    if annotation is str:
        yield Shape(many, _patterns(metadata))
    elif origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        yield from string_shapes(inner, [*metadata, *extra], many)
    elif origin in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            yield from string_shapes(member, metadata, many)
    elif origin is list:
        yield from string_shapes(typing.get_args(annotation)[0], metadata, True)


def models(annotation: Any) -> list[type[BaseModel]]:
    """The models a field may hold (through lists, unions and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in models(arg)]


def string_fields(cls: type[BaseModel]) -> dict[str, Shape]:
    """Every field of ``cls`` that admits a string, by its name in the file (its alias), with its shape."""
    out: dict[str, Shape] = {}
    for name, info in cls.model_fields.items():
        shapes = set(string_shapes(info.annotation, list(info.metadata)))
        if shapes:
            assert len(shapes) == 1, (cls.__name__, name, shapes)
            out[info.alias or name] = shapes.pop()
    return out


FACT_CLASSES: dict[str, type[model.FactBase]] = {
    typing.get_args(cls.model_fields["kind"].annotation)[0]: cls
    for cls in typing.get_args(typing.get_args(model.Fact)[0])
}


def declaring_class(cls: type[BaseModel], field: str) -> type[BaseModel]:
    """The class that declares ``field`` (FactBase for the fields every fact has)."""
    for base in reversed(cls.__mro__):
        if (
            isinstance(base, type)
            and issubclass(base, BaseModel)
            and field in getattr(base, "__annotations__", {})
        ):
            return base
    return cls
