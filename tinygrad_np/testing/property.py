"""``op_property_test``: a complete hypothesis test of an op from (op, NumPy reference, bounds)."""

from __future__ import annotations

import functools
import hashlib
import numbers

import hypothesis
import numpy as np
from hypothesis import strategies as st

from ..autograd import grad as _grad
from ..tensor import Tensor
from .gradcheck import GradcheckError, _as_outputs, _Checker, _grad_map
from .strategies import broadcastable_shapes, ndarrays

__all__ = ["op_property_test"]


class Case:
    """One drawn example: the input arrays, the keyword arguments and the seed of the upstream gradients."""

    def __init__(self, arrays, kwargs, seed):
        self.arrays, self.kwargs, self.seed = arrays, kwargs, seed

    def __repr__(self):
        with np.printoptions(floatmode="unique", threshold=1000):
            arrays = ", ".join(repr(a) for a in self.arrays)
        return f"Case(arrays=({arrays}), kwargs={self.kwargs!r}, seed={self.seed})"


def _is_bounds(x) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and all(isinstance(v, numbers.Real) for v in x)


def _per_input(value, n: int, what: str, is_single) -> list:
    """One setting per input: ``value`` itself if it is a single setting, else a list of n of them."""
    if is_single(value):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ValueError(f"op_property_test(): {what} has {len(values)} entries for {n} inputs")
    return values


class _Config:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _kwargs_strategy(cfg, shapes):
    """The strategy of keyword arguments for these shapes (memoised: building strategies is slow)."""
    strategy = cfg.kwargs_cache.get(shapes)
    if strategy is None:
        strategy = cfg.kwargs_cache[shapes] = _build_kwargs_strategy(cfg.kwargs, shapes)
    return strategy


def _build_kwargs_strategy(kwargs, shapes):
    if kwargs is None:
        return st.just({})
    if callable(kwargs) and not isinstance(kwargs, (dict, st.SearchStrategy)):
        return kwargs(shapes)
    if isinstance(kwargs, st.SearchStrategy):
        return kwargs
    return st.fixed_dictionaries({
        name: (s if isinstance(s, st.SearchStrategy) else s(shapes) if callable(s) else st.just(s))
        for name, s in kwargs.items()
    })


@functools.lru_cache(maxsize=4096)
def _arrays(shape, elements, min_magnitude, distinct):
    return ndarrays(shape, elements=elements, min_magnitude=min_magnitude, distinct=distinct)


@st.composite
def _cases(draw, cfg):
    shapes = draw(cfg.shapes)
    shapes = tuple(tuple(s) for s in shapes)
    if len(shapes) != cfg.num_inputs:
        raise ValueError(f"op_property_test(): the shapes strategy drew {len(shapes)} shapes for "
                         f"{cfg.num_inputs} inputs")
    kwargs = draw(_kwargs_strategy(cfg, shapes))
    if cfg.distinct:
        sizes = [int(np.prod(s)) for s in shapes]
        flat = draw(_arrays(sum(sizes), cfg.elements[0], cfg.min_magnitude[0], cfg.distinct))
        bounds = np.cumsum([0] + sizes)
        arrays = tuple(flat[lo:hi].reshape(s) for lo, hi, s in zip(bounds[:-1], bounds[1:], shapes))
    else:
        arrays = tuple(draw(_arrays(s, e, m, False)) for s, e, m in zip(shapes, cfg.elements, cfg.min_magnitude))
    seed = draw(st.integers(0, 2**32 - 1))
    return Case(arrays, kwargs, seed)


def _fail(cfg, case, what):
    raise GradcheckError(f"op_property_test[{cfg.name}]: {what}\n  kwargs: {case.kwargs!r}")


def _check_forward(cfg, case, outs, ref_args):
    expected = cfg.reference(*ref_args, **case.kwargs)
    expected = tuple(np.asarray(e) for e in (expected if isinstance(expected, (tuple, list)) else (expected,)))
    if len(expected) != len(outs):
        _fail(cfg, case, f"op returned {len(outs)} outputs, the reference {len(expected)}")
    for k, (o, e) in enumerate(zip(outs, expected)):
        if o.shape != e.shape:
            _fail(cfg, case, f"output {k} has shape {o.shape}, the reference gives {e.shape}")
        if cfg.check_dtype and o.dtype != e.dtype:
            _fail(cfg, case, f"output {k} has dtype {o.dtype}, the reference gives {e.dtype}")
        np.testing.assert_allclose(o.data, e, rtol=cfg.forward_rtol, atol=cfg.forward_atol,
                                   err_msg=f"op_property_test[{cfg.name}]: forward differs from the reference "
                                           f"(output {k}, kwargs {case.kwargs!r})")


def _check_no_aliasing(cfg, case, grads, others):
    """No gradient may share memory with another gradient or with anything else the user can see."""
    for i, g in grads:
        for j, h in grads:
            if j > i and np.shares_memory(g, h):
                _fail(cfg, case, f"the gradients of inputs {i} and {j} share memory")
        for label, other in others:
            if np.shares_memory(g, other):
                _fail(cfg, case, f"the gradient of input {i} shares memory with {label}")


def _run(cfg, case):
    arrays, kwargs = case.arrays, case.kwargs
    if cfg.assume is not None:
        hypothesis.assume(cfg.assume(*arrays, **kwargs))
    originals = [a.copy() for a in arrays]

    def op(*args):
        return cfg.op(*args, **kwargs)

    # the op's inputs: Tensors that require grad, or plain arrays for the constant inputs
    inputs = [a.copy() if i in cfg.constant_inputs else Tensor(a, requires_grad=True) for i, a in enumerate(arrays)]
    out = cfg.op(*inputs, **kwargs)
    if not isinstance(out, (Tensor, tuple, list)):
        _fail(cfg, case, f"op returned a {type(out).__name__}, not a Tensor")
    outs = _as_outputs(out)
    if cfg.reference is not None:
        _check_forward(cfg, case, outs, [a.copy() for a in arrays])
    _check_unchanged(cfg, case, inputs, originals)

    diff = [i for i in range(cfg.num_inputs) if i not in cfg.constant_inputs]
    if cfg.grad and diff:
        float_outs = [o for o in outs if o.dtype.kind == "f"]
        if not any(o.requires_grad for o in float_outs):
            _fail(cfg, case, "grad=True but no output requires grad (a comparison or an integer result?); "
                             "pass grad=False for ops without a gradient")
        checker = _Checker(op, tuple(inputs), cfg.names, eps=cfg.eps, atol=cfg.atol, rtol=cfg.rtol,
                           caller=f"op_property_test[{cfg.name}]")
        rng = np.random.default_rng(case.seed)
        upstream = [rng.standard_normal(o.shape) for o in float_outs]
        pairs = [(o, u) for o, u in zip(float_outs, upstream) if o.requires_grad]
        leaves = [inputs[i] for i in diff]
        grads = _grad([o for o, _ in pairs], leaves, grad_outputs=[u for _, u in pairs], allow_unused=True)
        for i, g, leaf in zip(diff, grads, leaves):
            if g is not None and (g.shape != leaf.shape or g.dtype != leaf.dtype):
                _fail(cfg, case, f"the gradient of input {i} has shape {g.shape} and dtype {g.dtype}, the input "
                                 f"has shape {leaf.shape} and dtype {leaf.dtype}")
        visible = [(f"input {i}", inputs[i].data if isinstance(inputs[i], Tensor) else inputs[i])
                   for i in range(cfg.num_inputs)]
        visible += [(f"output {k}", o.data) for k, o in enumerate(outs)]
        visible += [(f"upstream gradient {k}", u) for k, u in enumerate(upstream)]
        _check_no_aliasing(cfg, case, [(i, g.data) for i, g in zip(diff, grads) if g is not None], visible)
        analytical = [np.zeros(leaf.shape) if g is None else g.data for g, leaf in zip(grads, leaves)]
        u_flat = np.concatenate([u.reshape(-1) for u in upstream]) if upstream else np.zeros(0)
        try:
            checker.check_vjp(u_flat, f"op_property_test[{cfg.name}]", analytical=analytical)
        except GradcheckError as e:
            e.args = (f"{e}\n  kwargs: {kwargs!r}",)
            raise

        if cfg.gradgrad:
            grads_of = _grad_map(op, cfg.num_inputs, diff, len(float_outs))
            second_inputs = tuple(inputs) + tuple(Tensor(u, requires_grad=True) for u in upstream)
            in_names = cfg.names or (None,) * cfg.num_inputs
            second = _Checker(grads_of, second_inputs,
                              tuple(in_names) + tuple(f"upstream {k}" for k in range(len(upstream))),
                              eps=cfg.eps, atol=cfg.atol, rtol=cfg.rtol,
                              caller=f"op_property_test[{cfg.name}] (second order)",
                              output_names=[f"grad[{in_names[i] or f'input {i}'}]" for i in diff])
            try:  # random projections: two evaluations per input rather than two per element
                second.check_fast(int(rng.integers(2**32)))
            except GradcheckError as e:
                e.args = (f"{e}\n  kwargs: {kwargs!r}",)
                raise

    _check_unchanged(cfg, case, inputs, originals)


def _check_unchanged(cfg, case, inputs, originals):
    for i, (inp, orig) in enumerate(zip(inputs, originals)):
        now = inp.data if isinstance(inp, Tensor) else inp
        if not np.array_equal(now, orig, equal_nan=True) or not np.array_equal(case.arrays[i], orig, equal_nan=True):
            _fail(cfg, case, f"input {i} was modified by the op or its backward")


_made: dict = {}  # tests made so far per name and code location


def op_property_test(op=None, reference=None, num_inputs=1, *, shapes=None, elements=(-10.0, 10.0),
                     min_magnitude=None, distinct=False, kwargs=None, constant_inputs=(), assume=None, grad=True,
                     gradgrad=False, eps=1e-6, atol=1e-5, rtol=1e-3, forward_atol=1e-10, forward_rtol=1e-7,
                     check_dtype=True, names=None, name=None):
    """Build a complete hypothesis test of an op. As a decorator, the function is the op and names the test::

        @op_property_test(reference=np.multiply, num_inputs=2)
        def test_mul(a, b):
            return a * b

    or called with the op, its result assigned to a ``test_...`` name::

        test_mul = op_property_test(lambda a, b: a * b, np.multiply, num_inputs=2, name="mul")

    Every example draws float64 inputs of mutually broadcastable shapes and checks that

    * the forward equals ``reference`` (shape, dtype and values);
    * the gradients for a random upstream gradient equal central finite differences, for
      every element of every input (with ``grad=True``);
    * they have the dtype and shape of their input and share no memory with each other,
      the inputs, the outputs or the upstream gradient;
    * with ``gradgrad=True``, the gradients' own derivatives (``create_graph=True``) equal
      finite differences of the gradients, w.r.t. the inputs and the upstream gradient;
    * the inputs are left unchanged.

    Args:
        op: a function of ``num_inputs`` Tensors (plus the drawn ``kwargs``) returning a Tensor
            or a tuple of Tensors; omitted in the decorator form.
        reference: the same computation in NumPy, called with copies of the input arrays and
            the same ``kwargs``; None skips the forward comparison.
        num_inputs: how many array inputs ``op`` takes.
        shapes: a strategy of tuples of ``num_inputs`` shapes, or one fixed tuple of shapes.
            Default ``broadcastable_shapes(num_inputs)``.
        elements: ``(low, high)`` bounds for every input, or a list with one entry per input
            (bounds or a hypothesis strategy of floats). Keep inputs in the op's domain and away
            from overflow (log: ``(0.1, 10)``).
        min_magnitude: ``|x| >= min_magnitude`` for every input (a number) or per input (a list,
            None entries for no constraint): keeps inputs off kinks and poles at 0.
        distinct: True (or a gap g; True means 1e-3): all input values, across all inputs, are
            distinct multiples of g, for ops where ties are kinks (max, maximum, ...). All inputs
            must then share ``elements`` and ``min_magnitude``.
        kwargs: extra keyword arguments for ``op`` and ``reference``: a dict mapping each name to
            a value, a strategy, or a function ``shapes -> strategy``; or a function
            ``shapes -> strategy of dicts`` (e.g. ``lambda s: valid_axes(len(s[0]), with_keepdims=True)``).
        constant_inputs: indices of inputs passed to ``op`` as plain NumPy arrays rather than
            Tensors (constants with no gradient; tests ``ndarray <op> Tensor`` and reflected operators).
        assume: ``assume(*arrays, **kwargs) -> bool``; a False rejects the example (use it to
            stay away from kinks that bounds cannot express, e.g. clip bounds).
        grad: check first-order gradients. Set False for ops without one (comparisons).
        gradgrad: also check second-order gradients.
        eps: the finite-difference step.
        atol, rtol: gradient tolerances, ``|analytical - numerical| <= atol + rtol * |numerical|``.
            The defaults suit float64 central differences (their error is about eps**2 times the
            third derivative plus 1e-16 / eps times the output size).
        forward_atol, forward_rtol: tolerances of the forward comparison (rounding differences
            between equivalent formulas only).
        check_dtype: require the output dtype to equal the reference's.
        names: names of the inputs for messages, e.g. ``("x", "w")``.
        name: the name in messages and the test's ``__name__``; default the op's name (the
            decorated function's), else the reference's, else ``"op"``.

    Returns:
        A test function (decorated with ``hypothesis.given``) that pytest collects under a
        module-level name starting with ``test``. Decorate it with ``hypothesis.settings(...)`` to
        change the number of examples. The decorator form returns a decorator that makes it.
    """
    if op is None:  # @op_property_test(reference=..., ...) on def test_...(...): the function is the op
        options = dict(shapes=shapes, elements=elements, min_magnitude=min_magnitude, distinct=distinct,
                       kwargs=kwargs, constant_inputs=constant_inputs, assume=assume, grad=grad, gradgrad=gradgrad,
                       eps=eps, atol=atol, rtol=rtol, forward_atol=forward_atol, forward_rtol=forward_rtol,
                       check_dtype=check_dtype, names=names, name=name)
        return lambda fn: op_property_test(fn, reference, num_inputs, **options)
    if num_inputs < 1:
        raise ValueError("op_property_test(): num_inputs must be at least 1")
    constant_inputs = tuple(sorted({int(i) % num_inputs for i in constant_inputs}))
    single_bounds = lambda v: _is_bounds(v) or isinstance(v, st.SearchStrategy)  # noqa: E731
    elements_list = _per_input(elements, num_inputs, "elements", single_bounds)
    magnitude_list = _per_input(min_magnitude, num_inputs, "min_magnitude",
                                lambda v: v is None or isinstance(v, numbers.Real))
    if distinct and (len({repr(e) for e in elements_list}) > 1 or len(set(magnitude_list)) > 1):
        raise ValueError("op_property_test(): distinct=True needs the same elements and min_magnitude for all inputs")
    if shapes is None:
        shapes = broadcastable_shapes(num_inputs)
    elif not isinstance(shapes, st.SearchStrategy):
        shapes = st.just(tuple(tuple(s) for s in shapes))
    if name is None:
        name = next((n for n in (getattr(f, "__name__", "<lambda>") for f in (op, reference)) if n != "<lambda>"),
                    "op")
    cfg = _Config(op=op, reference=reference, num_inputs=num_inputs, shapes=shapes, elements=elements_list,
                  min_magnitude=magnitude_list, distinct=distinct, kwargs=kwargs, constant_inputs=constant_inputs,
                  assume=assume, grad=grad, gradgrad=gradgrad, eps=eps, atol=atol, rtol=rtol,
                  forward_atol=forward_atol, forward_rtol=forward_rtol, check_dtype=check_dtype,
                  names=tuple(names) if names is not None else None, name=name, kwargs_cache={})

    def test(case):
        _run(cfg, case)

    test.__name__ = test.__qualname__ = name if name.startswith("test") else f"test_{name}"
    test.__module__ = getattr(op, "__module__", None) or test.__module__
    # distinct hypothesis database keys (and derandomized seeds) for distinct tests: the name, where the op's
    # and the reference's code is, and how many tests were made from that code before (a helper's lambdas)
    code = [getattr(f, "__code__", None) for f in (op, reference)]
    key = f"{name}|" + "|".join(f"{c.co_filename}:{c.co_firstlineno}" for c in code if c is not None)
    _made[key] = _made.get(key, -1) + 1
    test._hypothesis_internal_add_digest = hashlib.sha256(f"{key}|{_made[key]}".encode()).digest()
    return hypothesis.given(case=_cases(cfg))(test)
