"""`python -m benchmarks [NAME ...]`: run the benchmarks, all of them or the ones named.

A benchmark is a module `benchmarks/bench_<name>.py` with a `run() -> None` function; it is found here by its file
name, so adding one needs no change to this file. Modules run in name order. Each benchmark sets up its own
databases (usually in a child process per database, see `benchmarks.common`)."""

import argparse
import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path

from benchmarks.common import console, print_machine_facts

PACKAGE_DIR = Path(__file__).resolve().parent


def discover() -> dict[str, str]:
    """Short name (`unit_page`) → module name (`benchmarks.bench_unit_page`), in name order."""
    names = sorted(info.name for info in pkgutil.iter_modules([str(PACKAGE_DIR)]) if info.name.startswith("bench_"))
    return {name.removeprefix("bench_"): f"benchmarks.{name}" for name in names}


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"run only these: {', '.join(available) or 'none'}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    parser.add_argument(
        "--national", action="store_true", help="run at national size (6.5 million households) where supported"
    )
    args = parser.parse_args(argv)
    if args.national:
        os.environ["INMINBAN_BENCH_NATIONAL"] = "1"
    if args.list:
        for name, module in available.items():
            console.print(f"{name:<16} {module}")
        return 0
    chosen = [name.removeprefix("bench_") for name in args.names] or list(available)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        console.print(f"[red]No benchmark named {', '.join(unknown)}.[/red] Available: {', '.join(available)}")
        return 2
    print_machine_facts()
    failed = []
    for name in chosen:
        console.rule(f"[bold]{name}")
        started = time.perf_counter()
        try:
            module = importlib.import_module(available[name])
            if not callable(getattr(module, "run", None)):
                console.print(f"[yellow]{available[name]} has no run() function; skipped.[/yellow]")
                continue
            module.run()
        except Exception as error:  # one broken benchmark must not hide the others' numbers
            console.print_exception(max_frames=5)
            failed.append(f"{name}: {error}")
        console.print(f"[dim]{name} took {time.perf_counter() - started:.0f} s[/dim]")
    if failed:
        console.print("[red]Failed:[/red] " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
