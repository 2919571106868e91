"""Checksums of a saved fit: a file changed after it was saved never loads as another model.

The domain checks (:mod:`bayesgmm.fitting.saved_values`) refuse what no fit produces. A
change that leaves a possible model (a mean moved, two components' weights swapped, the
components relabelled in some variables but not others, a flipped byte inside a number)
would still load, and predict something else.  So :meth:`FitResult.to_dataset` records a
64-bit BLAKE2b digest of every variable (its dims, kind of values, shape and values) and
of every attribute, as one JSON object in the attribute :data:`CHECKSUMS`, and
:meth:`FitResult.from_dataset` recomputes them after every other check: a variable or
attribute that differs is named in a :class:`~bayesgmm.exceptions.SavedFitError`.

The digests find damage and unintended edits; they are no signature (anyone can recompute
them).  Variables and attributes added to a file later (a user's notes) are neither
covered nor read.  A Dataset without the attribute (written by bayesgmm 0.1.0, or built by
hand) gets the domain checks only.  Values are digested in a canonical form (floats as
little-endian float64, integers as int64, text as UTF-8), so a file reads back to the same
digests on any machine, whatever byte order or string type the reader hands back.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from .._lazy import xr
from ..exceptions import SavedFitError

CHECKSUMS = "checksums"
"""The attribute that holds the digests: ``{"variables": {name: hex}, "attributes": {...}}``."""


def add_checksums(dataset: xr.Dataset) -> xr.Dataset:
    """``dataset`` with the digests of its variables and attributes in ``attrs[CHECKSUMS]``."""
    digests = {
        "variables": {str(name): _variable_digest(dataset[name]) for name in dataset.variables},
        "attributes": {
            str(name): _digest(value) for name, value in dataset.attrs.items() if name != CHECKSUMS
        },
    }
    dataset.attrs[CHECKSUMS] = json.dumps(digests, sort_keys=True, separators=(",", ":"))
    return dataset


def verify_checksums(dataset: xr.Dataset) -> None:
    """Raise a :class:`SavedFitError` naming the first variable or attribute that changed."""
    if CHECKSUMS not in dataset.attrs:
        return
    try:
        digests = json.loads(str(dataset.attrs[CHECKSUMS]))
        variables, attributes = digests["variables"], digests["attributes"]
        expected = {**variables, **{f"@{name}": value for name, value in attributes.items()}}
        if not all(isinstance(v, str) for v in expected.values()):
            raise TypeError("a digest is not text")
    except (TypeError, ValueError, KeyError, AttributeError):
        raise SavedFitError(
            f"attribute {CHECKSUMS!r} is damaged: it is not the digests bayesgmm writes"
        ) from None
    for name, digest in sorted(variables.items()):
        if name not in dataset.variables:
            raise SavedFitError(
                f"the file lacks the variable {name!r} it was saved with; it was altered"
            )
        if _variable_digest(dataset[name]) != digest:
            raise _changed(f"variable {name!r}")
    for name, digest in sorted(attributes.items()):
        if name not in dataset.attrs:
            raise SavedFitError(
                f"the file lacks the attribute {name!r} it was saved with; it was altered"
            )
        if _digest(dataset.attrs[name]) != digest:
            raise _changed(f"attribute {name!r}")


def _changed(what: str) -> SavedFitError:
    return SavedFitError(
        f"{what} is not what the fit was saved with (its checksum differs): the file was "
        "damaged or edited after saving. Refit, or load the original file; a model changed "
        "on purpose is saved with bayesgmm.save from its FitResult"
    )


def _variable_digest(variable: Any) -> str:
    header = json.dumps([list(map(str, variable.dims))]).encode()
    return _digest(np.asarray(variable.values), header)


def _digest(value: Any, header: bytes = b"") -> str:
    hasher = hashlib.blake2b(header, digest_size=8)
    if isinstance(value, (str, bytes)):
        value = [value]
    array = np.asarray(value)
    hasher.update(json.dumps([array.shape]).encode())
    if array.dtype.kind == "f":
        hasher.update(b"f" + np.ascontiguousarray(array, dtype="<f8").tobytes())
    elif array.dtype.kind == "c":
        hasher.update(b"c" + np.ascontiguousarray(array, dtype="<c16").tobytes())
    elif array.dtype.kind in "iub":
        hasher.update(b"i" + np.ascontiguousarray(array, dtype="<i8").tobytes())
    else:  # text: str, bytes or objects holding them
        for item in array.reshape(-1):
            text = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
            encoded = text.encode("utf-8", "surrogatepass")
            hasher.update(b"s%d:" % len(encoded) + encoded)
    return hasher.hexdigest()
