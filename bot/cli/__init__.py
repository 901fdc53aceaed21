"""The `hotpapers` command line: one module per subcommand, no logic here.

Each subcommand module defines `HELP` (one line), `add_arguments(parser)` and `run(args) -> int`.
Errors the project raises on purpose (`HotPapersError`) become one line on stderr and exit 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence

from bot import __version__
from bot.errors import HotPapersError, NoAnnouncement

# name -> module under bot.cli; imported lazily so `hotpapers preview` never loads discord.py.
SUBCOMMANDS: dict[str, str] = {
    "preview": "preview",
    "import": "importer",
    "fetch": "fetch",
    "run": "run",
    "demo": "demo",
    "sandbox": "sandbox",
    "migrate-store": "migrate_store",
    "invite": "invite",
}


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every subcommand's options (used for --help and parsing)."""
    parser = argparse.ArgumentParser(
        prog="hotpapers",
        description="HotPapers: the day's most-discussed arXiv papers, posted to Discord.",
    )
    parser.add_argument("--version", action="version", version=f"hotpapers {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in SUBCOMMANDS.items():
        if importlib.util.find_spec(f"bot.cli.{module_name}") is None:
            continue  # a subcommand not built in this checkout
        module = importlib.import_module(f"bot.cli.{module_name}")
        p = sub.add_parser(name, help=module.HELP, description=module.__doc__)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hotpapers` console script and `python -m bot`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        code: int = args._run(args)
    except HotPapersError as exc:
        print(f"hotpapers {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except NoAnnouncement as exc:  # a state of the day, not a failure
        print(f"hotpapers {args.command}: nothing to fetch: {exc.reason}.", file=sys.stderr)
        return 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `hotpapers preview | head`: the reader left, not an error
        sys.stderr.close()
        return 0
    return code
