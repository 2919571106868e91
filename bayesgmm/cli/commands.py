"""The commands of ``bayesgmm``: ``demo``, ``fit``, ``predict``, ``score`` and ``show``.

Each takes the parsed arguments and returns an exit code; errors are raised
(:class:`UsageError`: exit code 2, :class:`WorkFailed`: 1) and turned into one
line on stderr by :func:`bayesgmm.cli.main.main`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from .reading import read_data

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad input from the command line: exit code 2."""


class WorkFailed(Exception):
    """The input was fine but the work could not be done: exit code 1."""


def _model_columns(model) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _load_model(path: str):
    """The fitted estimator in a result file; standardisation is the caller's to apply."""
    from ..estimator import GaussianMixture
    from ..io import load_result

    if not Path(path).exists():
        raise UsageError(f"{path}: no such file")
    return GaussianMixture.from_result(load_result(path))


def _model_rows(model, args: argparse.Namespace):
    """The rows read, the model's features in its units (standardised if the fit was), scaling."""
    names = _model_columns(model)
    if args.columns and len(args.columns) != model.n_features_in_:
        raise UsageError(
            f"--columns names {len(args.columns)} column(s), but the model has "
            f"{model.n_features_in_} features" + (f" ({', '.join(names)})" if names else "")
        )
    args.missing = model.result_.spec.missing  # a model that marginalises takes rows with NaN
    rows = read_data(args, args.columns or names)
    frame = rows.features
    if frame.shape[1] != model.n_features_in_:
        raise UsageError(
            f"{args.data}: {frame.shape[1]} numeric column(s) {list(frame.columns)}, but the model "
            f"has {model.n_features_in_} features; the model's file keeps no column names, so "
            "name its columns with --columns"
        )
    if args.columns and names is not None:
        frame = frame.set_axis(names, axis=1)  # the file's columns under the model's names
    scaling = model.result_.standardization
    return rows, (frame if scaling is None else scaling.transform(frame)), scaling


def _keyed(table, rows):
    """The results with each row's key first: its id, or its number in the file."""
    key = rows.key_column()
    table.insert(0, str(key.name), key.to_numpy())
    return table


def _write_csv(frame, out: str | None) -> None:
    if out is None:
        frame.to_csv(sys.stdout, index=False)
        return
    try:
        frame.to_csv(out, index=False)
    except OSError as exc:
        raise WorkFailed(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {out} ({len(frame)} rows)", file=sys.stderr)


# ------------------------------------------------------------------ commands
def _show(args: argparse.Namespace) -> int:
    model = _load_model(args.result)
    print(model.result_.summary())
    if args.data:
        from ..io import read_rows
        from ..report import quality_text

        rows = read_rows(args.data, _model_columns(model))
        for note in rows.notes:
            print(f"{args.data}: {note}", file=sys.stderr)
        scaling = model.result_.standardization
        X = rows.features if scaling is None else scaling.transform(rows.features)
        print(f"\non {args.data} ({len(X)} rows):\n{quality_text({'fit': model}, X)}")
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    import pandas as pd

    model = _load_model(args.result)
    rows, X, _ = _model_rows(model, args)
    table = pd.DataFrame({"component": model.predict(X)})
    if args.proba:
        proba = model.predict_proba(X)
        for k in range(model.n_components_fitted):
            table[f"p{k}"] = proba[:, k]
        if proba.shape[1] > model.n_components_fitted:  # the noise component's, last
            table["p_noise"] = proba[:, -1]
    _write_csv(_keyed(table, rows), args.out)
    return EXIT_OK


def _score(args: argparse.Namespace) -> int:
    import pandas as pd

    from .anomaly import anomaly_threshold, noise_anomalies

    model = _load_model(args.result)
    rows, X, scaling = _model_rows(model, args)
    # the density of the rows in their own units: the standardisation's Jacobian is a constant
    log_jacobian = 0.0 if scaling is None else scaling.log_jacobian
    log_density = model.score_samples(X) + log_jacobian
    table = pd.DataFrame({"log_density": log_density})
    chosen = anomaly_threshold(args, model, log_density, log_jacobian)
    noise = noise_anomalies(model, X)
    if noise is not None:
        table["noise_probability"] = noise
    if chosen is None and noise is not None:
        table["anomaly"] = model.is_anomaly(X)
        print(
            f"{int(table['anomaly'].sum())} of {len(table)} rows more probably noise than "
            "any cluster: the noise component's probability is above 1/2",
            file=sys.stderr,
        )
    if chosen is not None:
        threshold, source = chosen
        table["anomaly"] = log_density <= threshold
        print(
            f"{int(table['anomaly'].sum())} of {len(table)} rows at or below the anomaly "
            f"threshold, log-density {threshold:.4f}: {source}",
            file=sys.stderr,
        )
    _write_csv(_keyed(table, rows), args.out)
    return EXIT_OK


def _ranked(sweep, criterion: str):
    """The sweep's successful fits as a DataFrame, best first by ``criterion``."""
    frame = (
        sweep[
            [
                "bic",
                "aic",
                "icl",
                "log_likelihood",
                "n_parameters",
                "n_iter",
                "converged",
                "n_components_fitted",
                "n_components_used",
                "rows_per_parameter",
            ]
        ]
        .to_dataframe()
        .reset_index()
    )
    frame = frame[np.isfinite(frame["bic"])].sort_values(criterion, kind="stable")
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame.rename(
        columns={
            "covariance_type": "covariance",
            "n_components": "K",
            "log_likelihood": "log-lik",
            "n_parameters": "params",
            "n_iter": "iters",
            "n_components_fitted": "K fitted",
            "n_components_used": "K used",
        }
    )


def _format_ranked(frame, top: int, pruned: bool, n_rows: int) -> str:
    from .output import size_legend, size_marks

    if not len(frame):
        return "(no model could be fitted)"
    shown = frame if top <= 0 else frame.head(top)
    if not pruned:
        shown = shown.drop(columns="K fitted")
    shown = shown.astype(
        {"params": int, "iters": int, "K used": int} | ({"K fitted": int} if pruned else {})
    )
    # a model with too few rows per parameter: "!" or "!!" beside its count, explained below
    marks = size_marks(shown.pop("rows_per_parameter"))
    shown["params"] = [f"{p} {m:<2}" for p, m in zip(shown["params"], marks)]
    table = shown.to_string(index=False, float_format=lambda v: f"{v:.3f}", line_width=100)
    return "\n".join([table, *size_legend(marks, n_rows)])


def _checked_out(args: argparse.Namespace) -> Path | None:
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not args.overwrite:
        raise UsageError(f"{out} exists; pass --overwrite to replace it")
    if out is not None and out.suffix != ".nc":
        raise UsageError(f"--out {out}: a fit is saved as netCDF; give a name ending in .nc")
    return out


def _fit(args: argparse.Namespace) -> int:
    from ..data.standardize import Standardization
    from ..families import ALL_MODELS, all_models
    from ..model_selection.mclust_summary import format_mclust_bic
    from ..model_selection.select import best, best_model, select, sweep_model

    if args.components is None:
        args.components = list(range(1, 9))
    out = _checked_out(args)
    frame = read_data(args, args.columns).features
    scaling = Standardization.of(frame) if args.standardize else None
    X = frame if scaling is None else scaling.transform(frame)
    estimator_params = {
        "tol": args.tol,
        "max_iter": args.max_iter,
        "accelerate": args.accelerate,
        "stopping": args.stopping,
        "missing": args.missing,
    }
    if args.prune is not None:
        estimator_params["prune"] = args.prune
    if args.noise:
        estimator_params["noise"] = True
    # "all" is mclust's 14 models (E and V for one column): count what will be fitted
    covariances = all_models(frame.shape[1]) if args.covariance == [ALL_MODELS] else args.covariance
    described = (
        f"all ({len(covariances)})" if args.covariance == [ALL_MODELS] else ",".join(covariances)
    )
    print(
        f"{args.data}: {len(frame)} rows x {frame.shape[1]} features ({', '.join(frame.columns)})"
        f"{', standardised' if scaling is not None else ''}; fitting "
        f"{_count(len(args.engine) * len(covariances) * len(args.components), 'model')} "
        f"(engine {','.join(args.engine)}; covariance {described}; "
        f"K {_describe_ks(args.components)}; n_init {args.n_init}, seed {args.seed})",
        flush=True,
    )
    started = time.perf_counter()
    sweep = select(
        X,
        args.components,
        covariances,
        args.engine,
        n_init=args.n_init,
        random_state=args.seed,
        progress=not args.no_progress,
        **estimator_params,
    )
    elapsed = time.perf_counter() - started
    ranked = _ranked(sweep, args.criterion)
    failed = [
        (e, c, int(k), str(sweep.fit_error.sel(engine=e, covariance_type=c, n_components=k).item()))
        for e in sweep.engine.values
        for c in sweep.covariance_type.values
        for k in sweep.n_components.values
        if sweep.fit_error.sel(engine=e, covariance_type=c, n_components=k).item()
    ]
    lines = [
        (
            f"{_count(len(ranked), 'model')} fitted in {elapsed:.1f} s, ranked by {args.criterion.upper()} "
            "(lower is better; mclust's BIC is the negative):"
        ),
        "",
        _format_ranked(ranked, args.top, args.prune is not None, int(sweep.attrs["n_samples"])),
    ]
    if args.top > 0 and len(ranked) > args.top:
        lines.append(f"... {len(ranked) - args.top} more (--top 0 shows all)")
    if args.mclust:
        for engine in sweep.engine.values:
            lines += ["", f"engine {engine}:", format_mclust_bic(sweep, str(engine))]
    if failed:
        lines.append(f"{len(failed)} fit(s) failed:")
        lines.extend(f"  {e} {c} K={k}: {reason}" for e, c, k, reason in failed[:10])
    not_converged = int((~ranked["converged"]).sum())
    if not_converged:
        lines.append(f"{not_converged} fit(s) did not converge within --max-iter {args.max_iter}")
    print("\n".join(lines), flush=True)
    if not len(ranked):
        raise WorkFailed(
            "every fit failed (see above); try fewer components or another covariance type"
        )

    chosen = _with_standardization(best_model(sweep, X, args.criterion), scaling)
    winner = best(sweep, args.criterion)
    label = f"{winner['engine']} {winner['covariance_type']} K={winner['n_components']}"
    from ..report import quality_text

    summary = chosen.result_.summary() + "\n\n" + quality_text({label: chosen}, X)
    print(f"\nbest by {args.criterion.upper()}: {label}\n{summary}")
    if out is not None:
        _save(chosen, out, args.overwrite)
        print(f"\nwrote {out}")
    if args.save_all:
        folder = Path(args.save_all)
        folder.mkdir(parents=True, exist_ok=True)
        for _, row in ranked.iterrows():
            model = sweep_model(sweep, row["engine"], row["covariance"], row["K"])
            model.fit(X)
            path = folder / f"{row['engine']}-{row['covariance']}-K{row['K']}.nc"
            _save(_with_standardization(model, scaling), path, overwrite=True)
        _save(sweep, folder / "sweep.nc", overwrite=True)
        print(f"wrote {len(ranked)} fits and sweep.nc to {folder}/")
    if args.report:
        from ..report import describe_files, write_report

        folder = Path(args.report)
        written = write_report(
            folder,
            {f"{winner['engine']}-{winner['covariance_type']}-K{winner['n_components']}": chosen},
            X,
            sweep=sweep,
            criterion=args.criterion,
            summary="\n".join(lines) + f"\n\nbest by {args.criterion.upper()}: {label}\n{summary}",
            standardised=scaling is not None,
            file_stem="best",
        )
        print(f"wrote report {describe_files(folder, written)}")
    if out is None and not args.save_all:
        print("\n(nothing saved: pass --out result.nc to save the best fit)")
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _describe_ks(ks: list[int]) -> str:
    contiguous = ks == list(range(ks[0], ks[-1] + 1))
    return f"{ks[0]}-{ks[-1]}" if contiguous and len(ks) > 2 else ",".join(map(str, ks))


def _with_standardization(model, scaling):
    if scaling is None:
        return model
    from ..estimator import GaussianMixture

    return GaussianMixture.from_result(dataclasses.replace(model.result_, standardization=scaling))


def _save(model, path: Path, overwrite: bool) -> None:
    from ..io import save

    try:
        save(model, path, overwrite=overwrite)
    except FileExistsError:
        raise UsageError(f"{path} exists; pass --overwrite to replace it") from None
    except OSError as exc:
        raise WorkFailed(f"cannot write {path}: {exc.strerror or exc}") from None


def _demo(args: argparse.Namespace) -> int:
    from ..datasets import load_faithful
    from ..diagnostics import compare
    from ..estimator import GaussianMixture
    from ..report import components_table, quality_text

    X = load_faithful()
    models = {
        engine: GaussianMixture(
            n_components=args.components,
            covariance_type=args.covariance,
            engine=engine,
            n_init=args.n_init,
            tol=1e-6,
            max_iter=1000,
            random_state=args.seed,
        ).fit(X)
        for engine in args.engines  # the parser's DEMO_ENGINES
    }
    # ranked by BIC, which every engine has; PSIS-LOO only where a posterior exists (MAP, VB)
    table = compare(models, X, random_state=args.seed, criterion="bic")
    frame = table[
        [
            "bic",
            "aic",
            "icl",
            "elpd_loo",
            "se",
            "p_loo",
            "log_likelihood",
            "objective",
            "n_parameters",
            "converged",
        ]
    ].to_dataframe()
    frame["iters"] = [models[label].n_iter_ for label in frame.index]
    frame = frame.rename(
        columns={"log_likelihood": "log-lik", "n_parameters": "params", "se": "loo se"}
    )
    frame.index.name = "engine"

    parts = [
        (
            f"Old Faithful geyser data ({X.shape[0]} eruptions; eruption time and waiting time to the "
            f"next, in minutes): K={args.components}, covariance {args.covariance!r}, fitted by EM, "
            "MAP-EM and variational Bayes"
        ),
        "",
        (
            "criteria, ranked by BIC (bic, aic, icl: lower is better; elpd_loo: PSIS-LOO expected "
            "log predictive density, higher is better, none for EM's point estimate; objective: "
            "log-likelihood, log-posterior, ELBO):"
        ),
        frame.to_string(float_format=lambda v: f"{v:.3f}"),
        "",
        (
            f"weights and means; cluster i is {next(iter(models))}'s component i and each fit's "
            "component matched to it (component: the fit's own label; distance: Bhattacharyya, "
            "0 for the same Gaussian):"
        ),
        components_table(models).to_string(float_format=lambda v: f"{v:.4f}"),
        "",
        "the EM fit:",
        models["em"].result_.summary(),
        "",
        quality_text(models, X),
    ]
    text = "\n".join(parts)
    print(text, flush=True)
    if args.no_report:
        return EXIT_OK
    from ..report import describe_files, write_report

    folder = Path(args.out_dir)
    try:
        written = write_report(folder, models, X, table=table, summary=text, file_stem="faithful")
    except OSError as exc:
        raise WorkFailed(f"cannot write the report to {folder}: {exc.strerror or exc}") from None
    print(f"\nwrote {describe_files(folder, written)}")
    print(
        f"next: bayesgmm show {folder / 'faithful-em.nc'}\n"
        "      bayesgmm fit YOUR.csv --components 1-8 --out result.nc --report report"
    )
    return EXIT_OK
