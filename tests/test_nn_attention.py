"""scaled_dot_product_attention and MultiheadAttention against NumPy references written from
PyTorch's definitions: masks, causal attention, fully masked rows, dropout, state-dict names,
gradients (gradcheck / gradgradcheck in float64) and errors."""

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def softmax_ref(s, zero_if_all_masked):
    top = s.max(axis=-1, keepdims=True)
    dead = np.isneginf(top)
    with np.errstate(invalid="ignore"):
        e = np.exp(s - np.where(dead, 0.0, top))
        p = e / e.sum(axis=-1, keepdims=True)
    return np.where(dead, 0.0, p) if zero_if_all_masked else p


def sdpa_ref(q, k, v, mask=None, causal=False, scale=None, zero_if_all_masked=True):
    """PyTorch's definition: softmax(q k^T * scale + bias) v; bool masks say where attention is allowed."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], dtype=bool)), s, -np.inf)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    return softmax_ref(s, zero_if_all_masked) @ v


def qkv(*lead, length=4, keys=6, e=5, ev=3):
    return (RNG.standard_normal(lead + (length, e)), RNG.standard_normal(lead + (keys, e)),
            RNG.standard_normal(lead + (keys, ev)))


def t64(a):
    return tg.Tensor(a, requires_grad=True)


# ----------------------------------------------------------------------------- scaled_dot_product_attention
def test_sdpa_matches_the_reference_and_keeps_float32():
    q, k, v = qkv(2, 3)
    np.testing.assert_allclose(F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k), tg.tensor(v)).data,
                               sdpa_ref(q, k, v), rtol=1e-12)
    out = F.scaled_dot_product_attention(*(tg.tensor(a.astype(np.float32)) for a in (q, k, v)))
    assert out.dtype == np.float32 and out.shape == (2, 3, 4, 3)
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v), rtol=1e-5, atol=1e-6)
    two_d = F.scaled_dot_product_attention(tg.tensor(q[0, 0]), tg.tensor(k[0, 0]), tg.tensor(v[0, 0]))
    np.testing.assert_allclose(two_d.data, sdpa_ref(q[0, 0], k[0, 0], v[0, 0]), rtol=1e-12)


@pytest.mark.parametrize("length, keys", [(4, 6), (6, 4), (5, 5)])
def test_sdpa_is_causal_is_the_top_left_tril(length, keys):
    q, k, v = qkv(2, length=length, keys=keys)
    out = F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k), tg.tensor(v), is_causal=True)
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v, causal=True), rtol=1e-12)
    # the first query sees only the first key
    np.testing.assert_allclose(out.data[:, 0], v[:, 0], rtol=1e-12)


def test_sdpa_bool_and_float_masks_and_scale():
    q, k, v = qkv(2, 3)
    allowed = RNG.random((4, 6)) > 0.5
    allowed[:, 0] = True
    out = F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k), tg.tensor(v), attn_mask=allowed, scale=0.3)
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v, allowed, scale=0.3), rtol=1e-12)
    bias = RNG.standard_normal((3, 4, 6))  # broadcast over the batch
    out = F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k), tg.tensor(v), attn_mask=tg.tensor(bias))
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v, bias), rtol=1e-12)
    # a bool mask equals the float mask with -inf where attention is not allowed
    as_float = np.where(allowed, 0.0, -np.inf)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, attn_mask=as_float).data,
                               F.scaled_dot_product_attention(q, k, v, attn_mask=allowed).data, rtol=1e-12)


def test_sdpa_a_query_with_nothing_to_attend_to_gets_zeros_and_zero_gradients():
    q, k, v = qkv(2)
    allowed = np.ones((4, 6), dtype=bool)
    allowed[1] = False
    tq, tk, tv = t64(q), t64(k), t64(v)
    out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=allowed)
    assert not np.isnan(out.data).any()
    np.testing.assert_array_equal(out.data[:, 1], 0.0)
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v, allowed), rtol=1e-12)
    out.backward(RNG.standard_normal(out.shape))
    np.testing.assert_array_equal(tq.grad.data[:, 1], 0.0)
    assert not np.isnan(tk.grad.data).any()
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=allowed), (tq, tk, tv))


def test_sdpa_masks_a_key_even_when_its_score_is_infinite():
    q, k, v = np.ones((1, 2)), np.array([[1e308], [1.0]]) * np.ones((2, 2)), np.array([[5.0], [7.0]])
    with np.errstate(over="ignore"):
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=np.array([[False, True]]))
    np.testing.assert_array_equal(out.data, [[7.0]])


def test_sdpa_grouped_query_attention_shares_each_key_head():
    q, k, v = RNG.standard_normal((2, 6, 4, 5)), RNG.standard_normal((2, 3, 6, 5)), RNG.standard_normal((2, 3, 6, 2))
    out = F.scaled_dot_product_attention(tg.tensor(q), tg.tensor(k), tg.tensor(v), enable_gqa=True)
    repeat = np.repeat  # key head j serves query heads 2j and 2j + 1
    np.testing.assert_allclose(out.data, sdpa_ref(q, repeat(k, 2, axis=1), repeat(v, 2, axis=1)), rtol=1e-12)
    with pytest.raises(ValueError, match="multiple"):
        F.scaled_dot_product_attention(q, np.tile(k, (1, 2, 1, 1))[:, :4], v, enable_gqa=True)


def test_sdpa_empty_batch_and_no_keys():
    assert F.scaled_dot_product_attention(*qkv(0)).shape == (0, 4, 3)
    assert F.scaled_dot_product_attention(*qkv(2, length=0)).shape == (2, 0, 3)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(*qkv(2, keys=0)).data, np.zeros((2, 4, 3)))


def test_sdpa_dropout_drops_attention_weights():
    q, k, v = qkv(2)
    tg.manual_seed(3)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    tg.manual_seed(3)
    weights = tg.tensor(sdpa_ref(q, k, np.broadcast_to(np.eye(6), (2, 6, 6))))  # the softmax weights themselves
    np.testing.assert_allclose(out.data, (F.dropout(weights, 0.4).data @ v), rtol=1e-12)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).data, 0.0)


def test_sdpa_gradients():
    q, k, v = qkv(2)
    bias = RNG.standard_normal((4, 6))
    args = (t64(q), t64(k), t64(v), t64(bias))
    assert gradcheck(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, attn_mask=m), args)
    assert gradgradcheck(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, attn_mask=m), args)
    causal = (t64(q), t64(k), t64(v))
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True, scale=0.7), causal)
    assert gradgradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), causal)


def test_sdpa_errors():
    q, k, v = qkv(2)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 6), bool), is_causal=True)
    with pytest.raises(TypeError, match="same dtype"):
        F.scaled_dot_product_attention(q.astype(np.float32), k, v)
    with pytest.raises(ValueError, match="do not fit"):
        F.scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match="do not fit"):
        F.scaled_dot_product_attention(q, k, v[:, :5])
    with pytest.raises(ValueError, match="at least 2"):
        F.scaled_dot_product_attention(q[0, 0], k[0], v[0])
    with pytest.raises(TypeError, match="bool or float"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 6), np.int64))
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(TypeError, match="floating-point"):
        F.scaled_dot_product_attention(np.ones((2, 2), np.int64), k[0], v[0])


# ----------------------------------------------------------------------------- MultiheadAttention
def mha_ref(m, query, key, value, key_padding_mask=None, attn_mask=None, average=True, zero_if_all_masked=False):
    """MultiheadAttention from its definition, with the module's parameters, on (N, L, E) arrays."""
    p = {name: v.data for name, v in m.named_parameters()}
    e, heads = m.embed_dim, m.num_heads
    d = e // heads
    if "in_proj_weight" in p:
        wq, wk, wv = np.split(p["in_proj_weight"], 3)
    else:
        wq, wk, wv = p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]
    bq, bk, bv = np.split(p["in_proj_bias"], 3) if "in_proj_bias" in p else (0, 0, 0)
    q, k, v = query @ wq.T + bq, key @ wk.T + bk, value @ wv.T + bv
    n, length, keys = q.shape[0], q.shape[1], k.shape[1]
    bias = np.zeros((n, heads, length, keys))
    if attn_mask is not None:
        am = np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == bool else attn_mask
        bias = bias + (am.reshape(n, heads, length, keys) if am.ndim == 3 else am)
    if key_padding_mask is not None:
        bias = bias + np.where(key_padding_mask, -np.inf, 0.0)[:, None, None, :]
    if "bias_k" in p:
        k = np.concatenate([k, np.broadcast_to(p["bias_k"], (n, 1, e))], 1)
        v = np.concatenate([v, np.broadcast_to(p["bias_v"], (n, 1, e))], 1)
        bias = np.pad(bias, ((0, 0),) * 3 + ((0, 1),))
    q, k, v = (a.reshape(n, a.shape[1], heads, d).transpose(0, 2, 1, 3) for a in (q, k, v))
    if m.add_zero_attn:
        k, v = (np.concatenate([a, np.zeros((n, heads, 1, d))], 2) for a in (k, v))
        bias = np.pad(bias, ((0, 0),) * 3 + ((0, 1),))
    w = softmax_ref(q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias, zero_if_all_masked)
    out = (w @ v).transpose(0, 2, 1, 3).reshape(n, length, e) @ p["out_proj.weight"].T
    out = out + p.get("out_proj.bias", 0)
    return out, (w.mean(1) if average else w)


def test_mha_parameters_have_pytorchs_names_shapes_and_initialisation():
    m = nn.MultiheadAttention(8, 2)
    assert [(k, v.shape) for k, v in m.state_dict().items()] == [
        ("in_proj_weight", (24, 8)), ("in_proj_bias", (24,)), ("out_proj.weight", (8, 8)), ("out_proj.bias", (8,))]
    assert list(nn.MultiheadAttention(8, 2, kdim=3, vdim=5).state_dict()) == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert nn.MultiheadAttention(8, 2, kdim=3).k_proj_weight.shape == (8, 3)
    assert list(nn.MultiheadAttention(8, 2, add_bias_kv=True).state_dict()) == [
        "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]
    assert list(nn.MultiheadAttention(8, 2, bias=False).state_dict()) == ["in_proj_weight", "out_proj.weight"]
    np.testing.assert_array_equal(m.in_proj_bias.data, 0.0)
    np.testing.assert_array_equal(m.out_proj.bias.data, 0.0)
    assert np.abs(m.in_proj_weight.data).max() <= math.sqrt(6 / (8 + 24))  # Xavier-uniform over (3E, E)
    assert m.in_proj_weight.dtype == np.float32
    assert nn.MultiheadAttention(4, 2, dtype=np.float64).out_proj.weight.dtype == np.float64
    assert "(out_proj): Linear(in_features=8, out_features=8, bias=True)" in repr(m)


CASES = [
    ({}, {}),
    ({"batch_first": True}, {"average_attn_weights": False}),
    ({"kdim": 3, "vdim": 2}, {"key_padding_mask": "padding"}),
    ({"bias": False}, {"attn_mask": "causal"}),
    ({"add_bias_kv": True, "add_zero_attn": True}, {"attn_mask": "float", "key_padding_mask": "padding"}),
    ({}, {"attn_mask": "per head"}),
]


def make_case(kwargs, call, n=2, length=3, keys=4, e=4, heads=2):
    m = nn.MultiheadAttention(e, heads, **kwargs).double()
    x = RNG.standard_normal((n, length, e))
    mem_k = RNG.standard_normal((n, keys, kwargs.get("kdim", e)))
    mem_v = RNG.standard_normal((n, keys, kwargs.get("vdim", e)))
    padding = np.zeros((n, keys), dtype=bool)
    padding[0, -2:] = True
    masks = {"padding": padding, "causal": np.triu(np.ones((length, keys), dtype=bool), 1),
             "float": RNG.standard_normal((length, keys)), "per head": RNG.standard_normal((n * heads, length, keys))}
    call = {name: masks[v] if isinstance(v, str) else v for name, v in call.items()}
    return m, x, mem_k, mem_v, call


@pytest.mark.parametrize("kwargs, call", CASES)
def test_mha_matches_the_reference(kwargs, call):
    m, x, mem_k, mem_v, call = make_case(kwargs, call)
    inputs = [x, mem_k, mem_v] if kwargs.get("batch_first") else [a.transpose(1, 0, 2) for a in (x, mem_k, mem_v)]
    out, w = m(*(tg.tensor(a) for a in inputs), **call)
    ref_out, ref_w = mha_ref(m, x, mem_k, mem_v, call.get("key_padding_mask"), call.get("attn_mask"),
                             call.get("average_attn_weights", True))
    np.testing.assert_allclose(out.data if kwargs.get("batch_first") else out.data.transpose(1, 0, 2), ref_out,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.data, ref_w, rtol=1e-10, atol=1e-12)


def test_mha_self_attention_unbatched_and_need_weights():
    m = nn.MultiheadAttention(6, 3, dtype=np.float64)
    x = RNG.standard_normal((5, 6))
    out, w = m(tg.tensor(x), tg.tensor(x), tg.tensor(x))
    ref_out, ref_w = mha_ref(m, x[None], x[None], x[None])
    assert out.shape == (5, 6) and w.shape == (5, 5)
    np.testing.assert_allclose(out.data, ref_out[0], rtol=1e-10)
    np.testing.assert_allclose(w.data, ref_w[0], rtol=1e-10)
    out2, none = m(tg.tensor(x), tg.tensor(x), tg.tensor(x), need_weights=False)
    assert none is None
    np.testing.assert_allclose(out2.data, out.data, rtol=1e-12)
    assert m(tg.tensor(x), tg.tensor(x), tg.tensor(x), average_attn_weights=False)[1].shape == (3, 5, 5)
    f32 = nn.MultiheadAttention(6, 3)
    out, w = f32(*(tg.tensor(x.astype(np.float32)),) * 3)
    assert out.dtype == np.float32 and w.dtype == np.float32


def test_mha_fully_masked_query_is_nan_with_weights_and_zero_without():
    m, x, _, _, _ = make_case({}, {})
    padding = np.zeros((2, 3), dtype=bool)
    padding[1] = True  # the second sequence may attend to nothing
    seq = tg.tensor(x.transpose(1, 0, 2))
    with np.errstate(invalid="ignore"):
        out, w = m(seq, seq, seq, key_padding_mask=padding)
    assert np.isnan(out.data[:, 1]).all() and np.isnan(w.data[1]).all()  # PyTorch's softmax of all -inf
    assert not np.isnan(out.data[:, 0]).any()
    out, _ = m(seq, seq, seq, key_padding_mask=padding, need_weights=False)  # PyTorch's fused path: zeros
    np.testing.assert_allclose(out.data[:, 1], np.broadcast_to(m.out_proj.bias.data, (3, 4)))


def test_mha_is_causal_is_a_hint_that_needs_the_mask():
    m, x, _, _, _ = make_case({}, {})
    seq = tg.tensor(x.transpose(1, 0, 2))
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    with pytest.raises(ValueError, match="attn_mask"):
        m(seq, seq, seq, is_causal=True)
    np.testing.assert_array_equal(m(seq, seq, seq, attn_mask=causal, is_causal=True)[0].data,
                                  m(seq, seq, seq, attn_mask=causal)[0].data)


def test_mha_dropout_in_training_only_and_the_weights_are_dropped():
    m = nn.MultiheadAttention(4, 2, dropout=0.5, dtype=np.float64)
    x = tg.tensor(RNG.standard_normal((3, 2, 4)))
    m.eval()
    _, w_eval = m(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(w_eval.data.sum(-1), 1.0)
    m.train()
    _, w_train = m(x, x, x, average_attn_weights=False)
    kept = w_train.data != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(w_train.data[kept], 2 * w_eval.data[kept], rtol=1e-12)  # scaled by 1 / (1 - p)


@pytest.mark.parametrize("kwargs, call", [CASES[0], CASES[2], CASES[4]])
def test_mha_gradcheck_inputs_and_parameters(kwargs, call):
    m, x, mem_k, mem_v, call = make_case(kwargs, call, n=2, length=2, keys=3)
    args = (t64(x.transpose(1, 0, 2)), t64(mem_k.transpose(1, 0, 2)), t64(mem_v.transpose(1, 0, 2)))
    assert gradcheck(lambda a, b, c: m(a, b, c, **call)[0], args, params=m.named_parameters())
    assert gradcheck(lambda a, b, c: m(a, b, c, **call)[1], args, params=m.named_parameters())


def test_mha_gradgradcheck():
    m, x, _, _, _ = make_case({}, {}, n=1, length=2)
    seq = t64(x.transpose(1, 0, 2))
    assert gradgradcheck(lambda a: m(a, a, a)[0], (seq,), fast_mode=True)


def test_mha_state_dict_round_trip_gives_the_same_outputs():
    a, b = nn.MultiheadAttention(4, 2, add_bias_kv=True), nn.MultiheadAttention(4, 2, add_bias_kv=True)
    b.load_state_dict(a.state_dict())
    x = tg.randn(3, 2, 4)
    np.testing.assert_array_equal(a(x, x, x)[0].data, b(x, x, x)[0].data)


def test_mha_errors():
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="CPU only"):
        nn.MultiheadAttention(4, 2, device="cuda")
    m = nn.MultiheadAttention(4, 2)
    x = tg.randn(3, 2, 4)
    with pytest.raises(ValueError, match="feature sizes"):
        m(tg.randn(3, 2, 3), x, x)
    with pytest.raises(ValueError, match="3-D"):
        m(tg.randn(4), tg.randn(4), tg.randn(4))
    with pytest.raises(ValueError, match="attn_mask must have shape"):
        m(x, x, x, attn_mask=np.zeros((2, 3, 3), dtype=bool))
    with pytest.raises(ValueError, match="key_padding_mask must have shape"):
        m(x, x, x, key_padding_mask=np.zeros((3, 2), dtype=bool))
    with pytest.raises(TypeError, match="bool or float"):
        m(x, x, x, attn_mask=np.zeros((3, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="batch and sequence"):
        m(x, x, tg.randn(4, 2, 4))
