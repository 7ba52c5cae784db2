"""PyTorch conveniences the op database (tinygrad_np.testing.opinfo) does not describe: the CPU-only
device API, max/min(dim)'s named (values, indices) result, and small helpers (bmm, new_*, type, is_tensor,
numel, expand_as, inference_mode). The ops themselves are checked from the table by tests/test_opinfo.py."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor


def test_cpu_is_the_only_device():
    x = Tensor([1.0, 2.0])
    assert x.device == "cpu" and x.cpu() is x and x.to("cpu") is x and x.to(device="cpu") is x
    assert x.to("cpu", tg.float64).dtype == np.float64 and x.to(Tensor(np.zeros(1))).dtype == np.float64
    with pytest.raises(ValueError, match="CPU only"):
        x.to("cuda")


def test_max_and_min_with_dim_return_values_and_indices_as_in_pytorch():
    x = Tensor(np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]]), requires_grad=True)
    _, predicted = tg.max(x, 1)  # the classic accuracy idiom
    assert predicted.tolist() == [1, 0] and predicted.dtype == np.int64
    values, indices = x.max(dim=1, keepdim=True)
    assert values.tolist() == [[5.0], [7.0]] and indices.tolist() == [[1], [0]]
    x.max(1).values.sum().backward()  # the gradient goes to the returned (first) index, as in PyTorch
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    x.grad = None
    x.min(0).values.sum().backward()
    assert x.min(0).indices.tolist() == [0, 1, 0] and x.grad.tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    # the NumPy forms and max() give values only, and tied maxima share the gradient
    x.grad = None
    x.max(axis=1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]]
    assert x.max().item() == 7.0 and x.amax(1).tolist() == [5.0, 7.0] and x.amin(dim=(0, 1)).item() == 1.0
    np.testing.assert_array_equal(x.max(Tensor(np.full((2, 3), 3.0))).data, np.maximum(x.data, 3.0))  # max(other)


def test_small_pytorch_conveniences():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert tg.bmm(tg.randn(2, 3, 4), tg.randn(2, 4, 5)).shape == (2, 3, 5)
    with pytest.raises(ValueError, match="bmm"):
        x.bmm(x)
    z = x.new_zeros(2, 2)
    assert z.dtype == np.float64 and not z.requires_grad and x.new_ones((3,)).tolist() == [1.0, 1.0, 1.0]
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype == np.float64
    assert x.type() == "float64" and x.type(np.float32).dtype == np.float32
    assert tg.is_tensor(x) and not tg.is_tensor(x.data) and tg.numel(x) == 6
    assert tg.randn(1, 3).expand_as(x).shape == (2, 3)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    assert tg.nn.functional.gelu(Tensor(np.float64(1.0))).item() == pytest.approx(0.8413447460685429)
    with pytest.raises(ValueError, match="approximate"):
        tg.nn.functional.gelu(x, approximate="fast")


def test_seed_reseeds_the_default_generator_and_returns_the_seed():
    try:
        fresh = tg.seed()
        assert isinstance(fresh, int) and 0 <= fresh < 2**64 and tg.initial_seed() == fresh
        assert tg.default_generator.initial_seed() == fresh
        first = tg.rand(3).tolist()
        tg.manual_seed(fresh)  # the same seed again gives the same draws
        assert tg.rand(3).tolist() == first
    finally:
        tg.manual_seed(0)


# ============================================================================ regressions found by the op table
def test_index_select_of_a_0d_tensor_is_0d_and_out_of_range_raises_index_error():
    x = Tensor(np.float64(1.5), requires_grad=True)
    for index in ([0], 0):
        out = x.index_select(0, Tensor(np.array(index)))
        assert out.shape == () and out.item() == 1.5  # was (1,) for a 1-element index; PyTorch: ()
    out.backward()
    assert x.grad.item() == 1.0
    with pytest.raises(RuntimeError, match="1 value"):
        x.index_select(0, Tensor(np.array([0, 0])))
    with pytest.raises(IndexError):  # PyTorch's class here (not RuntimeError, as for scatter and index_add)
        Tensor(np.ones(3)).index_select(0, Tensor(np.array([3])))
    with pytest.raises(RuntimeError):
        Tensor(np.ones((2, 3))).index_add(0, Tensor(np.array([2])), Tensor(np.ones((1, 3))))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int32, np.int64])
def test_scatter_reduce_mean_of_integers_keeps_the_dtype_and_rounds_down(dtype):
    x = Tensor(np.array([[7, 2, 3]], dtype))
    src = np.array([[-11, 0]] if np.dtype(dtype).kind == "i" else [[200, 100]], dtype)
    out = x.scatter_reduce(1, Tensor(np.array([[0, 0]])), Tensor(src), "mean")
    # PyTorch: the group (7, -11, 0) averages to floor(-4/3) = -2; uint8 (7 + 200 + 100) wraps to 51, 51 // 3 = 17
    assert out.dtype == dtype and out.tolist() == [[-2 if np.dtype(dtype).kind == "i" else 17, 2, 3]]


def test_hypot_gradient_at_the_origin_is_nan_without_a_warning():
    import warnings

    a, b = Tensor(np.array([0.0, 3.0]), requires_grad=True), Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's "invalid value encountered in divide" was raised here
        tg.hypot(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [np.nan, 0.6])
    np.testing.assert_array_equal(b.grad.data, [np.nan, 0.8])


def test_trace_dot_and_fmod_refuse_bool_tensors_as_pytorch():
    for call in (lambda: tg.trace(Tensor(np.eye(2, dtype=bool))),
                 lambda: tg.dot(Tensor(np.ones(2, bool)), Tensor(np.ones(2, bool)))):
        with pytest.raises(RuntimeError, match="bool"):  # PyTorch: NotImplementedError, a RuntimeError
            call()
    assert tg.trace(Tensor(np.eye(2, dtype=np.int8))).item() == 2  # integers are fine (int64, as PyTorch)
    with pytest.raises(RuntimeError, match="bool"):  # fmod of two bools: not implemented, as in PyTorch
        tg.fmod(Tensor([True, True]), True)
    assert tg.fmod(Tensor([True, True]), 2).tolist() == [1, 1]  # a bool and an int: int64
