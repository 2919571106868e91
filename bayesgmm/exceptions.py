"""Warnings and errors that bayesgmm raises on purpose."""


class ConvergenceWarning(UserWarning):
    """The best of the ``n_init`` runs stopped at ``max_iter`` before reaching ``tol``."""


class NotFittedError(ValueError, AttributeError):
    """A method that needs fitted parameters was called before ``fit``."""


class SingularCovarianceError(ValueError):
    """A component's covariance lost positive definiteness during the fit."""

    def __init__(self, component: str):
        self.component = component
        super().__init__(
            f"The covariance of {component} is singular (not positive definite): the component "
            "collapsed onto too few or identical points. Increase reg_covar (e.g. 1e-6 times the "
            "data's variance), use a MAP prior (engine='map'), or use fewer components."
        )
