"""Tools to test gradients: finite-difference checks and hypothesis property tests.

``gradcheck`` and ``gradgradcheck`` need only NumPy. ``opinfo`` is the op database that the generic op
tests are derived from (``from tinygrad_np.testing import opinfo``). The strategies and ``op_property_test``
need `hypothesis <https://hypothesis.readthedocs.io>`_ (``pip install hypothesis``) and are
imported on first use, so ``from tinygrad_np.testing import gradcheck`` works without it.
See docs/testing.md.
"""

from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .reference import reference_grad

__all__ = [
    "GradcheckError", "gradcheck", "gradgradcheck", "reference_grad",
    "ndarrays", "tensors", "broadcastable_shapes", "valid_axes", "op_property_test",
]

_LAZY = {
    "ndarrays": "strategies", "tensors": "strategies", "broadcastable_shapes": "strategies",
    "valid_axes": "strategies", "op_property_test": "property",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
