"""The ``zoo`` command line. Every subcommand is a small function; errors print one line, no traceback."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from .errors import ZooError, first_line

COMMANDS: dict[str, Callable[[argparse.Namespace], int | None]] = {}


def command(name: str) -> Callable:
    def decorator(fn: Callable[[argparse.Namespace], int | None]) -> Callable:
        COMMANDS[name] = fn
        return fn

    return decorator


def positive_int(text: str) -> int:
    """An argparse type: an integer ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _version() -> str:
    from . import __version__

    return __version__


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one ``error:`` line (naming ``--help``) like every other zoo error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (also what the docs' CLI reference is generated from)."""
    parser = Parser(prog="zoo", description="Build, train and share PyTorch models by name.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"zoo {_version()}")
    common = argparse.ArgumentParser(add_help=False)  # so `zoo train --debug` works too
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", parents=[common], help="list registered model names")
    p.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern, e.g. 'vgg*' or 'timm/resnet*'")
    p.add_argument("--source", help="only names from this provider: zoo, timm, torchvision or a plugin")
    p.add_argument("--exclude", action="append", help="fnmatch pattern to leave out (repeatable)")
    p.add_argument("--pretrained", action="store_true", help="list pretrained tags (name.tag) instead of models")
    p.add_argument("--json", action="store_true", help="with --pretrained: a JSON table of every tag's card")

    p = sub.add_parser("info", parents=[common], help="show a model's card")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print the card as JSON")

    p = sub.add_parser(
        "train", parents=[common], help="train a model from a spec (default: the quick net on the shapes data)"
    )
    p.add_argument("spec", nargs="?", help="spec YAML file; omitted: the built-in quick_shapes spec")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a spec value, e.g. --set optimizer.lr=0.1 (repeatable)",
    )
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last complete epoch")
    p.add_argument(
        "--check",
        action="store_true",
        help="validate the spec and build data, model, optimizer and loss, run one batch, then stop (no training)",
    )
    p.add_argument(
        "--finetune",
        action="store_true",
        help="fine-tuning preset: freeze the backbone for the first half of the epochs, head lr ×10, "
        "no weight decay on norms and biases (any --set wins)",
    )
    p.add_argument(
        "--fast",
        action="store_true",
        help="the device's fast settings (trainer.fast): bf16 autocast where native, channels_last, data_on_device "
        "when it fits, cuDNN benchmark; the log says what applies (any --set wins)",
    )

    p = sub.add_parser("lr-find", parents=[common], help="learning-rate range test: table, PNG plot, suggestion")
    p.add_argument("spec", nargs="?", help="spec YAML file; omitted: the built-in quick_shapes spec")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--start", type=float, default=1e-7)
    p.add_argument("--end", type=float, default=10.0)
    p.add_argument("--steps", type=positive_int, default=100)
    p.add_argument("--plot", default="lr_find.png", help="where to write the plot (PNG)")

    p = sub.add_parser("eval", parents=[common], help="evaluate a bundle or a pretrained model on a dataset")
    p.add_argument("bundle", help="bundle folder, URL, hf-hub:org/name, or a registered name (timm/resnet50.a1_in1k)")
    p.add_argument("--data", required=True, help="a spec YAML (its test, else val split) or an image folder")
    p.add_argument("--split", help="which split of the spec to use (test or val)")
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--num-workers", type=int, default=0, help="data loading processes")
    p.add_argument("--device", default="cpu", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--report", metavar="DIR", help="write confusion_matrix.png, mistakes.png, per_class.csv, report.md")
    p.add_argument("--update-card", action="store_true", help="put the results into the bundle's model card")
    p.add_argument("--json", action="store_true", help="print every metric (per class, confusion matrix) as JSON")

    p = sub.add_parser("predict", parents=[common], help="predict image classes with a bundle or pretrained model")
    p.add_argument(
        "bundle", help="bundle folder, URL, hf-hub:org/name, a registered name (timm/resnet50.a1_in1k) or an .onnx file"
    )
    p.add_argument("images", nargs="+", help="image files, folders (searched recursively) or glob patterns")
    p.add_argument("--topk", type=positive_int, default=5)
    p.add_argument("--device", default="cpu", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--json", action="store_true", help="print a JSON list of {path, label, score, topk}")
    p.add_argument("--csv", action="store_true", help="print CSV: path,label,score")

    p = sub.add_parser("export", parents=[common], help="export to ONNX or .pt2, checked against PyTorch")
    p.add_argument("source", help="bundle folder, URL, hf-hub:org/name, or a registered name with weights")
    p.add_argument("--format", choices=["onnx", "pt2"], default="onnx")
    p.add_argument("--out", help="output file; default: model.onnx / model.pt2 inside the bundle")
    p.add_argument("--opset", type=positive_int, help="ONNX opset (default: the exporter's)")
    p.add_argument("--batch", type=positive_int, default=2, help="batch size of the example input")
    p.add_argument("--no-dynamic-batch", dest="dynamic_batch", action="store_false", help="fix the batch size")
    p.add_argument("--no-check", dest="check", action="store_false", help="skip running the file against PyTorch")

    p = sub.add_parser(
        "schema", parents=[common], help="print the JSON Schema of spec files (for editor autocompletion)"
    )
    p.add_argument("--output", "-o", help="write it to this file instead of stdout")

    p = sub.add_parser("convert", parents=[common], help="turn a torchvision/timm state_dict file into a bundle")
    p.add_argument("src", help="a .pth/.pt/.bin/.safetensors state_dict (read with weights_only=True)")
    p.add_argument("dst", help="bundle folder to write")
    p.add_argument("--model", required=True, help="registered model name, e.g. vgg16 or timm/resnet18")
    p.add_argument("--num-classes", type=positive_int, help="head size when it differs from the model's default")
    p.add_argument("--classes", help="file with one class name per line")

    p = sub.add_parser("push", parents=[common], help="upload a bundle to the Hugging Face Hub (needs zoo[hub])")
    p.add_argument("bundle", help="bundle folder")
    p.add_argument("target", help="hf-hub:org/name")
    p.add_argument("--private", action="store_true")
    return parser


@command("list")
def _list(args: argparse.Namespace) -> int | None:
    from .registry import list_models

    names = list_models(args.pattern, exclude=args.exclude, source=args.source, pretrained=args.pretrained)
    if not names:
        print(f"no {'pretrained tag' if args.pretrained else 'model name'} matches '{args.pattern}'", file=sys.stderr)
        return 1
    if args.json:
        from .registry import weights_table

        print(json.dumps(weights_table(names), indent=2))
        return None
    for name in names:
        print(name)
    return None


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


@command("train")
def _train(args: argparse.Namespace) -> None:
    from .commands import check, train

    if args.fast:
        args.overrides = ["trainer.fast=true", *args.overrides]
    if args.check:
        for line in check(args.spec, args.overrides, finetune=args.finetune):
            print(line)
        return
    train(args.spec, args.overrides, args.resume, finetune=args.finetune)


@command("lr-find")
def _lr_find(args: argparse.Namespace) -> None:
    from .commands import lr_find

    result = lr_find(args.spec, args.overrides, start=args.start, end=args.end, steps=args.steps)
    print(result.table())
    print(f"plot: {result.plot(args.plot)}")


@command("eval")
def _eval(args: argparse.Namespace) -> None:
    from .commands import evaluate
    from .evaluation.report import per_class_table

    result = evaluate(
        args.bundle, args.data, split=args.split, batch_size=args.batch_size, device=args.device,
        num_workers=args.num_workers, report=args.report, update_card=args.update_card,
    )  # fmt: skip
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    for key, value in result.scalars("eval").items():
        print(f"{key:<10} {value:.4f}")
    print(f"{'samples':<10} {result.samples}\n")
    print(per_class_table(result))


@command("predict")
def _predict(args: argparse.Namespace) -> None:
    from .prediction import predict

    results = predict(args.bundle, args.images, topk=args.topk, device=args.device, batch_size=args.batch_size)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    if args.csv:
        import csv

        out = csv.writer(sys.stdout)
        out.writerow(["path", "label", "score"])
        out.writerows([r["path"], r["label"], f"{r['score']:.6f}"] for r in results)
        return
    for r in results:
        print(f"{r['path']}, {r['label']}, {r['score']:.4f}")


@command("export")
def _export(args: argparse.Namespace) -> None:
    from .exporting import export

    result = export(
        args.source, args.out, format=args.format, opset=args.opset, batch=args.batch,
        dynamic_batch=args.dynamic_batch, check=args.check,
    )  # fmt: skip
    print(result)


@command("schema")
def _schema(args: argparse.Namespace) -> None:
    from .atomic import write_text
    from .specs import TrainSpec

    text = json.dumps(TrainSpec.model_json_schema(), indent=2) + "\n"
    if args.output:
        write_text(args.output, text)
    else:
        print(text, end="")


@command("convert")
def _convert(args: argparse.Namespace) -> None:
    from .commands import convert

    print(f"wrote bundle {convert(args.src, args.model, args.dst, num_classes=args.num_classes, classes=args.classes)}")


@command("push")
def _push(args: argparse.Namespace) -> None:
    from .bundle.push import push

    print(push(args.bundle, args.target, private=args.private))


def _printable(text: str) -> str:
    """``text`` safe for any terminal: characters it cannot encode (lone surrogates from a spec) escaped."""
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding, "replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zoo`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr, force=True)
    try:
        code = COMMANDS[args.command](args) or 0
        sys.stdout.flush()  # a closed pipe (zoo list | head -1) shows here, inside the try
        return code
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to say to a closed pipe
        return 0
    except ZooError as exc:
        if args.debug:
            raise
        print(f"error: {_printable(first_line(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last net: one line, never a traceback (--debug shows it)
        if args.debug:
            raise
        cause = _printable(f"{type(exc).__name__}: {first_line(exc)}")
        print(f"error: unexpected {cause} (run with --debug for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
