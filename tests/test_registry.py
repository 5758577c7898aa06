import pytest

from zoo.errors import DuplicateNameError, UnknownNameError, ZooError
from zoo.registry import Registry


def test_register_by_call_and_decorator_with_aliases():
    reg = Registry("widget")

    @reg.register("alpha", aliases=("a",), colour="red")
    def alpha():
        return 1

    reg.register("beta", lambda: 2)
    assert reg.get("a").obj is alpha
    assert reg.get("alpha").meta == {"colour": "red"}
    assert reg.get("beta").obj() == 2
    assert "a" in reg and "gamma" not in reg


def test_duplicates_raise_unless_override():
    reg = Registry("widget")
    reg.register("alpha", object())
    with pytest.raises(DuplicateNameError, match="'alpha' is already registered"):
        reg.register("alpha", object())
    with pytest.raises(DuplicateNameError):
        reg.register("other", object(), aliases=("alpha",))
    replacement = object()
    reg.register("alpha", replacement, override=True)
    assert reg.get("alpha").obj is replacement


def test_unknown_name_suggests_closest():
    reg = Registry("widget")
    for name in ("resnet18", "resnet34", "vgg16"):
        reg.register(name, object())
    with pytest.raises(UnknownNameError) as info:
        reg.get("resnet19")
    assert isinstance(info.value, ZooError)
    assert str(info.value) == "unknown widget 'resnet19'; did you mean resnet18, resnet34?"


def test_listing_with_include_exclude_and_source():
    reg = Registry("widget")
    for name in ("vgg11", "vgg11_bn", "vgg16", "resnet18"):
        reg.register(name, object())
    reg.register("plug", object(), provider="my-plugin")
    assert reg.names("vgg*") == ["vgg11", "vgg11_bn", "vgg16"]
    assert reg.names("vgg*", exclude="*_bn") == ["vgg11", "vgg16"]
    assert reg.names(source="my-plugin") == ["plug"]


def test_provenance_names_the_defining_package():
    reg = Registry("widget")
    import collections

    reg.register("od", collections.OrderedDict)
    reg.register("ours", Registry)
    assert reg.get("od").provider == "collections"
    assert reg.get("ours").provider == "zoo"


class _Letters:
    """A namespace that counts how often it is asked to list its names."""

    def __init__(self):
        self.listed = 0

    def names(self):
        self.listed += 1
        return ["x", "y"]

    def entry(self, name):
        from zoo.registry import Entry

        return Entry(f"abc/{name}", name, provider="abc") if name in ("x", "y") else None


def test_namespaces_are_consulted_only_when_the_pattern_can_match():
    reg = Registry("widget")
    reg.register("local", object())
    letters = _Letters()
    reg.add_namespace("abc/", letters)
    assert reg.names("loc*") == ["local"]
    assert letters.listed == 0
    assert reg.names("abc/*") == ["abc/x", "abc/y"]
    assert reg.get("abc/y").obj == "y"
    with pytest.raises(UnknownNameError, match="did you mean abc/x"):
        reg.get("abc/xx")


def test_loaders_run_once_on_first_query():
    reg = Registry("widget")
    calls = []
    reg.add_loader(lambda: calls.append(reg.register(f"late{len(calls)}", object())))
    assert calls == []
    assert reg.names() == ["late0"]
    assert reg.names() == ["late0"]
    assert len(calls) == 1
