"""A classifier as an :class:`xarray.DataTree`: its classes and priors at the root, each class
model's :meth:`~bayesgmm.FitResult.to_dataset` in a child (EDDA: one child, the mixture), the
BIC table in ``selection``.  ``tree.to_netcdf(path)`` saves it; nothing is pickled.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lazy import xr
from ..estimator import GaussianMixture
from ..exceptions import SavedFitError
from ..fitting.result import FitResult

FORMAT = "bayesgmm.GaussianMixtureClassifier"


def _storable_labels(classes: np.ndarray) -> np.ndarray:
    # netCDF stores numbers and strings; other label objects are kept by their text
    return classes if classes.dtype.kind in "biufU" else classes.astype(str)


def to_datatree(classifier: Any) -> xr.DataTree:
    """The fitted ``classifier`` as a DataTree (see the module's docstring)."""
    edda = hasattr(classifier, "mixture_")
    classes = _storable_labels(classifier.classes_)
    root = xr.Dataset(
        {
            "class_prior": ("class", classifier.class_prior_),
            "covariance_type": (
                "class",
                np.broadcast_to(np.asarray(classifier.covariance_type_), len(classes)).astype(str),
            ),
            "n_components": ("class", classifier.n_components_),
        },
        coords={"class": classes},
        attrs={
            "format": FORMAT,
            "kind": "edda" if edda else "mclustda",
            "training_error": float(classifier.training_error_),
            "parameters": repr(classifier),
        },
    )
    if classifier.confusion_matrix_ is not None:
        root["confusion_matrix"] = (("class", "predicted"), classifier.confusion_matrix_.values)
    if hasattr(classifier, "feature_names_in_"):
        root.attrs["feature_names"] = [str(n) for n in classifier.feature_names_in_]
    children = {"selection": classifier.selection_.drop_vars("class", errors="ignore")}
    if edda:
        children["mixture"] = classifier.mixture_.result_.to_dataset()
    else:
        for c, model in enumerate(classifier.mixtures_):
            children[f"class_{c}"] = model.result_.to_dataset()
    return xr.DataTree.from_dict({"/": root, **{f"/{k}": v for k, v in children.items()}})


def from_datatree(cls: type, tree: xr.DataTree) -> Any:
    """A fitted ``cls`` (GaussianMixtureClassifier) from :func:`to_datatree`'s tree."""
    root = tree.to_dataset()
    if root.attrs.get("format") != FORMAT:
        raise SavedFitError(
            f"not a saved GaussianMixtureClassifier: its root lacks the attribute format={FORMAT!r}"
        )
    kind = root.attrs["kind"]
    classes = root["class"].values
    C = classes.shape[0]
    classifier = cls(kind=kind)
    try:
        if kind == "edda":
            mixture = GaussianMixture.from_result(
                FitResult.from_dataset(tree["mixture"].to_dataset())
            )
            classifier.mixture_ = mixture
            classifier.covariance_type_ = mixture.covariance_type
            n_features = mixture.n_features_in_
        else:
            mixtures = [
                GaussianMixture.from_result(FitResult.from_dataset(tree[f"class_{c}"].to_dataset()))
                for c in range(C)
            ]
            classifier.mixtures_ = mixtures
            classifier.covariance_type_ = root["covariance_type"].values.astype(str)
            n_features = mixtures[0].n_features_in_
    except KeyError as exc:
        raise SavedFitError(f"the saved classifier lacks its class model {exc}") from None
    selection = tree["selection"].to_dataset()
    if "class" in selection.dims:
        selection = selection.assign_coords({"class": classes})
    classifier.classes_ = classes
    classifier.class_prior_ = root["class_prior"].values.astype(np.float64)
    classifier.n_components_ = root["n_components"].values.astype(np.int64)
    classifier.selection_ = selection
    classifier.n_features_in_ = n_features
    classifier.training_error_ = float(root.attrs["training_error"])
    classifier.confusion_matrix_ = (
        xr.DataArray(
            root["confusion_matrix"].values,
            dims=("class", "predicted"),
            coords={"class": classes, "predicted": classes},
        )
        if "confusion_matrix" in root
        else None
    )
    if "feature_names" in root.attrs:
        classifier.feature_names_in_ = np.asarray(
            list(np.atleast_1d(root.attrs["feature_names"])), dtype=object
        )
    return classifier
