"""``python -m govern.tally RULE FILE [options]``: count a ballot file and print the outcome as JSON.

The output is the outcome's canonical JSON (sorted keys, compact, UTF-8): the
``winners`` list at the top level, the round-by-round explanation beside it.
Winners are the names as written in the file (BLT, JSON), the project ids (.pb),
or the alternative numbers (PrefLib). Errors (unknown rule, unreadable file,
missing or inapplicable parameter) exit with status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .formats import FormatError, format_from_path, read_json_document, read_profile
from .outcome import ParameterError
from .profile import ProfileError
from .rules import BUDGETING_RULES, RULES, pb_instance
from .tiebreak import TieBreak


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2
        raise _UsageError(message)


#: The options each kind of rule accepts (beyond --format and --tie-break).
_APPLIES = {
    "motion": {"threshold", "abstentions", "quorum", "electorate"},
    "irv": set(),
    "stv-scottish": {"seats"},
    "stv-meek": {"seats"},
    "schulze": set(),
    "ranked-pairs": set(),
    "copeland": set(),
    "borda": set(),
    "greedy": {"budget", "utility", "min_support"},
    "mes": {"budget", "utility", "completion", "comparison"},
}


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m govern.tally", description="Count a ballot file and print the outcome as JSON.")
    p.add_argument("rule", help="one of: " + " ".join(RULES))
    p.add_argument("file")
    p.add_argument("--format", choices=["blt", "pb", "soc", "soi", "toc", "toi", "json"])
    p.add_argument("--seats", type=int)
    p.add_argument("--budget", type=int)
    p.add_argument("--utility", choices=["cost", "cardinality"])
    p.add_argument("--min-support", dest="min_support", type=int)
    p.add_argument("--completion", choices=["none", "add1", "add1-greedy"])
    p.add_argument("--comparison", action="store_true", default=None)
    p.add_argument("--threshold", choices=["majority", "two-thirds"])
    p.add_argument("--abstentions", choices=["excluded", "counted"])
    p.add_argument("--quorum", help='fraction of the electorate, e.g. "1/2"')
    p.add_argument("--electorate", type=int)
    p.add_argument("--tie-break", dest="tie_break", metavar="SEED")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.rule not in RULES:
            raise _UsageError(f"unknown rule {args.rule!r}; choose from: {' '.join(RULES)}")
        params: dict[str, Any] = {}
        for opt in ("seats", "budget", "utility", "min_support", "completion", "comparison",
                    "threshold", "abstentions", "quorum", "electorate"):
            value = getattr(args, opt)
            if value is None:
                continue
            if opt not in _APPLIES[args.rule]:
                raise _UsageError(f"--{opt.replace('_', '-')} does not apply to {args.rule}")
            params[opt] = value
        fmt = args.format or format_from_path(args.file)
        tie_break = TieBreak(args.tie_break)
        fn = RULES[args.rule]
        if fmt == "pb":
            if args.rule not in BUDGETING_RULES:
                raise _UsageError(f"{args.rule} counts ranked ballots; a .pb file is for greedy or mes")
            try:
                from .pabulib import read_pb  # type: ignore[attr-defined]
            except ModuleNotFoundError as exc:
                if exc.name != "govern.tally.pabulib":
                    raise
                raise _UsageError("reading .pb files needs govern.tally.pabulib, which is missing") from None
            outcome = fn(read_pb(args.file), tie_break=tie_break, **params)
        else:
            path = Path(args.file)
            if fmt == "json":
                profile, extras = read_json_document(path)
            else:
                profile, extras = read_profile(path, fmt), {}
            if args.rule in BUDGETING_RULES:
                budget = params.get("budget", extras.get("budget"))
                subject = pb_instance(profile, extras.get("costs"), budget)
            else:
                subject = profile
            outcome = fn(subject, tie_break=tie_break, **params)
    except _UsageError as exc:
        return _fail(str(exc))
    except (FormatError, ProfileError, ParameterError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror or exc}")
    sys.stdout.buffer.write(outcome.to_json() + b"\n")
    sys.stdout.flush()
    return 0


def _fail(message: str) -> int:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
