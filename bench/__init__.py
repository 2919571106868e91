"""bayesgmm's benchmark suite against scikit-learn: ``python -m bench`` (see bench/README.md)."""
