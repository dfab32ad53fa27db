"""The ``pkoresearch`` command."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _cmd_data(args: argparse.Namespace) -> int:
    import pandas as pd

    from .curated import datasets

    with pd.option_context("display.width", 160, "display.max_colwidth", 70):
        print(datasets().to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pkoresearch", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pkoresearch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("data", help="list the bundled datasets with their coverage")
    p.set_defaults(func=_cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
