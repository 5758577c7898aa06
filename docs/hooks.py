"""mkdocs hooks: generated reference sections, so the docs can never drift from the code.

``<!-- zoo:cli -->`` becomes the help of every ``zoo`` subcommand (from the real argument parser) and
``<!-- zoo:spec-schema -->`` a table per spec section (from the pydantic models), and
``<!-- zoo:include PATH -->`` a file of the repository (e.g. benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def on_page_markdown(markdown: str, **_: object) -> str:
    if "<!-- zoo:cli -->" in markdown:
        markdown = markdown.replace("<!-- zoo:cli -->", cli_reference())
    if "<!-- zoo:spec-schema -->" in markdown:
        markdown = markdown.replace("<!-- zoo:spec-schema -->", spec_reference())
    for match in re.finditer(r"<!-- zoo:include (\S+) -->", markdown):
        included = (ROOT / match.group(1)).read_text(encoding="utf-8").split("\n", 1)[1]  # without its title
        markdown = markdown.replace(match.group(0), included)
    return markdown


def cli_reference() -> str:
    from zoo.cli import build_parser

    parser = build_parser()
    parts = [f"```text\n{parser.format_help()}```"]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        parts.append(f"### zoo {name}\n\n```text\n{command.format_help()}```")
    return "\n\n".join(parts)


def spec_reference() -> str:
    from pydantic import BaseModel

    from zoo.specs import train

    parts = []
    for name in ("TrainSpec", "ModelSpec", "DataSpec", "DatasetSpec", "TransformSpec", "OptimizerSpec",
                 "SchedulerSpec", "LossSpec", "TrainerSpec", "EarlyStopSpec"):  # fmt: skip
        model: type[BaseModel] = getattr(train, name)
        rows = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
        for key, field in model.model_fields.items():
            annotation = str(field.annotation).replace("typing.", "").replace("zoo.specs.train.", "")
            annotation = annotation.replace("|", "\\|").replace("<class '", "").replace("'>", "")
            default = "required" if field.is_required() else repr(field.get_default(call_default_factory=True))
            default = default.replace("|", "\\|")
            if len(default) > 40:
                default = "(see section)"
            rows.append(f"| `{key}` | `{annotation}` | `{default}` | {field.description or ''} |")
        doc = (model.__doc__ or "").strip().splitlines()[0]
        extra = (
            " Other keys are passed to the builder as options." if model.model_config.get("extra") == "allow" else ""
        )
        parts.append(f"### {name}\n\n{doc}{extra}\n\n" + "\n".join(rows))
    return "\n\n".join(parts)
