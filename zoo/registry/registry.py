"""One ``Registry`` class for every kind of named thing: models, datasets, transforms, optimizers, losses.

Names map to entries (the registered object plus plain metadata). Three ways to fill a registry:

- ``register`` by call or decorator (duplicates raise unless ``override=True``);
- *locations*: module paths (data, declared in ``root.py``) imported on the first query, then *loaders*
  (callables those modules add) and the plugins of an entry-point group;
- *namespaces*: a prefix such as ``timm/`` whose names come from another library, listed and resolved lazily so
  the library is imported only when one of its names is asked for.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..errors import DuplicateNameError, UnknownNameError, did_you_mean


@dataclass(frozen=True)
class Entry:
    """A registered object, its canonical name, its aliases, who registered it, and free metadata."""

    name: str
    obj: Any
    aliases: tuple[str, ...] = ()
    provider: str = "zoo"
    meta: dict[str, Any] = field(default_factory=dict)

    def with_tag(self, tag: str) -> Entry:
        """This entry under ``name.tag``: same builder, the tag's weights by default, the tag's preprocessing."""
        info = self.meta["weights"][tag]
        own = {k: info[k] for k in _TAG_CARD_FIELDS if info.get(k) is not None}
        own = {k: tuple(v) if isinstance(v, list) else v for k, v in own.items()}
        return replace(self, name=f"{self.name}.{tag}", aliases=(), meta={**self.meta, **own, "default_weights": tag})


# what a weights tag may say differently from its architecture's card
_TAG_CARD_FIELDS = ("input_size", "mean", "std", "num_classes", "crop_pct", "interpolation", "license")


class Namespace(Protocol):
    """Names under a prefix that another library provides (e.g. ``timm/``)."""

    def names(self) -> Iterable[str]:
        """Every name under the prefix, without it."""
        ...

    def entry(self, name: str) -> Entry | None:
        """The entry for ``name`` (without the prefix), or None when unknown."""
        ...


def provider_of(obj: Any) -> str:
    """The distribution (or top-level package) that defines ``obj``: the registry's provenance."""
    module = getattr(obj, "__module__", None) or ""
    top = module.split(".")[0]
    if top in ("zoo", "", "__main__"):
        return "zoo" if top == "zoo" else (top or "unknown")
    from importlib.metadata import packages_distributions

    dists = packages_distributions().get(top)
    return dists[0] if dists else top


class Registry:
    """Named entries of one kind (``kind`` is used in messages: "unknown model 'vgg61'")."""

    def __init__(self, kind: str, *, locations: Iterable[str] = (), entry_points: str | None = None) -> None:
        self.kind = kind
        self.locations, self.entry_points = tuple(locations), entry_points
        self._entries: dict[str, Entry] = {}
        self._aliases: dict[str, str] = {}
        self._namespaces: dict[str, Namespace] = {}
        self._loaders: list[Callable[[], None]] = []
        self._loaded = False

    # -- filling ---------------------------------------------------------------------------------------------
    def register(
        self,
        name: str,
        obj: Any = None,
        *,
        aliases: Iterable[str] = (),
        override: bool = False,
        provider: str | None = None,
        **meta: Any,
    ) -> Any:
        """Register ``obj`` under ``name``; without ``obj``, return a decorator that does."""
        if obj is None:
            return lambda target: self.register(
                name, target, aliases=aliases, override=override, provider=provider, **meta
            )
        aliases = tuple(aliases)
        for key in (name, *aliases):
            taken = self._entries.get(key) or self._entries.get(self._aliases.get(key, ""))
            if taken is not None and not override:
                raise DuplicateNameError(
                    f"{self.kind} name '{key}' is already registered by {taken.provider}; "
                    "pass override=True to replace it"
                )
        entry = Entry(name, obj, aliases, provider or provider_of(obj), dict(meta))
        self._entries[name] = entry
        for alias in aliases:
            self._aliases[alias] = name
        return obj

    def add_namespace(self, prefix: str, namespace: Namespace) -> None:
        """Serve every name ``prefix + x`` from ``namespace`` (prefix ends with '/')."""
        self._namespaces[prefix] = namespace

    def add_loader(self, loader: Callable[[], None]) -> None:
        """Run ``loader`` once before the first query (e.g. import built-ins, load plugins)."""
        self._loaders.append(loader)
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True  # set first: filling modules register, which must not recurse
        for location in self.locations:
            importlib.import_module(location)
        while self._loaders:
            self._loaders.pop(0)()
        if self.entry_points is not None:
            from .plugins import load_entry_points

            load_entry_points(self.entry_points)
            self.entry_points = None
        self._loaded = True  # again: a filling module's add_loader cleared it while it was being imported

    # -- querying --------------------------------------------------------------------------------------------
    def get(self, name: str) -> Entry:
        """The entry for ``name`` or an alias; ``UnknownNameError`` naming the closest names otherwise."""
        entry = self.find(name)
        if entry is None:
            in_namespaces = [p + name for p, ns in self._namespaces.items() if "/" not in name and ns.entry(name)]
            if in_namespaces:
                raise UnknownNameError(f"unknown {self.kind} '{name}'; did you mean {', '.join(in_namespaces)}?")
            raise UnknownNameError(f"unknown {self.kind} '{name}'{did_you_mean(name, self._suggestions(name))}")
        return entry

    def find(self, name: str) -> Entry | None:
        """Like ``get`` but None when unknown."""
        self._load()
        key = self._aliases.get(name, name)
        if key in self._entries:
            return self._entries[key]
        prefix, sep, rest = name.partition("/")
        if sep and prefix + "/" in self._namespaces:
            found = self._namespaces[prefix + "/"].entry(rest)
            if found is not None:
                return found
        base, dot, tag = name.rpartition(".")
        if dot and base and tag:  # ``arch.tag``: a pretrained tag listed in the arch's card
            entry = self.find(base)
            if entry is not None and tag in (entry.meta.get("weights") or {}):
                return entry.with_tag(tag)
        return None

    def __contains__(self, name: str) -> bool:
        return self.find(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def names(
        self,
        pattern: str = "*",
        *,
        exclude: str | Iterable[str] | None = None,
        source: str | None = None,
    ) -> list[str]:
        """Sorted names matching ``pattern`` (fnmatch) but none of ``exclude``; ``source`` filters by provider.

        A namespace (``timm/``) is consulted only when the pattern could match its prefix, so
        ``names("vgg*")`` never imports timm.
        """
        self._load()
        found = [n for n, e in self._entries.items() if source is None or e.provider == source]
        for prefix, namespace in self._namespaces.items():
            if (source is None or source == prefix.rstrip("/")) and _may_match(pattern, prefix):
                found.extend(prefix + n for n in namespace.names())
        return _matching(found, pattern, exclude)

    def pretrained_names(self, pattern: str = "*", *, exclude: str | Iterable[str] | None = None) -> list[str]:
        """Sorted ``name.tag`` names of every pretrained tag (own cards' ``weights`` and namespaces') matching."""
        self._load()
        found = [f"{n}.{tag}" for n, e in self._entries.items() for tag in e.meta.get("weights") or {}]
        for prefix, namespace in self._namespaces.items():
            if _may_match(pattern, prefix) and hasattr(namespace, "pretrained_names"):
                found.extend(prefix + n for n in namespace.pretrained_names())
        return _matching(found, pattern, exclude)

    def _suggestions(self, name: str) -> list[str]:
        own = [*self._entries, *self._aliases]
        prefix, sep, _ = name.partition("/")
        if sep and prefix + "/" in self._namespaces:
            namespace = self._namespaces[prefix + "/"]
            tagged = getattr(namespace, "pretrained_names", tuple)() if "." in name else ()
            return [prefix + "/" + n for n in (*namespace.names(), *tagged)]
        return own + [p for p in self._namespaces]


def _matching(names: Iterable[str], pattern: str, exclude: str | Iterable[str] | None) -> list[str]:
    """Sorted ``names`` matching ``pattern`` (fnmatch) and none of ``exclude``."""
    excludes = [exclude] if isinstance(exclude, str) else list(exclude or ())
    keep = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    return sorted(n for n in keep if not any(fnmatch.fnmatchcase(n, x) for x in excludes))


def _may_match(pattern: str, prefix: str) -> bool:
    """Whether a name starting with ``prefix`` could match ``pattern`` (compares the literal heads)."""
    head = pattern
    for i, ch in enumerate(pattern):
        if ch in "*?[":
            head = pattern[:i]
            break
    return prefix.startswith(head) or head.startswith(prefix)
