"""Specs from YAML files and dicts, with ``--set a.b=c`` overrides typed by the schema; specs back to YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel

from ..atomic import write_text
from ..errors import SpecError, closest
from .base import model_in, validate

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """A YAML mapping from ``path``; syntax errors name the line."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec file '{path}' does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SpecError(f"spec file '{path}' is not UTF-8 text (byte {getattr(exc, 'start', '?')})") from None
    except OSError as exc:
        raise SpecError(f"spec file '{path}' cannot be read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"spec file '{path}' has a YAML syntax error{where}: {problem}") from None
    if not isinstance(data, dict):
        raise SpecError(f"spec file '{path}' must hold a mapping (model:, data:, ...), not {type(data).__name__}")
    return data


def spec_from_yaml(path: str | Path, model: type[M], *, overrides: list[str] | None = None) -> M:
    """The spec ``model`` (``TrainSpec``) read from a YAML file, ``overrides`` applied."""
    return spec_from_dict(read_yaml(path), model, overrides=overrides, source=str(path))


def spec_from_dict(
    data: dict[str, Any], model: type[M], *, overrides: list[str] | None = None, source: str | None = None
) -> M:
    """The spec ``model`` validated from plain data, ``overrides`` applied first."""
    return validate(model, apply_overrides(data, overrides or [], model), source)


def spec_to_yaml(spec: BaseModel, path: str | Path | None = None) -> str:
    text = yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, default_flow_style=False, width=120)
    if path is not None:
        write_text(path, text)
    return text


def apply_overrides(data: dict[str, Any], overrides: list[str], model: type[BaseModel]) -> dict[str, Any]:
    """A copy of ``data`` with each ``a.b.c=value`` set; values are YAML scalars, typed by ``model``'s schema."""
    import copy

    data = copy.deepcopy(data)
    for item in overrides:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise SpecError(f"override '{item}' must look like key.path=value, e.g. optimizer.lr=0.1")
        set_path(data, path.strip().split("."), raw, model)
    return data


def set_path(data: dict[str, Any], keys: list[str], raw: str, root: type[BaseModel]) -> None:
    """Set ``data[k1][k2]...`` to ``raw`` parsed as YAML, checking every key against ``root``'s schema."""
    node: Any = data
    model: Any = root
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        annotation = None
        if isinstance(model, type) and issubclass(model, BaseModel):
            if key not in model.model_fields and model.model_config.get("extra") != "allow":
                near = closest(key, model.model_fields, n=1)
                parent = ".".join(keys[:depth])
                hint = f" (did you mean '{'.'.join(filter(None, [parent, near[0]]))}'?)" if near else ""
                raise SpecError(f"override key '{'.'.join(keys)}' is not in the spec{hint}")
            if key in model.model_fields:
                annotation = model.model_fields[key].annotation
        if isinstance(node, list):
            try:
                index = int(key)
                node[index]
            except (ValueError, IndexError):
                raise SpecError(f"override key '{'.'.join(keys)}': '{key}' is not an index of the list") from None
            if last:
                node[index] = _parse(raw, annotation)
                return
            node, model = node[index], model
            continue
        if last:
            node[key] = _parse(raw, annotation)
            return
        if not isinstance(node.get(key), dict | list):
            node[key] = _default_section(model, key)
        node, model = node[key], model_in(annotation) if annotation is not None else None


def _default_section(model: Any, key: str) -> dict[str, Any]:
    """What an omitted section holds by default (e.g. ``optimizer: {name: sgd}``), to override one key of it."""
    if isinstance(model, type) and issubclass(model, BaseModel) and key in model.model_fields:
        default = model.model_fields[key].get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            return default.model_dump(mode="json", exclude_unset=True)
    return {}


def _parse(raw: str, annotation: Any) -> Any:
    """YAML-typed value, but a field declared ``str`` keeps the raw text (``out_dir=2024`` stays a string)."""
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    if annotation in (str, str | None) and not isinstance(value, str) and value is not None:
        return raw
    return value
