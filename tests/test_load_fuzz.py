"""Saved files are checked whole: random damage to a saved fit never loads as another model.

Fits by every engine (EM, MAP, VB) and of several covariance families are saved, then
mutated hundreds of times, seeded: random bytes of the file flipped, and values of its
variables and attributes replaced (NaN, inf, 0, negative, x1e200, x1e-200, transposed,
two components swapped in one variable, all components relabelled). Every load must
either give exactly the original's predictions (the damage touched nothing a prediction
uses, or a byte no reader looks at) or raise :class:`bayesgmm.SavedFitError`: never
another exception (a traceback from h5py, numpy or xarray), never a model that predicts
something else, never a RuntimeWarning.

Value mutations are applied to the Dataset and read back by ``FitResult.from_dataset``
(what ``load`` does after reading the file), every thirtieth through a written file and
``bayesgmm.load``; byte flips always go through the file.

Most of these changes are caught by the checksums the file was saved with; the domain
checks alone must keep every model that loads a valid one, so the value mutations run
once more with the checksums removed (as in a file written before them): every load is
then refused or gives finite log-densities and probabilities that sum to 1.
"""

from __future__ import annotations

import dataclasses
import traceback
import warnings
from collections import Counter

import numpy as np
import pytest
import xarray as xr
from conftest import make_mixture

import bayesgmm
from bayesgmm import FitResult, GaussianMixture, SavedFitError, VBPrior
from bayesgmm.data.standardize import Standardization
from bayesgmm.fitting.checksum import CHECKSUMS

CASES = {
    "em-full": dict(engine="em", covariance_type="full"),
    "em-VEV": dict(engine="em", covariance_type="VEV"),
    "map-diag": dict(engine="map", covariance_type="diag"),
    "map-EII": dict(engine="map", covariance_type="EII"),
    "vb-spherical": dict(engine="vb", covariance_type="spherical"),
    "vb-tied": dict(engine="vb", covariance_type="tied", prior=VBPrior("dirichlet_distribution")),
    "vb-EEI": dict(engine="vb", covariance_type="EEI"),
}
N_BYTE_FLIPS = 140
N_VALUE_MUTATIONS = 420
VALUE_KINDS = ("nan", "inf", "zero", "negative", "huge", "tiny", "transpose", "swap", "relabel")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    X = make_mixture(300, 3, 3, seed=1)  # K = D = 3: a (K, D) array can be transposed in place
    saved = {}
    for name, settings in CASES.items():
        model = GaussianMixture(3, random_state=0, **settings).fit(X)
        if name == "em-full":  # one fit on standardised features: their variables are read too
            result = dataclasses.replace(model.result_, standardization=Standardization.of(X))
            model = GaussianMixture.from_result(result)
        path = bayesgmm.save(model, folder / f"{name}.nc")
        reference = (model.predict_proba(X), model.score_samples(X))
        saved[name] = (path, path.read_bytes(), model.to_dataset(), reference)
    return folder, X, saved


def outcome(load, X, reference=None) -> str:
    """'equal', 'refused' (our error), or what went wrong.

    Without a ``reference``, predictions that are valid (finite log-densities, probabilities
    summing to 1) are 'valid'.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.filterwarnings("ignore", "the model expects z", UserWarning)
            warnings.filterwarnings("ignore", ".*fitted on standardised features", UserWarning)
            model = load()
            predictions = (model.predict_proba(X), model.score_samples(X))
    except SavedFitError as error:
        assert str(error), "an empty message"
        return "refused"
    except Exception as error:
        where = traceback.extract_tb(error.__traceback__)[-1]
        return (
            f"{type(error).__name__} at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}: {error}"
        )
    if reference is None:
        proba, log_density = predictions
        if np.all(np.isfinite(log_density)) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-12):
            return "valid"
        return "loaded, but its predictions are not finite probabilities and densities"
    if all(np.array_equal(a, b) for a, b in zip(predictions, reference)):
        return "equal"
    return "loaded, but predicts something else"


def mutate_values(dataset: xr.Dataset, rng: np.random.Generator) -> tuple[xr.Dataset, str]:
    """One random value mutation of one variable (or, now and then, an attribute)."""
    ds = dataset.copy(deep=True)
    if rng.random() < 0.1:
        name = str(rng.choice(sorted(ds.attrs)))
        value = ds.attrs[name]
        if isinstance(value, str):
            ds.attrs[name] = value[::-1]
        else:
            ds.attrs[name] = rng.choice([np.nan, np.inf, 0, -1, 2, 7, 1e200, -0.5]).item()
        return ds, f"attribute {name}={ds.attrs[name]!r}"
    floats = [n for n in ds.variables if ds[n].dtype.kind == "f" and ds[n].size]
    name = str(rng.choice(floats))
    values = ds[name].values.copy()
    dims = ds[name].dims
    kind = str(rng.choice(VALUE_KINDS))
    flat = values.reshape(-1)
    at = int(rng.integers(flat.size))
    if kind == "nan":
        flat[at] = np.nan
    elif kind == "inf":
        flat[at] = rng.choice([np.inf, -np.inf])
    elif kind == "zero":
        flat[at] = 0.0
    elif kind == "negative":
        flat[at] = -abs(flat[at]) if flat[at] else -1.0
    elif kind == "huge":
        flat[at] *= 1e200
    elif kind == "tiny":
        flat[at] *= 1e-200
    elif kind == "transpose" and values.ndim >= 2 and values.shape[-1] == values.shape[-2]:
        values = np.swapaxes(values, -1, -2).copy()
    elif kind == "swap" and "component" in dims:
        values = np.take(values, [1, 0, 2], axis=dims.index("component"))
    elif kind == "relabel":  # every component variable permuted alike: a relabelled model
        for other in ds.variables:
            if "component" in ds[other].dims and other != "component":
                axis = ds[other].dims.index("component")
                ds[other] = (ds[other].dims, np.take(ds[other].values, [2, 0, 1], axis=axis))
        return ds, "relabelled components"
    else:
        flat[at] = -flat[at]
        kind = "sign flip"
    ds[name] = (dims, values)
    return ds, f"{kind} in {name}[{at}]"


def report(results: Counter, failures: list[str]) -> str:
    return (
        f"{dict(results)}; first failures:\n" + "\n".join(failures[:15])
        if failures
        else str(dict(results))
    )


def test_byte_flips_in_saved_files(saved):
    folder, X, fits = saved
    rng = np.random.default_rng(16)
    results: Counter = Counter()
    failures = []
    names = sorted(fits)
    for index in range(N_BYTE_FLIPS):
        name = names[index % len(names)]
        _, data, _, reference = fits[name]
        damaged = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):  # one to three bytes, anywhere in the file
            at = int(rng.integers(len(damaged)))
            damaged[at] ^= int(rng.integers(1, 256))
        path = folder / f"damaged-{index}.nc"  # a new name: HDF5 keeps failed opens
        path.write_bytes(bytes(damaged))
        result = outcome(lambda: bayesgmm.load(path), X, reference)
        results[result if result in ("equal", "refused") else "failed"] += 1
        if result not in ("equal", "refused"):
            failures.append(f"{name} flip #{index}: {result}")
    assert not failures, report(results, failures)
    assert results["refused"] > N_BYTE_FLIPS // 4  # the damage was mostly noticed


def test_value_mutations_of_saved_variables(saved):
    folder, X, fits = saved
    rng = np.random.default_rng(1616)
    results: Counter = Counter()
    failures = []
    names = sorted(fits)
    for index in range(N_VALUE_MUTATIONS):
        name = names[index % len(names)]
        _, _, dataset, reference = fits[name]
        mutated, what = mutate_values(dataset, rng)
        if index % 30 == 0:
            path = folder / f"mutated-{index}.nc"
            mutated.to_netcdf(path, engine="h5netcdf")
            result = outcome(lambda: bayesgmm.load(path), X, reference)
        else:
            result = outcome(
                lambda: GaussianMixture.from_result(FitResult.from_dataset(mutated)), X, reference
            )
        results[result if result in ("equal", "refused") else "failed"] += 1
        if result not in ("equal", "refused"):
            failures.append(f"{name} mutation #{index} ({what}): {result}")
    assert not failures, report(results, failures)
    assert results["refused"] > N_VALUE_MUTATIONS // 2


def test_domain_checks_alone_keep_every_loaded_model_valid(saved):
    _, X, fits = saved
    rng = np.random.default_rng(161616)
    results: Counter = Counter()
    failures = []
    names = sorted(fits)
    for index in range(N_VALUE_MUTATIONS):
        name = names[index % len(names)]
        dataset = fits[name][2].copy()
        del dataset.attrs[CHECKSUMS]
        mutated, what = mutate_values(dataset, rng)
        result = outcome(lambda: GaussianMixture.from_result(FitResult.from_dataset(mutated)), X)
        results[result if result in ("valid", "refused") else "failed"] += 1
        if result not in ("valid", "refused"):
            failures.append(f"{name} mutation #{index} ({what}): {result}")
    assert not failures, report(results, failures)
