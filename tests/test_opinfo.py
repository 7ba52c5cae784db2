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

import inspect
import os

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import opinfo
from tinygrad_np.testing.opinfo import OpInfo, Sample, op_db

OPS = op_db()
# OPINFO_DTYPES=float64,int64 limits the per-dtype checks to these dtypes (tools/mutate.py uses it: a quick
# sweep per mutant); unset, every dtype an op supports is checked
ONLY_DTYPES = {np.dtype(d) for d in os.environ.get("OPINFO_DTYPES", "").split(",") if d}


def cases(check, *, dtypes="all", where=lambda op: True):
    """pytest params (op[, dtype]) for a check, each a strict xfail where the table says it is known to fail."""
    out = []
    for op in OPS:
        if not where(op):
            continue
        chosen = op.dtypes if dtypes == "all" else op.float_dtypes if dtypes == "float" else (None,)
        for dtype in (d for d in chosen if d is None or not ONLY_DTYPES or d in ONLY_DTYPES):
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
@pytest.mark.parametrize("op, dtype", cases("grad_dtypes", dtypes="float", where=lambda op: op.grad_order > 0))
def test_gradient_has_the_inputs_dtype_and_shape(op, dtype):
    opinfo.check_grad_dtypes(op, dtype)


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


# ============================================================================ coverage
# Public names that are not ops, so need no entry. Keep it explicit: a new op lands in the table, a new
# non-op is added here with the reason, and a name that disappears must be removed from here.
NOT_OPS = {
    # Python and NumPy protocols and object machinery (the table's "np.*" variants go through the protocols)
    **dict.fromkeys(["Tensor.__array__", "Tensor.__array_function__", "Tensor.__array_priority__",
                     "Tensor.__array_ufunc__", "Tensor.__bool__", "Tensor.__float__", "Tensor.__int__",
                     "Tensor.__index__", "Tensor.__len__", "Tensor.__iter__", "Tensor.__hash__", "Tensor.__init__",
                     "Tensor.__repr__", "Tensor.__doc__", "Tensor.__module__", "Tensor.__slots__",
                     "Tensor.__weakref__"], "protocol"),
    # autograd state and control (tests/test_engine.py)
    **dict.fromkeys(["Tensor.backward", "Tensor.detach", "tinygrad_np.detach", "Tensor.grad", "Tensor.grad_fn",
                     "Tensor.is_leaf",
                     "Tensor.requires_grad", "Tensor.requires_grad_", "Tensor.retain_grad", "Tensor.retains_grad",
                     "Tensor.register_hook", "tinygrad_np.grad", "tinygrad_np.no_grad", "tinygrad_np.enable_grad",
                     "tinygrad_np.inference_mode", "tinygrad_np.set_grad_enabled", "tinygrad_np.is_grad_enabled",
                     "tinygrad_np.Function"], "autograd"),
    # the data and what it is: queries, not ops
    **dict.fromkeys(["Tensor.data", "Tensor.item", "Tensor.tolist", "Tensor.numpy", "Tensor.shape", "Tensor.ndim",
                     "Tensor.dtype", "Tensor.size", "Tensor.dim", "Tensor.numel", "Tensor.device", "Tensor.cpu",
                     "tinygrad_np.numel", "tinygrad_np.is_tensor", "tinygrad_np.Tensor"], "query"),
    # factories: new tensors from sizes or values, no input tensor to differentiate (tests/test_engine.py,
    # tests/test_pytorch_idioms.py)
    **dict.fromkeys(["Tensor.new_full", "Tensor.new_ones", "Tensor.new_tensor", "Tensor.new_zeros",
                     "tinygrad_np.tensor", "tinygrad_np.from_numpy", "tinygrad_np.arange", "tinygrad_np.linspace",
                     "tinygrad_np.eye", "tinygrad_np.empty", "tinygrad_np.zeros", "tinygrad_np.ones",
                     "tinygrad_np.full", "tinygrad_np.zeros_like", "tinygrad_np.ones_like", "tinygrad_np.full_like",
                     "tinygrad_np.rand", "tinygrad_np.rand_like", "tinygrad_np.randn", "tinygrad_np.randn_like",
                     "tinygrad_np.randint", "tinygrad_np.manual_seed"], "factory"),
    # dtype names (strings, as torch.float32 is a dtype object)
    **dict.fromkeys(["tinygrad_np.float32", "tinygrad_np.float64", "tinygrad_np.int32", "tinygrad_np.int64",
                     "tinygrad_np.bool_"], "dtype"),
    # more dtype names, dtype facts and the default float dtype (tests/test_edges.py)
    **dict.fromkeys(["tinygrad_np.float16", "tinygrad_np.half", "tinygrad_np.float", "tinygrad_np.double",
                     "tinygrad_np.uint8", "tinygrad_np.int8", "tinygrad_np.int16", "tinygrad_np.int",
                     "tinygrad_np.long", "tinygrad_np.bool", "tinygrad_np.finfo", "tinygrad_np.iinfo",
                     "tinygrad_np.get_default_dtype", "tinygrad_np.set_default_dtype"], "dtype"),
    # devices, tensor sizes, the error classes, more factories (tests/test_edges.py; normal and randperm in
    # tests/test_ops_surface.py)
    **dict.fromkeys(["tinygrad_np.device", "tinygrad_np.cuda"], "device"),
    **dict.fromkeys(["tinygrad_np.Size", "tinygrad_np.ArgumentError", "tinygrad_np.ArgumentTypeError",
                     "tinygrad_np.ArgumentIndexError"], "type"),
    **dict.fromkeys(["tinygrad_np.as_tensor", "tinygrad_np.normal", "tinygrad_np.randperm"], "factory"),
    # random state and sampling: draws, not functions of their input (tests/test_ops_surface.py,
    # tests/test_ops_torch_extras.py for seed())
    **dict.fromkeys(["tinygrad_np.Generator", "tinygrad_np.default_generator", "tinygrad_np.seed",
                     "tinygrad_np.initial_seed", "tinygrad_np.get_rng_state", "tinygrad_np.set_rng_state",
                     "tinygrad_np.multinomial", "tinygrad_np.bernoulli", "Tensor.multinomial", "Tensor.bernoulli",
                     "Tensor.uniform_", "Tensor.normal_", "Tensor.bernoulli_"], "random"),
    # queries answering with a Python bool (tests/test_ops_surface.py; allclose is isclose(...).all(), whose
    # entry is in the table)
    **dict.fromkeys(["Tensor.is_contiguous", "Tensor.allclose", "tinygrad_np.allclose"], "query"),
    # the explained backward pass (tests/test_explain.py)
    **dict.fromkeys(["tinygrad_np.explain"], "tool"),
    # files (tests/test_serialization.py)
    **dict.fromkeys(["tinygrad_np.save", "tinygrad_np.load"], "serialization"),
}


def public_names() -> set:
    """Every public name of the op surface: Tensor's own attributes (dunders too), tinygrad_np.* and
    nn.functional (its __all__ and any public function defined in it)."""
    import types

    names = {f"Tensor.{n}" for n in vars(tg.Tensor) if not n.startswith("_") or (n.startswith("__") and
                                                                                    n.endswith("__"))}
    names.discard("Tensor.__slotnames__")  # copyreg's cache, added to the class by the first pickle or deepcopy
    names |= {f"tinygrad_np.{n}" for n in dir(tg) if not n.startswith("_") and
              not isinstance(getattr(tg, n), types.ModuleType)}
    names |= {f"F.{n}" for n in F.__all__}
    names |= {f"F.{n}" for n, obj in vars(F).items() if not n.startswith("_") and inspect.isfunction(obj) and
              obj.__module__ == F.__name__}
    return names


def test_every_public_op_has_an_entry():
    covered = {v.public_name for op in OPS for v in op.variants} - {None}
    missing = sorted(public_names() - covered - set(NOT_OPS))
    assert not missing, f"public ops without an entry in tinygrad_np/testing/opinfo*.py (or NOT_OPS): {missing}"


def test_the_list_of_non_ops_is_current():
    covered = {v.public_name for op in OPS for v in op.variants}
    assert not set(NOT_OPS) - public_names(), f"no longer public: {sorted(set(NOT_OPS) - public_names())}"
    assert not set(NOT_OPS) & covered, f"listed as non-ops but in the table: {sorted(set(NOT_OPS) & covered)}"
    assert not covered - {None} - public_names(), f"variants that name no public op: {covered - public_names()}"


def test_the_coverage_test_can_fail():
    names = public_names()
    assert "Tensor.exp" in names and "F.conv2d" in names and "tinygrad_np.cat" in names and "Tensor.__add__" in names
    assert "Tensor.exp" not in NOT_OPS


# ============================================================================ docs/ops.md
def test_the_ops_page_is_generated_from_the_table():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("make_ops_page", root / "docs" / "scripts" / "make_ops_page.py")
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    rendered = page.render()
    assert (root / "docs" / "ops.md").read_text(encoding="utf-8") == rendered, \
        "docs/ops.md is stale: run python docs/scripts/make_ops_page.py"
    assert all(f"| {op.name} |" in rendered for op in OPS)


# ============================================================================ the table itself
def test_entries_are_well_formed():
    names = [op.name for op in OPS]
    assert len(names) == len(set(names)), "entry names must be unique"
    for op in OPS:
        assert op.torch, f"{op.name}: give its PyTorch equivalent"
        for dtype in op.dtypes:
            assert op.samples(dtype), f"{op.name}: no samples for {dtype}"
        if op.grad_order:
            assert opinfo.grad_samples(op), f"{op.name}: differentiable but no float64 sample for gradient checks"
        if op.kink_grads:
            assert op.kink, f"{op.name}: kink_grads without the convention's text"
        assert all(isinstance(k, opinfo.KnownFailure) for k in op.known_failures)


def test_samples_are_deterministic():
    op = next(op for op in OPS if op.name == "add")
    first, again = op.samples(np.dtype(np.float32)), op.samples(np.dtype(np.float32))
    for a, b in zip(first, again):
        for x, y in zip(a.arrays(), b.arrays()):
            np.testing.assert_array_equal(x, y)


def test_torch_result_type_follows_pytorchs_categories():
    f32, f64, i32, u8 = (np.ones(2, d) for d in (np.float32, np.float64, np.int32, np.uint8))
    rt = opinfo.torch_result_type
    assert rt(f32, np.ones((), np.float64)) == np.float32  # a 0-d tensor does not upcast its category
    assert rt(i32, np.ones((), np.float64)) == np.float64  # ... unless it is of a higher one
    assert rt(i32, 2.5) == np.float32 and rt(i32, 2) == np.int32 and rt(np.ones(2, bool), 2) == np.int64
    assert rt(u8, np.ones(2, np.int8)) == np.int16 and rt(f32, f64) == np.float64
    assert rt(np.ones(2, np.float16), i32) == np.float16


# ============================================================================ the checks can fail
class DoubledExp(tg.Function):
    formula = "∂/∂x = 2·g·exp(x) (wrong)"

    @staticmethod
    def forward(ctx, x):
        return np.exp(x)

    @staticmethod
    def backward(ctx, g):
        return 2 * g * ctx.output


class DetachedCube(tg.Function):
    @staticmethod
    def forward(ctx, x):
        return x**3

    @staticmethod
    def backward(ctx, g):
        x = np.asarray(ctx.inputs[0].data if isinstance(ctx.inputs[0], tg.Tensor) else ctx.inputs[0])
        return 3 * x * x * g  # leaves the graph: second derivatives are lost


class GraphPathDiffers(tg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, g):
        return g * (3.0 if isinstance(g, tg.Tensor) else 2.0)  # wrong only under create_graph


def entry(fn, ref=np.exp, **kwargs):
    kwargs.setdefault("dtypes", opinfo.FLOATS)
    return OpInfo(fn.__name__, ref, kwargs.pop("samples", opinfo.unary_samples(-2, 2)),
                  variants=(opinfo.Variant(fn),), **kwargs)


def test_check_forward_catches_a_wrong_value():
    def exp_off(x):
        return x.exp() + 1e-3

    with pytest.raises(AssertionError, match="differs from the reference"):
        opinfo.check_forward(entry(exp_off), np.float64)


def test_check_forward_catches_a_mutated_input():
    def exp_mutating(x):
        out = x.exp()
        x.data[...] = 0
        return out

    with pytest.raises(AssertionError, match="changed input tensor 0"):
        opinfo.check_forward(entry(exp_mutating), np.float64)


def test_check_dtype_catches_an_upcast():
    def exp_double(x):
        return x.exp().double()

    opinfo.check_dtype(entry(exp_double), np.float64)
    with pytest.raises(AssertionError, match="result dtype"):
        opinfo.check_dtype(entry(exp_double), np.float32)


def test_gradient_checks_catch_wrong_rules():
    def doubled_exp(x):
        return DoubledExp.apply(x)

    def detached_cube(x):
        return DetachedCube.apply(x)

    with pytest.raises(AssertionError, match="is wrong"):
        opinfo.check_gradients(entry(doubled_exp))
    cube = entry(detached_cube, ref=lambda x: x**3)
    opinfo.check_gradients(cube)  # first order: right
    with pytest.raises(AssertionError, match="is wrong"):
        opinfo.check_gradients(cube, second_order=True)


def test_check_create_graph_catches_a_first_order_gradient_wrong_only_under_create_graph():
    def graph_path_differs(x):
        return GraphPathDiffers.apply(x)

    op = entry(graph_path_differs, ref=lambda x: 2 * x)
    opinfo.check_gradients(op)  # the plain path is right, and gradgradcheck only checks self-consistency
    opinfo.check_gradients(op, second_order=True)
    with pytest.raises(AssertionError, match="under create_graph"):
        opinfo.check_create_graph(op)


@pytest.mark.parametrize("path", ["plain", "create_graph"])
def test_check_create_graph_catches_gradients_that_alias_each_other(monkeypatch, path):
    # the engine hands each gradient out once (a second one is copied); without that, a + b gives a and b
    # the same gradient array: x.grad is y.grad
    from tinygrad_np.autograd import engine

    add = next(op for op in OPS if op.name == "add")
    opinfo.check_create_graph(add)
    keep = engine._Sink._unshared
    monkeypatch.setattr(engine._Sink, "_unshared", lambda self, g: g if self.create_graph == (path == "create_graph")
                        else keep(self, g))
    with pytest.raises(AssertionError, match="two gradients"):
        opinfo.check_create_graph(add)


def test_check_kinks_and_errors_can_fail():
    relu = next(op for op in OPS if op.name == "relu")
    wrong = OpInfo("relu", relu.ref, relu.samples, variants=relu.variants, kink="relu'(0) = 1 (wrong)",
                   kink_grads=[(Sample(np.array([0.0])), np.array([1.0]))],
                   errors=[opinfo.ErrorInput(Sample(np.array([1.0])), RuntimeError)])
    with pytest.raises(AssertionError, match="at the kink"):
        opinfo.check_kinks(wrong)
    with pytest.raises(AssertionError, match="raised nothing"):
        opinfo.check_errors(wrong)


def test_a_known_failure_must_still_fail():
    def exp(x):
        return x.exp()

    op = entry(exp, known_failures=[opinfo.KnownFailure("forward", "pretend", samples=lambda s: True)])
    with pytest.raises(AssertionError, match="passes now"):
        opinfo.check_forward(op, np.float64)
