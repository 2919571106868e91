"""The commands with a classifier: ``fit --label``, and ``predict``/``show`` of a saved one.

:func:`bayesgmm.cli.main.main` sends ``fit`` here when ``--label`` is given, and ``predict``
and ``show`` when the file holds a :class:`~bayesgmm.GaussianMixtureClassifier`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..classification import GaussianMixtureClassifier, cross_validated_error
from ..families import ALL_MODELS
from ..io import is_classifier_file, load_classifier
from .commands import (
    EXIT_OK,
    UsageError,
    _checked_out,
    _describe_ks,
    _fit,
    _keyed,
    _model_columns,
    _predict,
    _save,
    _show,
    _write_csv,
)
from .reading import read_data


def holds_classifier(path: str) -> bool:
    """Whether the file named on the command line is a saved classifier."""
    return Path(path).exists() and is_classifier_file(path)


def fit_command(args: argparse.Namespace) -> int:
    """``fit``: a classifier with ``--label``, else the sweep of mixtures."""
    return fit_classifier(args) if args.label is not None else _fit(args)


def predict_command(args: argparse.Namespace) -> int:
    """``predict``: class probabilities for a saved classifier, else components."""
    return predict_classes(args) if holds_classifier(args.result) else _predict(args)


def show_command(args: argparse.Namespace) -> int:
    """``show``: a classifier's summary, else a fit's."""
    if holds_classifier(args.result):
        print(load_classifier(args.result).summary())
        return EXIT_OK
    return _show(args)


def fit_classifier(args: argparse.Namespace) -> int:
    """``fit --label``: a GaussianMixtureClassifier, its summary and cross-validated error."""
    unused = [
        option
        for option, given in (
            ("--standardize", args.standardize),
            ("--prune", args.prune is not None),
            ("--mclust", args.mclust),
            ("--save-all", args.save_all),
            ("--report", args.report),
            ("--accelerate", args.accelerate),
            ("--noise", args.noise),
            ("--missing marginalize", args.missing != "error"),
        )
        if given
    ]
    if unused:
        raise UsageError(f"{', '.join(unused)} cannot be used with --label (a classifier)")
    if args.kind == "edda" and len(args.engine) > 1:
        raise UsageError("--kind edda fits with one engine; give one --engine")
    if args.folds < 0 or args.folds == 1:
        raise UsageError(f"--folds {args.folds}: give 2 or more folds, or 0 to skip")
    out = _checked_out(args)
    rows = read_data(args, args.columns)
    X, y = rows.features, rows.labels.to_numpy()
    ks = args.components if args.components is not None else list(range(1, 6))
    covariance = ALL_MODELS if args.covariance == [ALL_MODELS] else args.covariance
    classifier = GaussianMixtureClassifier(
        args.kind,
        n_components=ks,
        covariance_type=covariance,
        engine=args.engine[0] if args.kind == "edda" else args.engine,
        tol=args.tol,
        max_iter=args.max_iter,
        n_init=args.n_init,
        random_state=args.seed,
    )
    classes = sorted({str(v) for v in y})
    described = "all" if covariance == ALL_MODELS else ",".join(covariance)
    what = (
        f"K {_describe_ks(ks)}, covariance {described}"
        if args.kind == "mclustda"
        else f"covariance {described}"
    )
    print(
        f"{args.data}: {len(X)} rows x {X.shape[1]} features ({', '.join(X.columns)}), "
        f"{len(classes)} class{'' if len(classes) == 1 else 'es'} in {args.label!r} ({', '.join(classes)}); fitting "
        f"{args.kind} ({what}; engine {','.join(args.engine)}; seed {args.seed})",
        flush=True,
    )
    classifier.fit(X, y)
    print(classifier.summary(), flush=True)
    if args.folds:
        if args.folds > len(X):
            raise UsageError(f"--folds {args.folds} is more than the {len(X)} rows")
        error, standard_error = cross_validated_error(
            classifier, X, y, n_folds=args.folds, random_state=args.seed
        )
        print(
            f"{args.folds}-fold cross-validated error = {error:.4f} (standard error {standard_error:.4f})"
        )
    if out is not None:
        _save(classifier, out, args.overwrite)
        print(f"\nwrote {out}")
    return EXIT_OK


def predict_classes(args: argparse.Namespace) -> int:
    """``predict`` with a saved classifier: each row's class, the class probabilities, the uncertainty."""
    import pandas as pd

    classifier = load_classifier(args.result)
    names = _model_columns(classifier)
    rows = read_data(args, args.columns or names)
    frame = rows.features
    if frame.shape[1] != classifier.n_features_in_:
        raise UsageError(
            f"{args.data}: {frame.shape[1]} numeric column(s) {list(frame.columns)}, but the "
            f"classifier has {classifier.n_features_in_} features; name them with --columns"
        )
    if args.columns and names is not None:
        frame = frame.set_axis(names, axis=1)
    proba = classifier.predict_proba(frame)
    table = pd.DataFrame({"class": classifier.classes_[proba.argmax(axis=1)]})
    for c, label in enumerate(classifier.classes_):
        table[f"p_{label}"] = proba[:, c]
    table["uncertainty"] = 1.0 - proba.max(axis=1)
    _write_csv(_keyed(table, rows), args.out)
    return EXIT_OK
