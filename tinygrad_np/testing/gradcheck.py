"""Check backward rules against finite differences: :func:`gradcheck` and :func:`gradgradcheck`.

Both compare, in float64, the derivatives the engine computes (vector-Jacobian products
from ``backward``) with central differences ``(f(x + eps) - f(x - eps)) / 2 eps`` of the
function itself. They never write to the caller's arrays: inputs are replaced by private
copies, and so are the arrays of ``params`` for the duration of the check (the original array
objects are put back afterwards, untouched). The ``.grad`` of every tensor is left alone.
"""

from __future__ import annotations

import numpy as np

from ..autograd import grad as _grad
from ..tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

# on a fast-mode failure, the full Jacobian of the failing input is computed to name the worst
# entry when it has at most this many rows and columns (beyond that it would be too slow)
_LOCATE_LIMIT = 2000


class GradcheckError(AssertionError):
    """Analytical and numerical derivatives disagree.

    Besides the message, the attributes say where: ``input_index`` (None for a parameter),
    ``input_name``, ``output_index`` (None in fast mode unless located), ``index`` (the input
    element, a tuple), ``output_element`` (a tuple), ``analytical`` and ``numerical`` (floats).
    """

    def __init__(self, message, *, input_index=None, input_name=None, output_index=None, index=None,
                 output_element=None, analytical=None, numerical=None):
        super().__init__(message)
        self.input_index, self.input_name, self.output_index = input_index, input_name, output_index
        self.index, self.output_element = index, output_element
        self.analytical, self.numerical = analytical, numerical


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _as_outputs(out) -> tuple:
    return tuple(o if isinstance(o, Tensor) else Tensor._wrap(np.asarray(o), None) for o in _as_tuple(out))


def _as_params(params) -> list:
    """``params`` as a list of (name, Tensor): a Tensor, an iterable of Tensors or of (name, Tensor)
    pairs (``model.named_parameters()``), or a mapping."""
    if params is None:
        return []
    if isinstance(params, Tensor):
        params = [params]
    elif hasattr(params, "items"):
        params = list(params.items())
    pairs = []
    for j, p in enumerate(params):
        name, p = p if isinstance(p, tuple) else (f"params[{j}]", p)
        if not isinstance(p, Tensor) or not p.requires_grad:
            raise TypeError(f"params: {name} must be a Tensor that requires grad")
        pairs.append((name, p))
    return pairs


def _fmt_index(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]" if len(idx) else ""


def _out_of_tolerance(analytical, numerical, atol, rtol):
    """Boolean mask of the entries that fail ``|a - n| <= atol + rtol * |n|`` (NaN always fails)
    and a score whose argmax is the worst of them."""
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(analytical - numerical)
        tol = atol + rtol * np.abs(numerical)
        bad = ~((analytical == numerical) | (err <= tol))
        score = np.where(bad, np.where(np.isnan(err), np.inf, err - tol), -np.inf)
    return bad, score


class _Slot:
    """One checked tensor: positional input ``index`` of fn, or a captured parameter."""

    def __init__(self, index, name, tensor, is_param):
        self.index, self.name, self.tensor, self.is_param = index, name, tensor, is_param
        self.shape = tuple(tensor.shape)

    @property
    def label(self) -> str:
        if self.is_param:
            return f"parameter '{self.name}' (shape {self.shape})"
        name = f"'{self.name}', " if self.name is not None else ""
        return f"input {self.index} ({name}shape {self.shape})"

    def ref(self, idx) -> str:
        return (self.name if self.name is not None else f"input {self.index}") + _fmt_index(idx)


class _Checker:
    """The function under test, the tensors to check (positional inputs that require grad, and
    captured ``params``), and the numerical and analytical derivative machinery."""

    def __init__(self, fn, inputs, names=None, *, eps, atol, rtol, params=None, caller="gradcheck",
                 output_names=None):
        self.fn, self.caller, self.output_names = fn, caller, output_names
        self.eps, self.atol, self.rtol = float(eps), float(atol), float(rtol)
        self.inputs = _as_tuple(inputs)
        if names is not None:
            names = tuple(names)
            if len(names) != len(self.inputs):
                raise ValueError(f"{caller}: {len(names)} names for {len(self.inputs)} inputs")
        self.names = names
        self.slots = [_Slot(i, names[i] if names else None, x, False) for i, x in enumerate(self.inputs)
                      if isinstance(x, Tensor) and x.requires_grad]
        self.slots += [_Slot(None, name, p, True) for name, p in _as_params(params)]
        if not self.slots:
            raise ValueError(f"{caller}: no input requires grad, so there is nothing to check; pass the inputs to "
                             "differentiate as Tensors with requires_grad=True")
        for s in self.slots:
            if s.tensor.dtype != np.float64:
                raise TypeError(
                    f"{caller}: {s.label} has dtype {s.tensor.dtype}, but finite differences are only meaningful in "
                    "float64 (float32 rounding swamps a step of eps=1e-6); use .double() (model.double() for a model)"
                )
        # private, contiguous float64 copies: the caller's arrays are never perturbed
        self.values = [np.array(s.tensor.data, dtype=np.float64, order="C", copy=True) for s in self.slots]
        self.param_arrays = [(s.tensor, s.tensor.data) for s in self.slots if s.is_param]
        try:
            _, outs = self.call(self.copies())
            self.layout = []  # (output index, shape) of the float outputs, in order
            for k, o in enumerate(outs):
                if o.dtype.kind != "f":
                    continue  # int/bool outputs (argmax, comparisons) are not differentiable
                if o.dtype != np.float64:
                    raise TypeError(
                        f"{caller}: output {k} has dtype {o.dtype}; every float output must be float64 for finite "
                        "differences to be accurate (is a parameter or constant used by fn float32? use .double())"
                    )
                self.layout.append((k, o.shape))
        except BaseException:
            self.restore()
            raise
        self.offsets = np.cumsum([0] + [int(np.prod(s)) for _, s in self.layout]).tolist()
        self.n_out = self.offsets[-1]

    def restore(self):
        """Put the original arrays back into the checked parameters."""
        for p, array in self.param_arrays:
            p.data = array

    # ------------------------------------------------------------------ labels
    def output_label(self, k) -> str:
        if self.output_names is not None:
            return self.output_names[k]
        return "output" if len(self.layout) == 1 else f"output {k}"

    def _where(self, slot) -> dict:
        return {"input_index": slot.index, "input_name": slot.name}

    # ------------------------------------------------------------------ evaluation
    def copies(self) -> list:
        return [v.copy() for v in self.values]

    def call(self, values):
        """Run fn on ``values``: fresh leaves for the checked inputs, swapped-in arrays for the parameters.
        Returns the tensors to differentiate with respect to (one per slot) and fn's outputs."""
        args, leaves = list(self.inputs), []
        for s, v in zip(self.slots, values):
            if s.is_param:
                s.tensor.data = v
                leaves.append(s.tensor)
            else:
                leaf = Tensor._wrap(v, None)
                leaf.requires_grad = True
                args[s.index] = leaf
                leaves.append(leaf)
        return leaves, _as_outputs(self.fn(*args))

    def flat_outputs(self, values) -> np.ndarray:
        """All float outputs, flattened and concatenated (always a copy: an output may be a view of an input)."""
        _, outs = self.call(values)
        parts = []
        for k, shape in self.layout:
            if k >= len(outs) or outs[k].shape != shape:
                raise RuntimeError(f"{self.caller}: fn returned outputs of different shapes on different calls")
            parts.append(np.array(outs[k].data, dtype=np.float64).reshape(-1))
        return np.concatenate(parts) if parts else np.zeros(0)

    def _step(self, work, x, j):
        """Central difference of all outputs for element j of x, the flat view of one working copy in
        ``work``; the element is restored exactly afterwards."""
        orig = x[j]
        x[j] = orig + self.eps
        hi = x[j]
        plus = self.flat_outputs(work)
        x[j] = orig - self.eps
        lo = x[j]
        minus = self.flat_outputs(work)
        x[j] = orig
        if hi == lo:
            raise ValueError(f"{self.caller}: eps={self.eps} is below the float64 spacing at {orig!r}; use a larger "
                             "eps")
        return (plus - minus) / (hi - lo)  # the step actually taken, not the nominal 2 eps

    def numerical_jacobian(self, n) -> np.ndarray:
        """d(outputs)/d(slot n) by central differences, shape (n_out, size)."""
        work = self.copies()
        x = work[n].reshape(-1)
        jac = np.empty((self.n_out, x.size))
        for j in range(x.size):
            jac[:, j] = self._step(work, x, j)
        return jac

    def numerical_vjp(self, n, u_flat) -> np.ndarray:
        """u^T d(outputs)/d(slot n) by central differences, flat."""
        work = self.copies()
        x = work[n].reshape(-1)
        return np.array([u_flat @ self._step(work, x, j) for j in range(x.size)])

    def numerical_directional(self, n, v) -> np.ndarray:
        """d(outputs)/d(slot n) . v by one central difference along v."""
        work = self.copies()
        work[n] += self.eps * v
        plus = self.flat_outputs(work)
        work[n][...] = self.values[n] - self.eps * v
        minus = self.flat_outputs(work)
        return (plus - minus) / (2 * self.eps)

    def _checked_grad(self, slot, g) -> np.ndarray:
        if g is None:
            return np.zeros(slot.shape)
        if g.shape != slot.shape or g.dtype != np.float64:
            raise GradcheckError(
                f"{self.caller}: backward gave {slot.label} a gradient of shape {tuple(g.shape)} and dtype "
                f"{g.dtype}; expected shape {slot.shape} and dtype float64", **self._where(slot)
            )
        return np.asarray(g.data, dtype=np.float64)

    def analytical_vjp(self, upstream_flat) -> list:
        """Gradient of every slot for the upstream gradient ``upstream_flat`` (one backward)."""
        leaves, outs = self.call(self.copies())
        roots, seeds = [], []
        for (k, shape), lo, hi in zip(self.layout, self.offsets, self.offsets[1:]):
            if outs[k].requires_grad:
                roots.append(outs[k])
                seeds.append(upstream_flat[lo:hi].reshape(shape))
        grads = _grad(roots, leaves, grad_outputs=seeds, allow_unused=True) if roots else [None] * len(leaves)
        return [self._checked_grad(s, g) for s, g in zip(self.slots, grads)]

    def analytical_jacobian(self, n) -> np.ndarray:
        """d(outputs)/d(slot n) from one backward per output element, shape (n_out, size)."""
        leaves, outs = self.call(self.copies())
        slot = self.slots[n]
        jac = np.zeros((self.n_out, int(np.prod(slot.shape))))
        for (k, shape), lo in zip(self.layout, self.offsets):
            if not outs[k].requires_grad:
                continue  # an output outside the graph has a zero Jacobian
            for e in range(int(np.prod(shape))):
                seed = np.zeros(shape)
                seed.flat[e] = 1.0
                (g,) = _grad([outs[k]], [leaves[n]], grad_outputs=[seed], retain_graph=True, allow_unused=True)
                jac[lo + e] = self._checked_grad(slot, g).reshape(-1)
        return jac

    def locate(self, flat_row) -> tuple:
        """(output index, its shape, element index) of a row of the flat output vector."""
        pos = int(np.searchsorted(self.offsets, flat_row, side="right")) - 1
        k, shape = self.layout[pos]
        return k, shape, np.unravel_index(flat_row - self.offsets[pos], shape) if shape else ()

    # ------------------------------------------------------------------ the checks
    def _value_lines(self, a, n, method) -> str:
        labels = ["analytical (backward):", f"numerical ({method}, eps={self.eps:g}):", "|difference|:"]
        width = max(map(len, labels)) + 1
        return (f"  {labels[0]:<{width}}{a: .10e}\n  {labels[1]:<{width}}{n: .10e}\n  {labels[2]:<{width}}"
                f"{abs(a - n): .3e} > allowed atol + rtol * |numerical| = {self.atol + self.rtol * abs(n):.3e} "
                f"(atol={self.atol:g}, rtol={self.rtol:g})")

    def check_jacobian_block(self, n, ana, num, title):
        """Raise a GradcheckError naming the worst entry if the two (n_out, size) blocks differ."""
        bad, score = _out_of_tolerance(ana, num, self.atol, self.rtol)
        if not bad.any():
            return
        slot = self.slots[n]
        row, col = np.unravel_index(int(np.argmax(score)), ana.shape)
        k, out_shape, out_idx = self.locate(int(row))
        in_idx = np.unravel_index(int(col), slot.shape) if slot.shape else ()
        a, v = float(ana[row, col]), float(num[row, col])
        message = (
            f"{title}: the gradient of {slot.label} is wrong.\n"
            f"  worst entry: d {self.output_label(k)}{_fmt_index(out_idx)} / d {slot.ref(in_idx)}"
            f"   ({self.output_label(k)} has shape {tuple(out_shape)})\n"
            f"{self._value_lines(a, v, 'central differences')}\n"
            f"  {int(bad.sum())} of {bad.size} Jacobian entries for this input are out of tolerance."
        )
        raise GradcheckError(message, output_index=k, index=tuple(int(i) for i in in_idx),
                             output_element=tuple(int(i) for i in out_idx), analytical=a, numerical=v,
                             **self._where(slot))

    def check_full(self):
        for n in range(len(self.slots)):
            self.check_jacobian_block(n, self.analytical_jacobian(n), self.numerical_jacobian(n), self.caller)

    def check_vjp(self, upstream_flat, title, analytical=None):
        """Compare u^T J from backward with central differences of u^T f, for every element of every slot."""
        ana = self.analytical_vjp(upstream_flat) if analytical is None else analytical
        for n, slot in enumerate(self.slots):
            a_vec = ana[n].reshape(-1)
            n_vec = self.numerical_vjp(n, upstream_flat)
            bad, score = _out_of_tolerance(a_vec, n_vec, self.atol, self.rtol)
            if not bad.any():
                continue
            j = int(np.argmax(score))
            idx = np.unravel_index(j, slot.shape) if slot.shape else ()
            a, v = float(a_vec[j]), float(n_vec[j])
            message = (
                f"{title}: the gradient of {slot.label} for a random upstream gradient is wrong.\n"
                f"  worst element: {slot.ref(idx)}\n"
                f"{self._value_lines(a, v, 'central differences')}\n"
                f"  {int(bad.sum())} of {bad.size} elements are out of tolerance."
            )
            raise GradcheckError(message, index=tuple(int(i) for i in idx), analytical=a, numerical=v,
                                 **self._where(slot))

    def check_fast(self, seed):
        """Random projections: u^T J v from one backward against one directional difference per slot."""
        rng = np.random.default_rng(seed)
        u = rng.standard_normal(self.n_out)
        u /= max(np.linalg.norm(u), 1e-300)
        ana = self.analytical_vjp(u)
        for n, slot in enumerate(self.slots):
            v = rng.standard_normal(slot.shape)
            v /= max(np.linalg.norm(v), 1e-300)
            a = float(np.sum(ana[n] * v))
            num = float(u @ self.numerical_directional(n, v))
            bad, _ = _out_of_tolerance(np.array(a), np.array(num), self.atol, self.rtol)
            if not bad:
                continue
            located, where = "\n  Run with fast_mode=False to find the wrong entry.", {}
            if self.n_out <= _LOCATE_LIMIT and v.size <= _LOCATE_LIMIT:
                try:
                    self.check_jacobian_block(n, self.analytical_jacobian(n), self.numerical_jacobian(n), self.caller)
                except GradcheckError as full:
                    located = "\n  Located with the full Jacobian:\n  " + str(full).replace("\n", "\n  ")
                    where = {"output_index": full.output_index, "index": full.index,
                             "output_element": full.output_element}
            message = (
                f"{self.caller} (fast mode): the gradient of {slot.label} is wrong.\n"
                f"  u^T J v for random unit vectors u (outputs) and v (this input), seed={seed}:\n"
                f"{self._value_lines(a, num, 'directional difference')}{located}"
            )
            raise GradcheckError(message, analytical=a, numerical=num, **where, **self._where(slot))

    def run(self, fast_mode, seed, raise_exception) -> bool:
        try:
            self.check_fast(seed) if fast_mode else self.check_full()
        except GradcheckError:
            if raise_exception:
                raise
            return False
        finally:
            self.restore()
        return True


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, fast_mode=False, names=None,
              params=None, seed=0) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central finite differences.

    Args:
        fn: takes the inputs (positionally) and returns a Tensor or a tuple of Tensors.
            Integer and bool outputs are ignored; float outputs must be float64.
        inputs: a Tensor or a tuple of arguments for ``fn``. Tensors with ``requires_grad=True``
            are checked and must be float64 (anything else raises ``TypeError``: a float32
            finite difference is mostly rounding error; call ``.double()``). Other arguments
            (constant Tensors, arrays, numbers, ...) are passed through unchanged.
        eps: the finite-difference step.
        atol, rtol: an entry passes when ``|analytical - numerical| <= atol + rtol * |numerical|``.
        raise_exception: raise :class:`GradcheckError` on a mismatch (default) or return False.
        fast_mode: compare ``u^T J v`` for random unit vectors ``u`` (over the outputs) and ``v``
            (per input) instead of the full Jacobian: one backward and two evaluations of ``fn``
            per input, whatever their size. On a failure, small cases are re-checked in full so
            the message still names the wrong entry.
        names: optional names of the inputs, used in messages (e.g. ``("x", "weight")``).
        params: tensors that ``fn`` uses without receiving them as arguments, such as a model's
            parameters: a Tensor, a list of Tensors, ``model.named_parameters()`` or a dict of
            name to Tensor. They are checked too; during the check their ``.data`` is replaced by
            private copies, and the original arrays are put back afterwards.
        seed: seed of the random vectors of fast mode (deterministic by default).

    Returns:
        True when every derivative matches; False on a mismatch if ``raise_exception=False``.

    The full check builds the Jacobian twice: from one backward per output element, and from
    two evaluations of ``fn`` per input element. The caller's arrays are never written to and no
    ``.grad`` is changed.
    """
    checker = _Checker(fn, inputs, names, eps=eps, atol=atol, rtol=rtol, params=params)
    return checker.run(fast_mode, seed, raise_exception)


def _grad_map(fn, n_inputs, diff, n_outputs, params=()):
    """(inputs..., grad_outputs...) -> the gradients of fn's outputs w.r.t. the differentiable inputs
    and ``params``, recorded with create_graph=True so that they can be differentiated once more."""

    def grads_of(*args):
        xs, us = args[:n_inputs], args[n_inputs:]
        outs = _as_outputs(fn(*xs))
        float_outs = [o for o in outs if o.dtype.kind == "f"]
        if len(float_outs) != n_outputs:
            raise RuntimeError("gradgradcheck: fn returned a different number of float outputs on different calls")
        pairs = [(o, u) for o, u in zip(float_outs, us) if o.requires_grad]
        leaves = [xs[i] for i in diff] + list(params)
        grads = [None] * len(leaves)
        if pairs:
            grads = _grad([o for o, _ in pairs], leaves, grad_outputs=[u for _, u in pairs], create_graph=True,
                          allow_unused=True)
        return tuple(Tensor._wrap(np.zeros(x.shape), None) if g is None else g for x, g in zip(leaves, grads))

    return grads_of


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  fast_mode=False, names=None, params=None, seed=0) -> bool:
    """Check second derivatives: :func:`gradcheck` of the map
    ``(inputs, grad_outputs) -> d(sum(outputs * grad_outputs))/d(inputs, params)``.

    The gradients are computed with ``tinygrad_np.grad(..., create_graph=True)``, so this
    checks that backward rules are themselves differentiable, and correctly so.

    Args:
        fn, inputs, eps, atol, rtol, raise_exception, fast_mode, names, params, seed: as for
            :func:`gradcheck`.
        grad_outputs: one upstream gradient per float output of ``fn`` (Tensors or arrays).
            Tensors with ``requires_grad=True`` are checked as well, anything else is a
            constant. By default random float64 Tensors (from ``seed``) that require grad.
    """
    inputs = _as_tuple(inputs)
    base = _Checker(fn, inputs, names, eps=eps, atol=atol, rtol=rtol, params=params, caller="gradgradcheck")
    base.restore()
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(Tensor(rng.standard_normal(shape), requires_grad=True) for _, shape in base.layout)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    if len(grad_outputs) != len(base.layout):
        raise ValueError(f"gradgradcheck: {len(grad_outputs)} grad_outputs for {len(base.layout)} float outputs")
    for u, (_, shape) in zip(grad_outputs, base.layout):
        if tuple(np.shape(u.data if isinstance(u, Tensor) else u)) != shape:
            raise ValueError(f"gradgradcheck: a grad_output has shape {np.shape(u)}, its output has shape {shape}")
    in_names = base.names if base.names else (None,) * len(inputs)
    all_names = tuple(in_names) + tuple(f"grad_outputs[{k}]" for k in range(len(grad_outputs)))
    diff = [s.index for s in base.slots if not s.is_param]
    out_names = [f"grad[{s.name if s.name is not None else f'input {s.index}'}]" for s in base.slots]
    pairs = [(s.name, s.tensor) for s in base.slots if s.is_param]
    grads_of = _grad_map(fn, len(inputs), diff, len(base.layout), [p for _, p in pairs])
    checker = _Checker(grads_of, inputs + tuple(grad_outputs), all_names, eps=eps, atol=atol, rtol=rtol,
                       params=pairs, caller="gradgradcheck", output_names=out_names)
    return checker.run(fast_mode, seed, raise_exception)
