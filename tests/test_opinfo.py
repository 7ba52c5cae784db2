"""Generic tests derived from the op database (``tinygrad_np.testing.opinfo``): every public op is
checked for forward values against its NumPy/SciPy reference on every sample and dtype, the result
dtype (PyTorch's promotion), NaN/inf and other special values, empty and 0-d shapes, gradcheck and
gradgradcheck in float64 away from kinks, the first-order gradient under ``create_graph`` against the
plain one, gradient aliasing, input mutation, the gradient at kinks and the error class of invalid
input. A coverage test fails when a public op has no entry.

Tolerances. Forward: the reference runs in float64 and is rounded to the result dtype, then compared
with ``opinfo.TOLERANCES`` (a few ulps of the result dtype: float16 4e-3/2e-3, float32 2e-5/2e-6,
float64 1e-9/1e-12, rtol/atol). Gradients: PyTorch's gradcheck values (eps=1e-6, atol=1e-5,
rtol=1e-3): a float64 central difference errs by about eps**2/6 * |f'''| + 1e-16 * |f| / eps, far
below atol for the samples' small values (|x| <= 3, domains kept 0.1 away from poles), while a
wrong rule is off by O(1). Samples stay at least 0.1 away from kinks (``make_array(away=...)``), i.e.
1e5 steps of eps. The create_graph gradient must equal the plain one to 1e-9 relative (the two
paths may round differently, e.g. prod's leave-one-out products).

Known differences from PyTorch are listed in the table (``KnownFailure``) and run as strict expected
failures: once fixed, the test fails until the note is removed.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_np.testing import opinfo
from tinygrad_np.testing.opinfo import op_db

OPS = op_db()


def cases(check, *, dtypes="all", where=lambda op: True):
    """pytest params (op[, dtype]) for a check, each a strict xfail where the table says it is known to fail."""
    out = []
    for op in OPS:
        if not where(op):
            continue
        for dtype in (op.dtypes if dtypes == "all" else op.float_dtypes if dtypes == "float" else (None,)):
            reason = op.known_failure(check, dtype)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            values = (op,) if dtype is None else (op, dtype)
            name = op.name if dtype is None else f"{op.name}-{dtype}"
            out.append(pytest.param(*values, id=name, marks=marks))
    return out


def differentiable(op):
    return op.grad_order > 0 and FLOAT64 in op.dtypes


FLOAT64 = np.dtype(np.float64)


# ============================================================================ forward
@pytest.mark.parametrize("op, dtype", cases("forward"))
def test_forward(op, dtype):
    opinfo.check_forward(op, dtype, opinfo.regular_samples(op, dtype))


@pytest.mark.parametrize("op, dtype", cases("dtype"))
def test_result_dtype(op, dtype):
    opinfo.check_dtype(op, dtype)


@pytest.mark.parametrize("op, dtype", cases("special"))
def test_special_values(op, dtype):
    opinfo.check_forward(op, dtype, opinfo.special_samples(op, dtype), "special")


@pytest.mark.parametrize("op, dtype", cases("empty_and_0d"))
def test_empty_and_0d(op, dtype):
    opinfo.check_empty_and_0d(op, dtype)


# ============================================================================ gradients
@pytest.mark.parametrize("op", cases("gradcheck", dtypes=None, where=differentiable))
def test_gradcheck(op):
    opinfo.check_gradients(op)


@pytest.mark.parametrize("op", cases("gradgradcheck", dtypes=None, where=lambda op: differentiable(op) and
                                     op.grad_order > 1))
def test_gradgradcheck(op):
    opinfo.check_gradients(op, second_order=True)


@pytest.mark.parametrize("op", cases("create_graph", dtypes=None, where=lambda op: differentiable(op) and
                                     op.grad_order > 1))
def test_create_graph_gradient_equals_plain_and_aliases_nothing(op):
    opinfo.check_create_graph(op)


@pytest.mark.parametrize("op", cases("no_grad", dtypes=None, where=lambda op: op.grad_order == 0))
def test_ops_without_gradient_return_tensors_without_grad(op):
    opinfo.check_no_grad(op)


@pytest.mark.parametrize("op", cases("kinks", dtypes=None, where=lambda op: op.kink_grads))
def test_gradient_at_kinks_follows_the_convention(op):
    opinfo.check_kinks(op)


# ============================================================================ errors
@pytest.mark.parametrize("op", cases("errors", dtypes=None, where=lambda op: op.errors))
def test_invalid_input_raises_pytorchs_error_class(op):
    opinfo.check_errors(op)
