"""Attention: ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention``, composed from
matmuls, ``where`` and softmax, with PyTorch's masks, parameter names and results."""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import named_call
from ..errors import ArgumentError
from ..tensor import Tensor, cat, pad_, where
from . import functional as F
from . import init
from .layers import Linear
from .module import Module, Parameter, check_device

__all__ = ["scaled_dot_product_attention", "MultiheadAttention"]


def _softmax(scores: Tensor, zero_if_all_masked: bool) -> Tensor:
    """Softmax over the keys (the last axis). A row whose scores are all -inf (nothing to attend
    to) is NaN, or, with ``zero_if_all_masked``, all zeros with a zero gradient: what PyTorch's
    scaled_dot_product_attention gives."""
    if scores.shape[-1] == 0:
        return scores  # no keys: the product with the (empty) values is zero
    if zero_if_all_masked:
        dead = np.isneginf(scores.data.max(axis=-1, keepdims=True))
        if dead.any():  # softmax of 0s there (finite, no NaN in its gradient), then zeroed
            return where(dead, 0.0, where(dead, 0.0, scores).softmax(-1))
    return scores.softmax(-1)


def _as_bias(mask, dtype, name: str, masked_when: bool) -> Tensor:
    """A bool mask as an additive bias (-inf where the mask is ``masked_when``, else 0), or a
    float mask as it is (cast to ``dtype``; a Tensor mask keeps its gradient)."""
    m = F._tensor(mask, name)
    if m.dtype == np.bool_:
        return Tensor._wrap(np.where(m.data == masked_when, -np.inf, 0).astype(dtype), None)
    if m.dtype.kind != "f":
        raise TypeError(f"{name} must be a bool or float tensor, got dtype {m.dtype}")
    return m.astype(dtype)


@named_call("scaled_dot_product_attention")
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False,
                                 scale=None, enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + bias) @ value`` for query (..., L, E), key (..., S, E) and
    value (..., S, Ev); the result is (..., L, Ev). As ``torch.nn.functional.scaled_dot_product_attention``:

    * ``scale`` defaults to ``1 / sqrt(E)``;
    * ``is_causal=True``: query i attends to keys 0..i (``tril`` of an (L, S) grid of ones);
    * ``attn_mask`` (broadcastable to (..., L, S)): bool, True where attention is allowed, or
      float, added to the scores (a float Tensor mask gets its gradient, e.g. a learned bias);
    * a query with no allowed key gets zeros (and a zero gradient), not NaN;
    * ``dropout_p > 0`` drops attention weights (global generator) and scales the rest by 1/(1-p):
      pass ``dropout_p=0.0`` when not training, as with PyTorch;
    * ``enable_gqa=True``: key and value may have fewer heads (axis -3) than query, each shared by
      a group of query heads (grouped-query attention).
    """
    q = F._float_tensor(query, "scaled_dot_product_attention", "query")
    k = F._float_tensor(key, "scaled_dot_product_attention", "key")
    v = F._float_tensor(value, "scaled_dot_product_attention", "value")
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ArgumentError(f"scaled_dot_product_attention(): query, key and value must have at least 2 dimensions, "
                            f"got shapes {q.shape}, {k.shape}, {v.shape}")
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"scaled_dot_product_attention(): query, key and value must have the same dtype, got "
                        f"{q.dtype}, {k.dtype} and {v.dtype}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ArgumentError(f"scaled_dot_product_attention(): query (..., L, E), key (..., S, E) and value "
                            f"(..., S, Ev) do not fit: shapes {q.shape}, {k.shape}, {v.shape}")
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention(): give attn_mask or is_causal=True, not both")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"scaled_dot_product_attention(): dropout_p must be in [0, 1], got {dropout_p}")
    if enable_gqa:
        k, v = _share_heads(q, k), _share_heads(q, v)
    length, keys = q.shape[-2], k.shape[-2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q * scale) @ k.transpose(-2, -1)  # scaling q (L x E) is cheaper than the scores (L x S)
    if is_causal:
        scores = where(np.tril(np.ones((length, keys), dtype=bool)), scores, -np.inf)
    elif attn_mask is not None:
        mask = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if mask.dtype == np.bool_:  # where, not + -inf: a masked score of +inf would make NaN
            scores = where(mask, scores, -np.inf)
        else:
            scores = scores + _as_bias(attn_mask, scores.dtype, "attn_mask", True)
    weights = _softmax(scores, zero_if_all_masked=True)
    if dropout_p > 0:
        weights = F.dropout(weights, dropout_p)
    return weights @ v


def _share_heads(q: Tensor, kv: Tensor) -> Tensor:
    """Repeat each of kv's heads (axis -3) for its group of query heads (PyTorch's repeat_interleave)."""
    if q.ndim < 3 or kv.ndim < 3 or q.shape[-3] % kv.shape[-3]:
        raise ArgumentError(f"scaled_dot_product_attention(): with enable_gqa, the query's heads (axis -3) must be a "
                            f"multiple of the key's and value's, got shapes {q.shape} and {kv.shape}")
    group = q.shape[-3] // kv.shape[-3]
    if group == 1:
        return kv
    lead, heads, rest = kv.shape[:-3], kv.shape[-3], kv.shape[-2:]
    return kv.unsqueeze(-3).expand(*lead, heads, group, *rest).reshape(*lead, heads * group, *rest)


class MultiheadAttention(Module):
    """Multi-head attention as PyTorch's ``nn.MultiheadAttention``: same arguments, parameters
    (``in_proj_weight`` (3E, E) and ``in_proj_bias`` (3E), or ``q_proj_weight``, ``k_proj_weight``,
    ``v_proj_weight`` when ``kdim``/``vdim`` differ from ``embed_dim``; ``bias_k``, ``bias_v``
    with ``add_bias_kv``; ``out_proj.weight``, ``out_proj.bias``), initialisation and results, so a
    PyTorch state dict loads as it is.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(attn_output, attn_weights)``.
    Sequences are (L, N, E), or (N, L, E) with ``batch_first=True``, or unbatched (L, E).
    ``key_padding_mask`` (N, S) and ``attn_mask`` ((L, S) or (N * num_heads, L, S)) are bool,
    True meaning "do not attend" (the opposite of ``scaled_dot_product_attention``'s bool mask), or
    float, added to the scores. ``is_causal`` is only a hint that ``attn_mask`` is causal (required
    with it). The weights are averaged over the heads, (N, L, S), unless
    ``average_attn_weights=False`` gives (N, num_heads, L, S); they are None with
    ``need_weights=False``. As in PyTorch, a query with nothing to attend to gives NaN when the
    weights are asked for, and zeros with ``need_weights=False``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        check_device(device, "MultiheadAttention")
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be positive, got {embed_dim} and "
                             f"{num_heads}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first, self.add_zero_attn = dropout, batch_first, add_zero_attn
        dtype = np.dtype(dtypes.DEFAULT_FLOAT if dtype is None else dtype)

        def param(*shape):
            return Parameter(np.zeros(shape, dtype))

        # registered in PyTorch's order, which is the state dict's
        if self._qkv_same_embed_dim:
            self.in_proj_weight = param(3 * embed_dim, embed_dim)
        else:
            self.q_proj_weight = param(embed_dim, embed_dim)
            self.k_proj_weight = param(embed_dim, self.kdim)
            self.v_proj_weight = param(embed_dim, self.vdim)
        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            if name not in self._parameters:
                self.register_parameter(name, None)
        self.register_parameter("in_proj_bias", param(3 * embed_dim) if bias else None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k, self.bias_v = param(1, 1, embed_dim), param(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's: Xavier-uniform projections, zero biases, Xavier-normal ``bias_k``/``bias_v``;
        ``out_proj.weight`` keeps Linear's initialisation."""
        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            if self._parameters[name] is not None:
                init.xavier_uniform_(self._parameters[name])
        for b in (self.in_proj_bias, self.out_proj.bias):
            if b is not None:
                init.zeros_(b)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    def _projections(self) -> tuple:
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            weights = self.in_proj_weight.split(e)
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        biases = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.split(e)
        return weights, biases

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                average_attn_weights: bool = True, is_causal: bool = False):
        name = "MultiheadAttention"
        q, k, v = (F._float_tensor(t, name, what) for t, what in ((query, "query"), (key, "key"), (value, "value")))
        if q.ndim not in (2, 3) or not q.ndim == k.ndim == v.ndim:
            raise ValueError(f"{name}: query, key and value must all be 3-D (batched) or 2-D (unbatched), got shapes "
                             f"{q.shape}, {k.shape}, {v.shape}")
        batched = q.ndim == 3
        if not batched:  # work on (N, L, E) throughout
            q, k, v = q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0)
        elif not self.batch_first:
            q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        n, length, e = q.shape
        if (e, k.shape[-1], v.shape[-1]) != (self.embed_dim, self.kdim, self.vdim):
            raise ValueError(f"{name}: expected query, key and value feature sizes {self.embed_dim}, {self.kdim}, "
                             f"{self.vdim}, got {e}, {k.shape[-1]}, {v.shape[-1]}")
        if k.shape[:2] != v.shape[:2] or k.shape[0] != n:
            raise ValueError(f"{name}: key and value must have the same batch and sequence sizes as each other (and "
                             f"the query's batch size), got shapes {tuple(key.shape)} and {tuple(value.shape)}")
        if is_causal and attn_mask is None:
            raise ValueError(f"{name}: is_causal is a hint that attn_mask is the causal mask; pass attn_mask too")
        (w_q, w_k, w_v), (b_q, b_k, b_v) = self._projections()
        q, k, v = F.linear(q, w_q, b_q), F.linear(k, w_k, b_k), F.linear(v, w_v, b_v)
        bias = self._bias(attn_mask, key_padding_mask, n, length, k.shape[1], batched, q.dtype)
        if self.bias_k is not None:  # one more key and value, learned
            k, v = cat([k, self.bias_k.expand(n, 1, e)], 1), cat([v, self.bias_v.expand(n, 1, e)], 1)
            bias = None if bias is None else pad_(bias, (0, 1))
        heads, d = self.num_heads, self.head_dim
        q, k, v = (t.reshape(n, t.shape[1], heads, d).transpose(1, 2) for t in (q, k, v))  # (N, heads, L or S, d)
        if self.add_zero_attn:  # one more key and value, zero
            zeros = Tensor._wrap(np.zeros((n, heads, 1, d), q.dtype), None)
            k, v = cat([k, zeros], 2), cat([v, zeros], 2)
            bias = None if bias is None else pad_(bias, (0, 1))
        dropout = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = (q * (1.0 / math.sqrt(d))) @ k.transpose(-2, -1)
            if bias is not None:
                scores = scores + bias
            weights = _softmax(scores, zero_if_all_masked=False)
            if dropout > 0:
                weights = F.dropout(weights, dropout)
            out = weights @ v
            if average_attn_weights:
                weights = weights.mean(1)
        else:
            out = scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout)
        out = self.out_proj(out.transpose(1, 2).reshape(n, length, e))
        if not batched:
            return out.squeeze(0), None if weights is None else weights.squeeze(0)
        return (out if self.batch_first else out.transpose(0, 1)), weights

    def _bias(self, attn_mask, key_padding_mask, n: int, length: int, keys: int, batched: bool, dtype):
        """Both masks as one additive bias, broadcastable to the scores (N, heads, L, S); None without masks."""
        bias = None
        if attn_mask is not None:
            bias = _as_bias(attn_mask, dtype, "attn_mask", True)
            if bias.shape == (length, keys):
                bias = bias.reshape(1, 1, length, keys)
            elif bias.shape == (n * self.num_heads, length, keys):
                bias = bias.reshape(n, self.num_heads, length, keys)
            else:
                raise ValueError(f"MultiheadAttention: attn_mask must have shape {(length, keys)} or "
                                 f"{(n * self.num_heads, length, keys)}, got {bias.shape}")
        if key_padding_mask is not None:
            padding = _as_bias(key_padding_mask, dtype, "key_padding_mask", True)
            if padding.shape != ((n, keys) if batched else (keys,)):
                raise ValueError(f"MultiheadAttention: key_padding_mask must have shape "
                                 f"{(n, keys) if batched else (keys,)}, got {padding.shape}")
            padding = padding.reshape(n, 1, 1, keys)
            bias = padding if bias is None else bias + padding
        return bias

    def extra_repr(self) -> str:
        return ""
