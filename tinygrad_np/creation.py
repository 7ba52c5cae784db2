"""Factories (``zeros``, ``randn``, ...) and the global random generator."""

from __future__ import annotations

import functools
import json
import numbers
import threading

import numpy as np

from . import dtypes
from .dtypes import to_array
from .errors import ArgumentError
from .tensor import Tensor, _shape_args, check_device

__all__ = [
    "manual_seed", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "rand", "randn", "randint",
    "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "from_numpy", "as_tensor",
]


def manual_seed(seed: int) -> Generator:
    """Seed ``default_generator``, the one behind ``rand``, ``randn``, ``randint``, ``multinomial``, layer
    initialisation and dropout; returns it (as ``torch.manual_seed``)."""
    return default_generator.manual_seed(seed)


def generator() -> np.random.Generator:
    """The NumPy generator in use: ``default_generator``'s, or that of the ``generator=`` passed to the
    factory call in progress in this thread."""
    return rng_of(None)


# Every factory takes PyTorch's ``device=``: None or the CPU (anything else is an error, see check_device).
def _make(data: np.ndarray, requires_grad: bool, device=None, what: str = "tensor()") -> Tensor:
    check_device(device, what)
    t = Tensor._wrap(data, None)
    if requires_grad:
        t.requires_grad = True
    return t


def _size(size, what: str) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean shape (2, 3); a negative size is an error, as in PyTorch."""
    shape = _shape_args(size)
    if any(n < 0 for n in shape):
        raise ArgumentError(f"{what}: negative dimension in size {shape}")
    return shape


def _float_dtype(dtype):
    return np.dtype(dtypes.DEFAULT_FLOAT if dtype is None else dtype)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(_size(size, "zeros()"), _float_dtype(dtype)), requires_grad, device, "zeros()")


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.ones(_size(size, "ones()"), _float_dtype(dtype)), requires_grad, device, "ones()")


empty = zeros  # no uninitialised memory: it only hides bugs


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = np.array(fill_value).dtype
        dtype = dtypes.DEFAULT_FLOAT if dtype.kind == "f" else dtype
    return _make(np.full(_size((size,), "full()"), fill_value, dtype=dtype), requires_grad, device, "full()")


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Like ``torch.arange``: integer arguments give int64, any float gives the default float."""
    if end is None:
        start, end = 0, start
    if step == 0 or (end - start) * step < 0:
        raise ArgumentError(f"arange(): step {step} must be nonzero and point from start {start} to end {end}")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.DEFAULT_FLOAT if is_float else np.int64
    return _make(np.arange(start, end, step).astype(dtype), requires_grad, device, "arange()")


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise ArgumentError(f"linspace(): number of steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad, device, "linspace()")


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    if n < 0 or (m is not None and m < 0):
        raise ArgumentError(f"eye(): sizes must be non-negative, got {n} and {m}")
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device, "eye()")


def rand(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    data = _generator.random(_size(size, "rand()")).astype(_float_dtype(dtype))
    return _make(data, requires_grad, device, "rand()")


def randn(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    data = _generator.standard_normal(_size(size, "randn()")).astype(_float_dtype(dtype))
    return _make(data, requires_grad, device, "randn()")


def randint(low, high=None, size=(), dtype=np.int64, device=None, requires_grad=False) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``, as PyTorch."""
    if high is None or (not isinstance(high, numbers.Number) and size == ()):  # randint(high) or randint(high, size)
        low, high, size = 0, low, (size if high is None else high)
    if low >= high:
        raise ArgumentError(f"randint(): low ({low}) must be less than high ({high})")
    shape = _size((size,), "randint()") if size != () else ()
    return _make(_generator.integers(low, high, size=shape).astype(dtype), requires_grad, device, "randint()")


def zeros_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(np.shape(t), dtype or _like_dtype(t)), requires_grad, device, "zeros_like()")


def ones_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.ones(np.shape(t), dtype or _like_dtype(t)), requires_grad, device, "ones_like()")


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.full(np.shape(t), fill_value, dtype or _like_dtype(t)), requires_grad, device, "full_like()")


def rand_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return rand(np.shape(t), dtype=dtype or _like_dtype(t), device=device, requires_grad=requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(np.shape(t), dtype=dtype or _like_dtype(t), device=device, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """Wrap an array without copying (changes to one show in the other, as in PyTorch)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy(): expected an ndarray, got {type(array).__name__}")
    return Tensor._wrap(array, None)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a Tensor, sharing its memory when it can, as ``torch.as_tensor``: a Tensor of the
    asked dtype comes back as it is, and a NumPy array of a numeric dtype (cast first, if another
    dtype is asked) is wrapped without a copy; other data (lists, scalars) is copied as by ``tensor``."""
    check_device(device, "as_tensor()")
    dtype = None if dtype is None else np.dtype(dtype)
    if isinstance(data, Tensor):
        return data if dtype is None else data.astype(dtype)
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor._wrap(data if dtype is None else data.astype(dtype, copy=False), None)
    return Tensor._wrap(to_array(data, dtype), None)


def _like_dtype(t):
    return t.dtype if hasattr(t, "dtype") else np.asarray(t).dtype


# ---------------------------------------------------------------- generators and sampling (issue 11, section 2)
__all__ += ["Generator", "default_generator", "seed", "initial_seed", "get_rng_state", "set_rng_state", "randperm",
            "normal", "multinomial", "bernoulli"]


def _cpu_only(device, name: str) -> None:
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ArgumentError(f"{name}(): tinygrad_np runs on the CPU only, not on {device!r}")


class Generator:
    """A seeded source of random numbers, as ``torch.Generator``: pass it as ``generator=`` to ``rand``,
    ``randn``, ``randint``, ``randperm``, ``normal``, ``multinomial``, ``bernoulli``, ``Tensor.normal_``, ...
    so that their draws are reproducible without touching the global seed::

        g = tinygrad_np.Generator().manual_seed(0)
        x = tinygrad_np.randn(3, generator=g)
    """

    def __init__(self, device="cpu"):
        _cpu_only(device, "Generator")
        self.manual_seed(np.random.SeedSequence().entropy % 2**64)

    @property
    def device(self) -> str:
        return "cpu"

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed`` (an int in [-2**63, 2**64)); returns the generator itself."""
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or not -2**63 <= seed < 2**64:
            raise ArgumentError(f"manual_seed(): the seed must be an int in [-2**63, 2**64), got {seed!r}")
        self._seed = int(seed) % 2**64  # a negative seed counts as its 64-bit two's complement, as in PyTorch
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Restart from a fresh nondeterministic seed, and return it."""
        fresh = np.random.SeedSequence().entropy % 2**64
        self.manual_seed(fresh)
        return fresh

    def initial_seed(self) -> int:
        """The seed the generator last started from."""
        return self._seed

    def get_state(self) -> Tensor:
        """The full state as a uint8 tensor, for :meth:`set_state` (the draws then repeat)."""
        text = json.dumps({"seed": self._seed, "state": self._rng.bit_generator.state})
        return Tensor._wrap(np.frombuffer(text.encode(), dtype=np.uint8).copy(), None)

    def set_state(self, state) -> Generator:
        """Go back to a state from :meth:`get_state`."""
        data = np.asarray(state.data if isinstance(state, Tensor) else state)
        try:
            saved = json.loads(data.astype(np.uint8).tobytes().decode())
            rng = np.random.default_rng()
            rng.bit_generator.state = saved["state"]
            self._seed = int(saved["seed"])
        except (ValueError, TypeError, KeyError, UnicodeDecodeError, AttributeError):
            raise ArgumentError("set_state(): not a state from Generator.get_state()") from None
        self._rng = rng
        return self

    def __repr__(self):
        return f"<tinygrad_np.Generator seed={self._seed}>"


default_generator = Generator()
_in_call = threading.local()  # .rng: the generator= of the factory call in progress in this thread


def rng_of(generator=None) -> np.random.Generator:
    """The NumPy generator to draw from: that of ``generator`` (a :class:`Generator`; a NumPy generator
    is taken as it is) or, for None, the one in use (see :func:`generator`)."""
    if generator is None:
        rng = getattr(_in_call, "rng", None)
        return default_generator._rng if rng is None else rng
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a tinygrad_np.Generator, got {type(generator).__name__}")


class _InUse:
    """What the factories above draw from (``_generator.random(...)``): the generator in use, looked up
    at each draw, so that ``manual_seed`` and ``generator=`` reach them."""

    def __getattr__(self, name):
        return getattr(rng_of(None), name)


_generator = _InUse()


def _takes_generator(factory):
    """``factory`` with a ``generator=`` keyword: during the call, its draws (and those of anything it
    calls) come from that generator, in this thread only."""

    @functools.wraps(factory)
    def with_generator(*args, generator=None, **kwargs):
        if generator is None:
            return factory(*args, **kwargs)
        previous, _in_call.rng = getattr(_in_call, "rng", None), rng_of(generator)
        try:
            return factory(*args, **kwargs)
        finally:
            _in_call.rng = previous

    return with_generator


rand, randn, randint, rand_like, randn_like = map(_takes_generator, (rand, randn, randint, rand_like, randn_like))


def seed() -> int:
    """Reseed ``default_generator`` nondeterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed ``default_generator`` last started from."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def randperm(n: int, *, generator=None, dtype=np.int64, requires_grad=False, device=None) -> Tensor:
    """A random permutation of 0 .. n-1."""
    _cpu_only(device, "randperm")
    if n < 0:
        raise ArgumentError(f"randperm(): n must be non-negative, got {n}")
    return _make(rng_of(generator).permutation(int(n)).astype(dtype), requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Samples of N(mean, std²): ``mean`` and ``std`` are numbers (then ``size`` is the shape) or tensors,
    broadcast together (a float tensor sets the dtype). No gradient flows to them, as in PyTorch."""
    _cpu_only(device, "normal")
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if tensors and size is not None:
        raise TypeError("normal(): size is only for numbers mean and std; the tensors give the shape")
    if not tensors and size is None:
        raise TypeError("normal(): give size when mean and std are numbers")
    mean_, std_ = (v.data if isinstance(v, Tensor) else v for v in (mean, std))
    if np.any(np.asarray(std_) < 0):
        raise ArgumentError("normal(): std must be non-negative")
    if dtype is None:
        floats = [t.dtype for t in tensors if t.dtype.kind == "f"]
        dtype = floats[0] if floats else _float_dtype(None)
    shape = np.broadcast_shapes(*(np.shape(v) for v in (mean_, std_))) if tensors else _shape_args((size,))
    return _make(rng_of(generator).normal(mean_, std_, shape).astype(dtype), requires_grad)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Draw ``num_samples`` category indices from each row of weights ``input`` (1-D or 2-D, not
    necessarily summing to 1): with ``replacement``, independently; without, each category at most
    once, zero-weight categories last. An int64 tensor of shape (num_samples,) or (rows, num_samples)."""
    weights = input.data if isinstance(input, Tensor) else np.asarray(input)
    if weights.dtype.kind != "f":
        raise ArgumentError(f"multinomial(): only supports floating-point weights, got {weights.dtype}")
    if weights.ndim not in (1, 2):
        raise ArgumentError(f"multinomial(): the weights must be 1-D or 2-D, got {weights.ndim}-D")
    if num_samples <= 0:
        raise ArgumentError(f"multinomial(): cannot sample {num_samples} <= 0 samples")
    rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    if not replacement and num_samples > rows.shape[1]:
        raise ArgumentError(f"multinomial(): cannot sample {num_samples} > {rows.shape[1]} samples without "
                            f"replacement")
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ArgumentError("multinomial(): the weights contain inf, nan or an element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise ArgumentError("multinomial(): invalid distribution (sum of the weights <= 0)")
    rng = rng_of(generator)
    if replacement:  # invert each row's cumulative sum at uniform points of [0, total)
        cumulative = np.cumsum(rows, axis=1)
        points = rng.random((len(rows), num_samples)) * cumulative[:, -1:]
        drawn = np.stack([np.searchsorted(c, p, side="right") for c, p in zip(cumulative, points)]) \
            if len(rows) else np.zeros((0, num_samples), np.int64)
    else:  # the categories with the largest log(weight) + Gumbel noise are a draw without replacement
        with np.errstate(divide="ignore"):
            keys = np.log(rows) - np.log(-np.log(rng.random(rows.shape)))
        drawn = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._wrap(drawn.astype(np.int64).reshape(weights.shape[:-1] + (num_samples,)), None)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or with probability ``p`` everywhere, if given), else 0; of
    ``input``'s shape and (float) dtype. The result carries no gradient."""
    probs = input.data if isinstance(input, Tensor) else np.asarray(input)
    dtype = probs.dtype
    if dtype.kind != "f":
        raise ArgumentError(f"bernoulli(): not implemented for {dtype} tensors (floating point only)")
    if p is not None:
        probs = np.full(probs.shape, p, dtype=np.float64)
    if not ((probs >= 0) & (probs <= 1)).all():
        raise ArgumentError("bernoulli(): the probabilities must be in [0, 1]")
    return Tensor._wrap((rng_of(generator).random(probs.shape) < probs).astype(dtype), None)
