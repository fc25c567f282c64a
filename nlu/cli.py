"""`jkp-bot nlu ...`: parse messages, evaluate the interpreter, train (warm) its cache.

Kept apart from bot/cli.py, which only registers the group and hands over. Imports of the
interpreter happen inside the commands, so `jkp-bot --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.settings import Settings
    from nlu.interpreter import Interpreter


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="nlu_command", required=True)
    parse = sub.add_parser(
        "parse",
        help="print a message's parse as JSON in Rasa's shape (no TEXT: one message per "
        "line from standard input, one JSON object per line)",
    )
    parse.add_argument("text", nargs="?", help="the message; omit to read standard input")
    parse.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD for relative dates")
    evaluate = sub.add_parser(
        "evaluate",
        help="cross-validated accuracy and macro-F1, held-out scores, confusions, worst examples",
    )
    evaluate.add_argument("--folds", type=int, default=5, help="cross-validation folds (5)")
    evaluate.add_argument("--heldout", type=Path, help="held-out examples (Rasa NLU YAML)")
    evaluate.add_argument("--json", action="store_true", help="print the numbers as JSON")
    evaluate.add_argument(
        "--fail-under",
        type=float,
        metavar="ACCURACY",
        help="exit 1 when held-out accuracy is below this (0-1)",
    )
    evaluate.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD")
    evaluate.add_argument(
        "--compare",
        action="store_true",
        help="also cross-validate the alternatives the model was chosen from (minutes)",
    )
    sub.add_parser("train", help="train the classifier now and cache it (NLU_CACHE_DIR)")


def _interpreter(settings: Settings) -> Interpreter:
    from nlu.interpreter import load_interpreter
    from nlu.model import resolve_cache_dir

    return load_interpreter(cache_dir=resolve_cache_dir(settings.nlu_cache_dir))


def _today(settings: Settings, given: date | None) -> date:
    return given or datetime.now(settings.zone).date()


def run(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    interpreter = _interpreter(settings)
    if args.nlu_command == "parse":
        today = _today(settings, args.today)
        lines = [args.text] if args.text is not None else (line.rstrip("\n") for line in sys.stdin)
        for line in lines:
            parse = interpreter.parse(line, today)
            out.write(json.dumps(parse.to_json(), ensure_ascii=False) + "\n")
            out.flush()
        return 0
    if args.nlu_command == "train":
        interpreter.prepare()
        report = interpreter.store.report if interpreter.store else None
        if report is None:
            out.write("jkp-bot: no classifier to train (fewer than two intents)\n")
            return 0
        where = report.path or "memory only (cache directory not writable)"
        verb = "read from the cache" if report.source == "cache" else "trained"
        out.write(f"jkp-bot: classifier {verb} in {report.seconds:.1f} s; cache: {where}\n")
        return 0
    return _evaluate(args, settings, interpreter, out)


def _evaluate(
    args: argparse.Namespace, settings: Settings, interpreter: Interpreter, out: TextIO
) -> int:
    from nlu.data import HELDOUT_PATH, NluData, load_training, load_yaml
    from nlu.evaluate import compare, evaluate, render, render_comparison

    data, _ = load_training()
    path: Path = args.heldout or HELDOUT_PATH
    heldout = NluData.from_yaml([load_yaml(path)]) if path.is_file() else None
    if args.heldout and heldout is None:
        print(f"jkp-bot: {path}: no such file", file=sys.stderr)
        return 2
    today = _today(settings, args.today)
    name = str(path) if args.heldout else "tests/nlu/heldout.yml"
    result = evaluate(interpreter, data, heldout, today, folds=args.folds, heldout_name=name)
    rows = compare(interpreter, data, folds=args.folds) if args.compare else []
    if args.json:
        report = result.to_json()
        if rows:
            report["compare"] = [
                {
                    "name": r.name.strip(),
                    "accuracy": round(r.accuracy, 4),
                    "macro_f1": round(r.macro_f1, 4),
                    "faq_accuracy": round(r.faq_accuracy, 4),
                    "seconds": round(r.seconds, 1),
                }
                for r in rows
            ]
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(render(result) + "\n")
        if rows:
            out.write(render_comparison(rows, args.folds) + "\n")
    if args.fail_under is not None:
        accuracy = result.heldout.accuracy if result.heldout else result.cv.accuracy
        if accuracy < args.fail_under:
            print(f"jkp-bot: accuracy {accuracy:.3f} < {args.fail_under}", file=sys.stderr)
            return 1
    return 0
