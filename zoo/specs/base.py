"""Base classes of the specs and the translation of pydantic errors into one-sentence ``SpecError``s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..errors import SpecError, ZooError, closest
from ..registry import Registry
from ..registry.signature import check_arguments


class Strict(BaseModel):
    """A spec part with a fixed set of keys: an unknown key is an error."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Named(BaseModel):
    """A spec part that names a registered builder and passes its other keys to it as options.

    The name is checked against ``registry`` and every option against the builder's signature, when the spec is
    validated (so a typo fails before training starts, naming the accepted options).
    """

    model_config = ConfigDict(extra="allow", validate_assignment=True)
    registry: ClassVar[Callable[[], Registry]]
    # options the caller (trainer) passes itself: not the user's to set
    context: ClassVar[tuple[str, ...]] = ()
    # declared fields that are not builder options
    own_fields: ClassVar[tuple[str, ...]] = ("name",)

    name: str

    @model_validator(mode="after")
    def _check_name_and_options(self) -> Named:
        try:
            entry = type(self).registry().get(self.name)
            check_arguments(
                f"{entry.meta.get('kind', type(self).registry().kind)} '{self.name}'",
                entry.obj,
                self.options(),
                skip=self.context,
            )
        except ZooError as exc:
            raise ValueError(str(exc)) from None
        return self

    def options(self) -> dict[str, Any]:
        """The builder's keyword arguments: declared fields that are set, plus the extra keys."""
        declared = {k: v for k, v in self if k not in self.own_fields and k in self.model_fields_set and v is not None}
        return {**declared, **(self.model_extra or {})}


def spec_error(exc: ValidationError, source: str | None = None, root: type[BaseModel] | None = None) -> SpecError:
    """The first pydantic error as a ``SpecError`` naming the field path (and, with ``root``, the model the path
    starts from, the closest key for typos)."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))  # drop union-member tags
    err = {**err, "loc": loc}
    path = ".".join(str(p) for p in loc)
    where = f"{source}: " if source else ""
    if err["type"] == "extra_forbidden":
        hint = _nearest_key(err["loc"], root) if root is not None else ""
        return SpecError(f"{where}unknown key '{path}'{hint}")
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return SpecError(f"{where}'{path}' is required")
    return SpecError(f"{where}{path}: {message}" if path else f"{where}{message}")


def _nearest_key(loc: tuple, root: type[BaseModel]) -> str:
    fields = fields_at(root, loc[:-1])
    near = closest(str(loc[-1]), fields, n=1) if fields else []
    if near:
        return f" (did you mean '{'.'.join([*map(str, loc[:-1]), near[0]])}'?)"
    return f"; valid keys: {', '.join(fields)}" if fields else ""


def fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the spec part reached by following ``loc`` from ``model`` (empty if not a model)."""
    current: Any = model
    for key in loc:
        if isinstance(key, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or key not in current.model_fields:
            return []
        current = model_in(current.model_fields[key].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation like ``X | None`` or ``list[X]`` (or the annotation itself)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = model_in(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def validate(model: type[BaseModel], data: Any, source: str | None = None) -> Any:
    """``model.model_validate(data)`` with errors as ``SpecError``."""
    where = f"{source}: " if source else ""
    bad = _not_unicode(data)
    if bad is not None:  # YAML's "\ud800" escapes give lone surrogates, which no text encoding can hold
        raise SpecError(f"{where}{bad or 'the spec'} holds text that is not valid Unicode (a lone surrogate)")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise spec_error(exc, source, model) from None


def _not_unicode(data: Any, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) that cannot be encoded as UTF-8, else None."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _not_unicode(key) is not None:
            return path or "a key"
        found = _not_unicode(value, where)
        if found is not None:
            return found
    return None
