"""The ``bayesgmm`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__


def _demo(args: argparse.Namespace) -> int:
    from .datasets import load_faithful
    from .estimator import GaussianMixture

    X = load_faithful()
    model = GaussianMixture(
        n_components=args.components,
        covariance_type=args.covariance,
        n_init=args.n_init,
        random_state=args.seed,
    ).fit(X)
    print("Old Faithful geyser data (272 eruptions; minutes): fitted by EM\n")
    print(model.result_.summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayesgmm", description="Gaussian mixture models: fit, compare and inspect."
    )
    parser.add_argument("--version", action="version", version=f"bayesgmm {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="fit the shipped Old Faithful data and print a summary")
    demo.add_argument("--components", type=int, default=2, help="number of components (default 2)")
    demo.add_argument(
        "--covariance", default="full", choices=["full", "tied", "diag", "spherical"],
        help="covariance type (default full)",
    )
    demo.add_argument("--n-init", type=int, default=5, help="initialisations (default 5)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"bayesgmm {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
