"""The ``zoo`` command line. Every subcommand is a small function; errors print one line, no traceback."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from .errors import ZooError

COMMANDS: dict[str, Callable[[argparse.Namespace], int | None]] = {}


def command(name: str) -> Callable:
    def decorator(fn: Callable[[argparse.Namespace], int | None]) -> Callable:
        COMMANDS[name] = fn
        return fn

    return decorator


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (also what the docs' CLI reference is generated from)."""
    parser = argparse.ArgumentParser(prog="zoo", description="Build, train and share PyTorch models by name.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list registered model names")
    p.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern, e.g. 'vgg*' or 'timm/resnet*'")
    p.add_argument("--source", help="only names from this provider: zoo, timm, torchvision or a plugin")
    p.add_argument("--exclude", action="append", help="fnmatch pattern to leave out (repeatable)")

    p = sub.add_parser("info", help="show a model's card")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print the card as JSON")
    return parser


@command("list")
def _list(args: argparse.Namespace) -> None:
    from .registry import list_models

    for name in list_models(args.pattern, exclude=args.exclude, source=args.source):
        print(name)


@command("info")
def _info(args: argparse.Namespace) -> None:
    from .registry import model_info

    card = model_info(args.name)
    if args.json:
        print(json.dumps(card.model_dump(mode="json"), indent=2))
        return
    for key, value in card.model_dump(mode="json").items():
        if value in (None, {}, []):
            continue
        if key == "num_params":
            value = f"{value:,}"
        print(f"{key:<12} {value}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zoo`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args) or 0
    except ZooError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
