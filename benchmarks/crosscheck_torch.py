"""Optional cross-check against PyTorch: not part of the test suite (PyTorch is never a test dependency).

Runs losses, layers, optimizers and a scheduler in tinygrad_np and in PyTorch, in float64, on the
same data, and prints the largest difference of every value and gradient. Every line should say OK:

    pip install torch==2.13.0 && python -m benchmarks.crosscheck_torch
"""

from __future__ import annotations

from functools import partial

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

RNG = np.random.default_rng(0)
failures = []
largest = {"absolute": (0.0, ""), "relative": (0.0, "")}  # the largest difference of each kind, and where
count = [0]


def report(name, ours, theirs, tol=1e-9, relative=False):
    ours = np.asarray(ours.data if isinstance(ours, tg.Tensor) else ours, dtype=np.float64)
    theirs = np.asarray(theirs.detach().numpy() if hasattr(theirs, "detach") else theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        failures.append(name)
        print(f"BAD {name}: shape {ours.shape} here, {theirs.shape} in PyTorch")
        return
    with np.errstate(invalid="ignore"):  # equal values (infinities, NaN with NaN) agree; NaN against a number is inf
        err = np.abs(ours - theirs) / (np.abs(theirs) if relative else 1)
        err = np.where((ours == theirs) | (np.isnan(ours) & np.isnan(theirs)), 0.0, np.nan_to_num(err, nan=np.inf))
    worst = float(err.max()) if err.size else 0.0
    count[0] += 1
    kind = "relative" if relative else "absolute"
    if worst > largest[kind][0]:
        largest[kind] = (worst, name)
    if worst > tol:
        failures.append(name)
    print(f"{'OK ' if worst <= tol else 'BAD'} {name}: largest {'relative ' if relative else ''}difference {worst:.1e}")


def compare(name, ours_fn, torch_fn, *arrays, constants=(), tol=1e-9):
    """Run both functions on the same inputs with a random upstream gradient; compare outputs and grads."""
    import torch

    ours = [tg.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_ours = ours_fn(*ours, *[tg.tensor(c) for c in constants])
    out_theirs = torch_fn(*theirs, *[torch.tensor(c) for c in constants])
    upstream = RNG.standard_normal(tuple(out_theirs.shape))
    out_ours.backward(upstream)
    out_theirs.backward(torch.tensor(upstream))
    report(name, out_ours, out_theirs, tol)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        report(f"{name}, gradient {i}", a.grad, b.grad, tol)


def second_order(name, ours_fn, torch_fn, *arrays, tol=1e-9):
    """Hessian-vector products: d/dx of (d out/dx · u) · v, with random u and v, against PyTorch's double backward."""
    import torch

    upstream = None
    results = []
    for lib, fn, grad in ((tg, ours_fn, tg.grad), (torch, torch_fn, torch.autograd.grad)):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*xs)
        if upstream is None:
            upstream = RNG.standard_normal(tuple(out.shape))
            directions = [RNG.standard_normal(a.shape) for a in arrays]
        grads = grad(out, xs, grad_outputs=lib.tensor(upstream), create_graph=True)
        total = sum((g * lib.tensor(d)).sum() for g, d in zip(grads, directions))
        second = grad(total, xs, allow_unused=True) if total.requires_grad else [None] * len(xs)
        results.append([np.zeros(a.shape) if s is None else s for s, a in zip(second, arrays)])
    for i, (a, b) in enumerate(zip(*results)):
        report(f"{name}, second order, input {i}", a, b, tol)


def losses(torch):
    tF = torch.nn.functional
    logits, classes = RNG.standard_normal((5, 4)) * 3, np.array([0, 3, 1, 1, 2])
    for kwargs in ({}, {"label_smoothing": 0.1}, {"ignore_index": 1}, {"reduction": "sum"}, {"reduction": "none"}):
        compare(f"cross_entropy {kwargs}", partial(F.cross_entropy, **kwargs), partial(tF.cross_entropy, **kwargs),
                logits, constants=(classes,))
    probs = RNG.random((5, 4))
    compare("cross_entropy, probability targets", F.cross_entropy, tF.cross_entropy, logits,
            constants=(probs / probs.sum(1, keepdims=True),))
    compare("cross_entropy, logits of +-1e4", F.cross_entropy, tF.cross_entropy,
            np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]]), constants=(np.array([1, 0]),), tol=1e-6)
    z, t = RNG.standard_normal(6) * 5, RNG.random(6)
    compare("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
            tF.binary_cross_entropy_with_logits, z, constants=(t,))
    compare("binary_cross_entropy", F.binary_cross_entropy, tF.binary_cross_entropy, 1 / (1 + np.exp(-z)),
            constants=(t,), tol=1e-7)
    compare("mse_loss", F.mse_loss, tF.mse_loss, z, t)


def layers(torch):
    tF = torch.nn.functional
    images, weight, bias = RNG.standard_normal((2, 3, 7, 6)), RNG.standard_normal((4, 3, 3, 2)), RNG.standard_normal(4)
    for kwargs in ({}, {"stride": 2, "padding": 1}, {"stride": (2, 1), "padding": (1, 0), "dilation": 2}):
        compare(f"conv2d {kwargs}", partial(F.conv2d, **kwargs), partial(tF.conv2d, **kwargs), images, weight, bias)
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1}, {"kernel_size": (2, 3)}):
        compare(f"max_pool2d {kwargs}", partial(F.max_pool2d, **kwargs), partial(tF.max_pool2d, **kwargs), images)
        compare(f"avg_pool2d {kwargs}", partial(F.avg_pool2d, **kwargs), partial(tF.avg_pool2d, **kwargs), images)
    ours, theirs = nn.BatchNorm2d(3).double(), torch.nn.BatchNorm2d(3)
    for step in range(3):  # training mode, then the running statistics and eval mode
        compare(f"BatchNorm2d, training step {step}", ours, theirs, RNG.standard_normal((4, 3, 5, 5)) * 2 + 1)
    report("BatchNorm2d running_mean", ours.running_mean, theirs.running_mean)
    report("BatchNorm2d running_var", ours.running_var, theirs.running_var)
    ours.eval()
    theirs.eval()
    compare("BatchNorm2d, eval", ours, theirs, RNG.standard_normal((4, 3, 5, 5)))
    compare("LayerNorm", nn.LayerNorm(6).double(), torch.nn.LayerNorm(6), RNG.standard_normal((3, 6)))
    x = RNG.standard_normal((4, 5))
    compare("var(dim=1)", lambda t: t.var(dim=1), lambda t: t.var(dim=1), x)
    compare("std()", lambda t: t.std(), lambda t: t.std(), x)
    compare("logsumexp(dim=0)", lambda t: t.logsumexp(dim=0), lambda t: t.logsumexp(dim=0), x)


def optimizers(torch):
    cases = [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
             ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
             ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
             ("AdamW", {"lr": 0.01}),
             ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True})]
    for name, kwargs in cases:
        start = RNG.standard_normal(5)
        ours, theirs = nn.Parameter(start.copy()), torch.nn.Parameter(torch.tensor(start.copy()))
        opt_ours, opt_theirs = getattr(tg.optim, name)([ours], **kwargs), getattr(torch.optim, name)([theirs], **kwargs)
        for _ in range(6):
            for p, opt in ((ours, opt_ours), (theirs, opt_theirs)):
                opt.zero_grad()
                (p * p * p).sum().backward()
                opt.step()
        report(f"{name} {kwargs}, 6 steps", ours, theirs, relative=True)  # p**3 descent can grow large
    p_ours, p_theirs = nn.Parameter(np.ones(1)), torch.nn.Parameter(torch.ones(1))
    opt_ours, opt_theirs = tg.optim.SGD([p_ours], lr=1.0), torch.optim.SGD([p_theirs], lr=1.0)
    sched_ours = tg.optim.lr_scheduler.CosineAnnealingLR(opt_ours, T_max=5, eta_min=0.1)
    sched_theirs = torch.optim.lr_scheduler.CosineAnnealingLR(opt_theirs, T_max=5, eta_min=0.1)
    rates = []
    for _ in range(12):
        for opt, sched in ((opt_ours, sched_ours), (opt_theirs, sched_theirs)):
            opt.step()
            sched.step()
        rates.append((sched_ours.get_last_lr()[0], sched_theirs.get_last_lr()[0]))
    report("CosineAnnealingLR, 12 epochs", [a for a, _ in rates], [b for _, b in rates])


def pytorch_spellings(torch):
    """Ops added under PyTorch's names: same values and gradients as PyTorch's own."""
    tF = torch.nn.functional
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 5))
    compare("max(dim=1).values", lambda t: t.max(1).values, lambda t: t.max(1).values, x)
    compare("sort(descending).values", lambda t: t.sort(1, True).values, lambda t: t.sort(1, True).values, x)
    compare("topk(2)", lambda t: t.topk(2).values, lambda t: t.topk(2).values, x)
    compare("cumsum(0)", lambda t: t.cumsum(0), lambda t: t.cumsum(0), x)
    with_zeros = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, -2.0, 4.0]])
    compare("prod(dim=1) with zeros", lambda t: t.prod(dim=1), lambda t: t.prod(dim=1), with_zeros)
    compare("norm(dim=1)", lambda t: t.norm(dim=1), lambda t: t.norm(dim=1), x)
    compare("norm(p=3)", lambda t: t.norm(3), lambda t: t.norm(3), x)
    compare("F.normalize", F.normalize, tF.normalize, x)
    compare("gelu", F.gelu, tF.gelu, x)
    compare("gelu tanh", partial(F.gelu, approximate="tanh"), partial(tF.gelu, approximate="tanh"), x)
    compare("erf, expm1, log1p", lambda t: t.erf() + t.expm1() + (t * t).log1p(),
            lambda t: t.erf() + t.expm1() + (t * t).log1p(), x)
    compare("einsum ij,jk->ik", partial(tg.einsum, "ij,jk->ik"), partial(torch.einsum, "ij,jk->ik"), x, y)
    q, k = RNG.standard_normal((2, 3, 5, 4)), RNG.standard_normal((2, 3, 6, 4))
    compare("einsum ...qd,...kd->...qk", partial(tg.einsum, "...qd,...kd->...qk"),
            partial(torch.einsum, "...qd,...kd->...qk"), q, k)
    compare("einsum bii->bi (diagonals)", partial(tg.einsum, "bii->bi"), partial(torch.einsum, "bii->bi"),
            RNG.standard_normal((2, 3, 3)))
    compare("gather(1)", lambda t: t.gather(1, tg.tensor(np.array([[0, 0], [3, 1], [2, 2]]))),
            lambda t: t.gather(1, torch.tensor(np.array([[0, 0], [3, 1], [2, 2]]))), x)
    compare("repeat(2, 1, 2)", lambda t: t.repeat(2, 1, 2), lambda t: t.repeat(2, 1, 2), x)
    compare("remainder by a tensor", lambda a, b: a % b, lambda a, b: a % b, x * 3, np.abs(x) + 0.5)
    images = RNG.standard_normal((2, 3, 5, 6))
    for mode in ("reflect", "replicate", "circular"):
        compare(f"pad {mode}", partial(F.pad, pad=(1, 2, 2, 1), mode=mode),
                partial(tF.pad, pad=(1, 2, 2, 1), mode=mode), images)
    compare("max_pool2d ceil_mode", partial(F.max_pool2d, kernel_size=2, ceil_mode=True),
            partial(tF.max_pool2d, kernel_size=2, ceil_mode=True), images)
    for include in (True, False):
        kwargs = {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": include}
        compare(f"avg_pool2d {kwargs}", partial(F.avg_pool2d, **kwargs), partial(tF.avg_pool2d, **kwargs), images)
    for kwargs in ({}, {"stride": 2, "padding": 1, "output_padding": 1}, {"groups": 3, "dilation": 2}):
        compare(f"conv_transpose2d {kwargs}", partial(F.conv_transpose2d, **kwargs),
                partial(tF.conv_transpose2d, **kwargs), images, RNG.standard_normal((3, 1 if kwargs else 2, 3, 3)),
                RNG.standard_normal(3 if kwargs.get("groups") else 1 if kwargs else 2))


def recurrent(torch):
    """RNN, LSTM and GRU with the same weights (loaded through PyTorch's state-dict names)."""
    cases = [(kind, kwargs) for kind in ("RNN", "LSTM", "GRU")
             for kwargs in ({}, {"num_layers": 2, "batch_first": True}, {"bidirectional": True})]
    cases += [("LSTM", {"proj_size": 2}), ("LSTM", {"proj_size": 3, "num_layers": 2, "bidirectional": True})]
    for kind, kwargs in cases:
        ours, theirs = getattr(nn, kind)(3, 4, **kwargs).double(), getattr(torch.nn, kind)(3, 4, **kwargs)
        theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
        compare(f"{kind} {kwargs}", lambda x, m=ours: m(x)[0], lambda x, m=theirs: m(x)[0],
                RNG.standard_normal((5, 2, 3)))
        for name, p in ours.named_parameters():
            report(f"{kind} {kwargs}, gradient of {name}", p.grad, dict(theirs.named_parameters())[name].grad)


def same(name, ours, theirs):
    """Exact agreement of non-numeric results (key lists, integer indices, dtypes)."""
    ok = ours == theirs if not isinstance(ours, np.ndarray) else (ours.shape == theirs.shape and (ours == theirs).all())
    count[0] += 1
    if not ok:
        failures.append(name)
    print(f"{'OK ' if ok else 'BAD'} {name}: {'identical' if ok else f'{ours} here, {theirs} in PyTorch'}")


SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3.0, -3.0, 6.0, 1.0, -1.0, 1000.0, -1000.0, 2.5, -0.5])


def activations(torch):
    """Every new activation: values and gradients at random points and at the special values."""
    tF = torch.nn.functional
    x = RNG.standard_normal((4, 6)) * 4
    cases = [("silu", {}), ("elu", {}), ("elu", {"alpha": 0.5}), ("celu", {}), ("celu", {"alpha": 2.0}), ("selu", {}),
             ("mish", {}), ("relu6", {}), ("hardtanh", {}), ("hardtanh", {"min_val": -2.0, "max_val": 0.5}),
             ("hardsigmoid", {}), ("hardswish", {}), ("logsigmoid", {}), ("softsign", {}), ("softmin", {"dim": 0}),
             ("softmin", {"dim": -1}), ("glu", {}), ("glu", {"dim": 0})]
    for name, kwargs in cases:
        tol = 1e-7 if name == "hardsigmoid" else 1e-9  # PyTorch's hardsigmoid slope is 1/6 rounded to float32
        compare(f"F.{name} {kwargs}", partial(getattr(F, name), **kwargs), partial(getattr(tF, name), **kwargs), x,
                tol=tol)
        if name not in ("softmin", "glu"):
            with np.errstate(invalid="ignore", over="ignore"):  # inf - inf and the like, on both sides
                compare(f"F.{name} {kwargs} at 0, +-0, +-inf, nan, kinks, +-1000",
                        partial(getattr(F, name), **kwargs), partial(getattr(tF, name), **kwargs), SPECIAL, tol=tol)
    modules = [("SiLU", ()), ("ELU", (0.7,)), ("CELU", (1.5,)), ("SELU", ()), ("Mish", ()), ("ReLU6", ()),
               ("Hardtanh", (-0.5, 2.0)), ("Hardsigmoid", ()), ("Hardswish", ()), ("LogSigmoid", ()),
               ("Softsign", ()), ("Softmin", (1,)), ("GLU", (0,))]
    for name, args in modules:
        compare(f"nn.{name}{args}", getattr(nn, name)(*args), getattr(torch.nn, name)(*args), x,
                tol=1e-7 if name == "Hardsigmoid" else 1e-9)
        same(f"repr nn.{name}{args}", repr(getattr(nn, name)(*args)), repr(getattr(torch.nn, name)(*args)))


def conv_and_pooling(torch):
    tF = torch.nn.functional
    signal, weight, bias = RNG.standard_normal((2, 4, 9)), RNG.standard_normal((6, 2, 3)), RNG.standard_normal(6)
    for kwargs in ({}, {"stride": 2, "padding": 1}, {"dilation": 2, "padding": "same"}, {"padding": "valid"}):
        compare(f"conv1d groups=2 {kwargs}", partial(F.conv1d, groups=2, **kwargs),
                partial(tF.conv1d, groups=2, **kwargs), signal, weight, bias)
    compare("conv1d unbatched", F.conv1d, tF.conv1d, signal[0], RNG.standard_normal((3, 4, 2)))
    for kwargs in ({}, {"padding": 2, "padding_mode": "reflect", "stride": 2}, {"padding": "same", "bias": False},
                   {"padding": 1, "padding_mode": "circular"}):
        ours, theirs = nn.Conv1d(4, 3, 3, **kwargs).double(), torch.nn.Conv1d(4, 3, 3, **kwargs)
        theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
        compare(f"nn.Conv1d {kwargs}", ours, theirs, signal)
        for pname, p in ours.named_parameters():
            report(f"nn.Conv1d {kwargs}, gradient of {pname}", p.grad, dict(theirs.named_parameters())[pname].grad)
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
                   {"kernel_size": 2, "ceil_mode": True}, {"kernel_size": 3, "dilation": 2, "stride": 1}):
        compare(f"max_pool1d {kwargs}", partial(F.max_pool1d, **kwargs), partial(tF.max_pool1d, **kwargs), signal)
        ours, theirs = F.max_pool1d(signal, return_indices=True, **kwargs), tF.max_pool1d(
            torch.tensor(signal), return_indices=True, **kwargs)
        same(f"max_pool1d {kwargs} indices", ours[1].numpy(), theirs[1].numpy())
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
                   {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}):
        compare(f"avg_pool1d {kwargs}", partial(F.avg_pool1d, **kwargs), partial(tF.avg_pool1d, **kwargs), signal)
    compare("nn.MaxPool1d(3, 2)", nn.MaxPool1d(3, 2), torch.nn.MaxPool1d(3, 2), signal)
    compare("nn.AvgPool1d(3, 2, 1)", nn.AvgPool1d(3, 2, 1), torch.nn.AvgPool1d(3, 2, 1), signal)
    images = RNG.standard_normal((2, 3, 7, 6))
    ties = np.round(RNG.standard_normal((2, 3, 7, 6)))  # many ties: the first maximum wins
    ties[0, 0, 1, 1] = ties[1, 2, 4, 3] = ties[1, 2, 5, 4] = np.nan  # a NaN wins its windows (the last NaN)
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
                   {"kernel_size": (2, 3), "ceil_mode": True}, {"kernel_size": 2, "stride": 1, "dilation": 2}):
        for name, data in (("", images), (" with ties and NaN", ties)):
            ours = F.max_pool2d(data, return_indices=True, **kwargs)
            theirs = tF.max_pool2d(torch.tensor(data), return_indices=True, **kwargs)
            report(f"max_pool2d {kwargs}{name}, return_indices: values", ours[0], theirs[0])
            same(f"max_pool2d {kwargs}{name}, return_indices: indices", ours[1].numpy(), theirs[1].numpy())
    pooled, indices = tF.max_pool2d(torch.tensor(images), 2, return_indices=True)
    for size in (None, images.shape[-2:]):
        compare(f"max_unpool2d(2) output_size={size}", lambda t, sz=size: F.max_unpool2d(t, indices.numpy(), 2,
                output_size=sz), lambda t, sz=size: tF.max_unpool2d(t, indices, 2, output_size=sz), pooled.numpy())
    # overlapping windows repeat indices: the first value wins in both; PyTorch's gradient then also
    # reaches the values that lost (not the derivative of its output), ours does not: values only
    pooled, indices = tF.max_pool2d(torch.tensor(images), 3, 2, 1, return_indices=True)
    report("max_unpool2d(3, 2, 1) with repeated indices: values", F.max_unpool2d(pooled.numpy(), indices.numpy(), 3, 2,
           1, output_size=(7, 6)), tF.max_unpool2d(pooled, indices, 3, 2, 1, output_size=(7, 6)))
    pooled, indices = tF.max_pool1d(torch.tensor(signal), 2, return_indices=True)
    compare("max_unpool1d", lambda t: F.max_unpool1d(t, indices.numpy(), 2),
            lambda t: tF.max_unpool1d(t, indices, 2), pooled.numpy())
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    tpool, tunpool = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    compare("nn.MaxPool2d(return_indices=True) -> nn.MaxUnpool2d", lambda t: unpool(*pool(t)),
            lambda t: tunpool(*tpool(t)), images)


def resampling(torch):
    tF = torch.nn.functional
    images = RNG.standard_normal((2, 3, 5, 7))
    cases = [("nearest", {"size": (9, 4)}), ("nearest", {"scale_factor": 2}), ("nearest", {"scale_factor": (1.5, 0.7)}),
             ("nearest", {"size": (5, 7)}), ("nearest", {"scale_factor": 1.7, "recompute_scale_factor": True}),
             ("nearest-exact", {"size": (8, 3)}), ("nearest-exact", {"scale_factor": 2.5})]
    cases += [("bilinear", {"size": (9, 4), "align_corners": a}) for a in (False, True)]
    cases += [("bilinear", {"scale_factor": s, "align_corners": a}) for s in (2, (1.5, 0.6)) for a in (False, True)]
    cases += [("bilinear", {"size": (1, 1)}), ("bilinear", {"size": (1, 3), "align_corners": True})]
    for mode, kwargs in cases:
        compare(f"interpolate {mode} {kwargs}", partial(F.interpolate, mode=mode, **kwargs),
                partial(tF.interpolate, mode=mode, **kwargs), images)
    signal, volume = RNG.standard_normal((2, 3, 6)), RNG.standard_normal((1, 2, 3, 4, 5))
    for mode, data in (("nearest", signal), ("linear", signal), ("nearest", volume), ("trilinear", volume)):
        kwargs = {"scale_factor": 2} if mode != "trilinear" else {"size": (4, 7, 3), "align_corners": True}
        compare(f"interpolate {mode} {data.ndim}-D {kwargs}", partial(F.interpolate, mode=mode, **kwargs),
                partial(tF.interpolate, mode=mode, **kwargs), data)
    float32 = RNG.standard_normal((1, 1, 13, 11)).astype(np.float32)  # source indices from a float32 scale
    for size in ((7, 5), (20, 17), (26, 22), (6, 39)):
        same(f"interpolate nearest float32 {size} (source indices)", F.interpolate(float32, size=size).numpy(),
             tF.interpolate(torch.tensor(float32), size=size).numpy())
    for kwargs in ({"scale_factor": 2, "mode": "bilinear"}, {"size": (3, 4)},
                   {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}):
        compare(f"nn.Upsample {kwargs}", nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs), images)
        same(f"repr nn.Upsample {kwargs}", repr(nn.Upsample(**kwargs)), repr(torch.nn.Upsample(**kwargs)))
    compare("nn.UpsamplingBilinear2d(scale_factor=2)", nn.UpsamplingBilinear2d(scale_factor=2),
            torch.nn.UpsamplingBilinear2d(scale_factor=2), images)
    channels = RNG.standard_normal((2, 8, 3, 4))
    compare("pixel_shuffle(2)", partial(F.pixel_shuffle, upscale_factor=2), partial(tF.pixel_shuffle, upscale_factor=2),
            channels)
    compare("pixel_shuffle(2), 5-D", partial(F.pixel_shuffle, upscale_factor=2),
            partial(tF.pixel_shuffle, upscale_factor=2), RNG.standard_normal((2, 1, 4, 3, 2)))
    compare("pixel_unshuffle(2)", partial(F.pixel_unshuffle, downscale_factor=2),
            partial(tF.pixel_unshuffle, downscale_factor=2), RNG.standard_normal((2, 3, 4, 6)))
    compare("nn.PixelShuffle(2)", nn.PixelShuffle(2), torch.nn.PixelShuffle(2), channels)
    compare("nn.PixelUnshuffle(2)", nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2), channels.reshape(2, 2, 4, 12))
    for kwargs in ({"kernel_size": 2}, {"kernel_size": (2, 3), "padding": 1, "stride": (2, 1)},
                   {"kernel_size": 3, "dilation": 2, "padding": 2, "stride": 2}):
        compare(f"unfold {kwargs}", partial(F.unfold, **kwargs), partial(tF.unfold, **kwargs), images)
        cols = tF.unfold(torch.tensor(images), **kwargs).numpy()
        compare(f"fold {kwargs}", partial(F.fold, output_size=(5, 7), **kwargs),
                partial(tF.fold, output_size=(5, 7), **kwargs), cols)
        compare(f"nn.Unfold {kwargs}", nn.Unfold(**kwargs), torch.nn.Unfold(**kwargs), images[0])
        compare(f"nn.Fold {kwargs}", nn.Fold((5, 7), **kwargs), torch.nn.Fold((5, 7), **kwargs), cols[0])


def attention(torch):
    tF = torch.nn.functional
    q, k, v = RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal((2, 3, 6, 5)), RNG.standard_normal((2, 3, 6, 7))
    bool_mask = RNG.random((4, 6)) > 0.4
    bool_mask[1] = False  # a query that may attend to nothing: zeros, as PyTorch
    float_mask = RNG.standard_normal((3, 4, 6))
    compare("scaled_dot_product_attention", F.scaled_dot_product_attention, tF.scaled_dot_product_attention, q, k, v)
    compare("scaled_dot_product_attention, is_causal, L < S",
            partial(F.scaled_dot_product_attention, is_causal=True),
            partial(tF.scaled_dot_product_attention, is_causal=True), q, k, v)
    compare("scaled_dot_product_attention, is_causal, L > S", partial(F.scaled_dot_product_attention, is_causal=True),
            partial(tF.scaled_dot_product_attention, is_causal=True), k, q, RNG.standard_normal((2, 3, 4, 7)))
    compare("scaled_dot_product_attention, bool mask with a fully masked row",
            lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, attn_mask=m),
            lambda a, b, c, m: tF.scaled_dot_product_attention(a, b, c, attn_mask=m), q, k, v, constants=(bool_mask,))
    compare("scaled_dot_product_attention, float mask (with its gradient), scale=0.3",
            partial(F.scaled_dot_product_attention, scale=0.3), partial(tF.scaled_dot_product_attention, scale=0.3),
            q, k, v, float_mask)
    compare("scaled_dot_product_attention, 3-D", F.scaled_dot_product_attention, tF.scaled_dot_product_attention,
            q[0], k[0], v[0])
    compare("scaled_dot_product_attention, enable_gqa",
            partial(F.scaled_dot_product_attention, enable_gqa=True),
            partial(tF.scaled_dot_product_attention, enable_gqa=True),
            RNG.standard_normal((2, 6, 4, 5)), k, v)
    x, memory = RNG.standard_normal((5, 2, 8)), RNG.standard_normal((7, 2, 8))
    padding = np.zeros((2, 7), dtype=bool)
    padding[0, 5:] = True
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    cases = [({}, {}, "self"), ({}, {"key_padding_mask": padding}, "cross"),
             ({"bias": False}, {"attn_mask": causal, "is_causal": True}, "self"),
             ({"batch_first": True}, {"average_attn_weights": False}, "self"),
             ({"kdim": 3, "vdim": 6}, {"key_padding_mask": padding}, "cross"),
             ({"add_bias_kv": True, "add_zero_attn": True}, {"attn_mask": causal}, "self"),
             ({}, {"attn_mask": RNG.standard_normal((8, 5, 7)), "need_weights": False}, "cross"),
             ({}, {"attn_mask": RNG.standard_normal((5, 7))}, "unbatched")]
    for kwargs, call, kind in cases:
        ours, theirs = nn.MultiheadAttention(8, 4, **kwargs).double(), torch.nn.MultiheadAttention(8, 4, **kwargs)
        same(f"MultiheadAttention {kwargs}: state dict names", list(ours.state_dict()), list(theirs.state_dict()))
        theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
        kdim, vdim = kwargs.get("kdim", 8), kwargs.get("vdim", 8)
        if kind == "self":
            data = [x] * 3
        elif kind == "cross":
            data = [x, memory[..., :kdim], RNG.standard_normal((7, 2, vdim))]
        else:
            data = [x[:, 0], memory[:, 0], memory[:, 0]]
        if kwargs.get("batch_first"):
            data = [a.transpose(1, 0, 2) for a in data]
        mine = [tg.Tensor(a, requires_grad=True) for a in data]
        yours = [torch.tensor(a, requires_grad=True) for a in data]
        (out, w), (tout, tw) = ours(*mine, **call), theirs(*yours, **{k: torch.tensor(v) if isinstance(
            v, np.ndarray) else v for k, v in call.items()})
        label = f"MultiheadAttention {kwargs} {kind} {', '.join(call)}"
        report(f"{label}: output", out, tout)
        if w is None or tw is None:
            same(f"{label}: weights are None", w is None, tw is None)
        else:
            report(f"{label}: weights", w, tw)
        upstream = RNG.standard_normal(tuple(tout.shape))
        out.backward(upstream)
        tout.backward(torch.tensor(upstream))
        for i, (a, b) in enumerate(zip(mine, yours)):
            if kind != "self" or i == 0:  # self-attention: the same array three times, one gradient each
                report(f"{label}: gradient of input {i}", a.grad, b.grad)
        for pname, p in ours.named_parameters():
            report(f"{label}: gradient of {pname}", p.grad, dict(theirs.named_parameters())[pname].grad)


def losses_and_containers(torch):
    import warnings

    warnings.filterwarnings("ignore", message="reduction: 'mean' divides the total loss")  # PyTorch's kl_div note
    tF = torch.nn.functional
    a, b = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    a[1] = 0.0  # a zero row: clamped by eps
    for dim in (1, 0, -1):
        compare(f"cosine_similarity dim={dim}", partial(F.cosine_similarity, dim=dim),
                partial(tF.cosine_similarity, dim=dim), a, b)
    compare("cosine_similarity broadcast (2, 3, 4) x (3, 1)", F.cosine_similarity, tF.cosine_similarity,
            RNG.standard_normal((2, 3, 4)), RNG.standard_normal((3, 1)))
    # where a norm is clamped to eps, PyTorch's gradient treats the clamp as the identity (it disagrees with its
    # own finite differences); ours is the derivative of the value (tests/test_nn_similarity_losses.py): values only
    report("cosine_similarity eps=0.5, norms below eps: values", F.cosine_similarity(a * 0.1, b, eps=0.5),
           tF.cosine_similarity(torch.tensor(a * 0.1), torch.tensor(b), eps=0.5))
    compare("nn.CosineSimilarity(dim=0)", nn.CosineSimilarity(0), torch.nn.CosineSimilarity(0), a, b)
    logp = np.log(RNG.dirichlet(np.ones(5), size=4))
    probs = RNG.dirichlet(np.ones(5), size=4)
    probs[0, 2] = 0.0  # a zero target: contributes 0
    for reduction in ("batchmean", "mean", "sum", "none"):
        compare(f"kl_div {reduction}", partial(F.kl_div, reduction=reduction), partial(tF.kl_div, reduction=reduction),
                logp, constants=(probs,))
        compare(f"kl_div {reduction}, log_target (both gradients)", partial(F.kl_div, reduction=reduction,
                log_target=True), partial(tF.kl_div, reduction=reduction, log_target=True), logp, np.log(probs + 0.1))
        compare(f"nn.KLDivLoss({reduction!r})", nn.KLDivLoss(reduction=reduction),
                torch.nn.KLDivLoss(reduction=reduction), logp, constants=(probs,))
    compare("kl_div, target gradient", partial(F.kl_div, reduction="sum"), partial(tF.kl_div, reduction="sum"), logp,
            probs + 0.01)
    y, t = RNG.standard_normal(20) * 2, RNG.standard_normal(20)
    for reduction in ("mean", "sum", "none"):
        for beta in (1.0, 0.5, 0.0):
            compare(f"smooth_l1_loss beta={beta} {reduction}", partial(F.smooth_l1_loss, beta=beta,
                    reduction=reduction), partial(tF.smooth_l1_loss, beta=beta, reduction=reduction), y, t)
        for delta in (1.0, 2.5):
            compare(f"huber_loss delta={delta} {reduction}", partial(F.huber_loss, delta=delta, reduction=reduction),
                    partial(tF.huber_loss, delta=delta, reduction=reduction), y, t)
        compare(f"huber_loss with weight, {reduction}", lambda p, q, w, r=reduction: F.huber_loss(p, q, r, weight=w),
                lambda p, q, w, r=reduction: tF.huber_loss(p, q, r, weight=w), y, t, constants=(RNG.random(20),))
    compare("nn.SmoothL1Loss(beta=0.3)", nn.SmoothL1Loss(beta=0.3), torch.nn.SmoothL1Loss(beta=0.3), y, t)
    compare("nn.HuberLoss('sum', 0.7)", nn.HuberLoss("sum", 0.7), torch.nn.HuberLoss("sum", 0.7), y, t)
    with np.errstate(invalid="ignore"):
        compare("smooth_l1_loss at +-inf and nan", partial(F.smooth_l1_loss, reduction="none"),
                partial(tF.smooth_l1_loss, reduction="none"), np.array([np.inf, -np.inf, np.nan, 0.0, 1.0, -1.0]),
                constants=(np.zeros(6),))

    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = lib.nn.ModuleDict({"enc": lib.nn.Linear(2, 3), "act": lib.nn.ReLU()})
                self.blocks["dec"] = lib.nn.Linear(3, 2)
                self.scales = lib.nn.ParameterList([lib.ones(2), lib.nn.Parameter(lib.zeros(3))])
                self.extra = lib.nn.ParameterDict({"w": lib.ones(2), "b": lib.zeros(1)})
                self.extra["a"] = lib.ones(4)
                self.unflat = lib.nn.Unflatten(1, (2, 3))

        return Net()

    ours, theirs = build(tg), build(torch)
    same("ModuleDict / ParameterList / ParameterDict state dict names", list(ours.state_dict()),
         list(theirs.state_dict()))
    same("state dict shapes", [v.shape for v in ours.state_dict().values()],
         [tuple(v.shape) for v in theirs.state_dict().values()])
    same("nn.Unflatten(1, (2, -1))", nn.Unflatten(1, (2, -1))(tg.zeros(4, 6)).shape,
         tuple(torch.nn.Unflatten(1, (2, -1))(torch.zeros(4, 6)).shape))
    same("repr nn.Unflatten", repr(nn.Unflatten(1, (2, 3))), repr(torch.nn.Unflatten(1, (2, 3))))


def _dtype(t) -> str:
    return str(t.dtype).replace("torch.", "")


def _outcome(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``'s dtype and values, or the fact that it raised (PyTorch raises RuntimeError;
    ours may raise TypeError or IndexError, as documented)."""
    try:
        out = fn(*args, **kwargs)
    except Exception:  # noqa: BLE001 - the classes differ on purpose
        return "raises"
    return _dtype(out), np.asarray(out.data if isinstance(out, tg.Tensor) else out.numpy()).tolist()


def _dtype_of(outcome):
    return outcome if outcome == "raises" else outcome[0]


def _first(fn):
    """``fn`` returning only the first element of its result (the values of a (values, indices) pair)."""
    return lambda *args, **kwargs: fn(*args, **kwargs)[0]


def _second(fn):
    return lambda *args, **kwargs: fn(*args, **kwargs)[1]


def _index_with(make, index):
    """``index`` with its lists made index tensors by ``make``."""
    return tuple(make(v) if isinstance(v, list) else v for v in index)


def edges(torch):
    """Issue 11's section 1: ops at their edges (integers, bool, zero, NaN, float16, indexing)."""
    import operator

    tF = torch.nn.functional
    torch.set_default_dtype(torch.float32)  # the dtype checks below are about the default float
    dtypes = {"int8": tg.int8, "uint8": tg.uint8, "int16": tg.int16, "int32": tg.int32, "int64": tg.int64,
              "bool": tg.bool}
    values = {"int8": [-128, -5, 0, 7, 127], "uint8": [0, 5, 3, 200, 255], "int16": [-300, 0, 1, 7, 32767],
              "int32": [-(2**31), -8, 0, 32, 2**31 - 1], "int64": [-(2**63), -8, 1, 32, 6],
              "bool": [True, False, True, False, True]}

    def both(name, data=None):
        data = np.array(values[name] if data is None else data, dtype=dtypes[name])
        return tg.tensor(data), torch.tensor(data)

    def agree(name, fn, *pairs, torch_fn=None, **kwargs):
        """``fn`` (or ``torch_fn`` on the PyTorch side) on our and PyTorch's halves of each (ours, theirs) pair."""
        same(name, _outcome(fn, *[p[0] for p in pairs], **kwargs),
             _outcome(torch_fn or fn, *[p[1] for p in pairs], **kwargs))

    # bitwise: every pair of dtypes, and Python scalars on either side
    symbols = {"&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift}
    for sym, op in symbols.items():
        for a_name in values:
            for b_name in values:
                b = both(b_name) if sym not in "<<>>" or b_name == "bool" else both(b_name, [0, 1, 3, 7, 2])
                agree(f"{a_name} {sym} {b_name}", op, both(a_name), b)
            for scalar in (3, -1, 300, 2**40, True, 1.5):
                agree(f"{a_name} {sym} {scalar!r}", op, both(a_name), (scalar, scalar))
                agree(f"{scalar!r} {sym} {a_name}", op, (scalar, scalar), both(a_name))
        agree(f"float32 {sym} float32", op, (tg.ones(2), torch.ones(2)), (tg.ones(2), torch.ones(2)))
    for name in values:
        pair = both(name)
        agree(f"~{name}", operator.invert, pair)
        for shift in (0, 7, 8, 15, 31, 32, 63, 64, 70, -1):
            if name != "bool" and np.iinfo(dtypes[name]).min <= shift <= np.iinfo(dtypes[name]).max:
                shifts = both(name, [shift] * 5)
                agree(f"{name} << {shift} (a tensor)", operator.lshift, pair, shifts)
                agree(f"{name} >> {shift} (a tensor)", operator.rshift, pair, shifts)
            agree(f"{name} << {shift}", operator.lshift, pair, (shift, shift))
            agree(f"{name} >> {shift}", operator.rshift, pair, (shift, shift))

        # min, max and their family, computed directly on integers and bools
        for method in ("min", "max", "amin", "amax", "sum", "prod", "cumsum", "abs", "neg", "sign", "argmin",
                       "argmax"):
            if name == "bool" and method in ("abs", "argmin", "argmax"):
                continue  # PyTorch refuses these on bool; NumPy's answers (identity, index) are kept here
            args = (0,) if method == "cumsum" else ()
            agree(f"{name}.{method}()", lambda t, m=method, a=args: getattr(t, m)(*a), pair)
        agree(f"{name}.min(0)", _first(lambda t: t.min(0)), pair)
        agree(f"{name}.min(0) indices", _second(lambda t: t.min(0)), pair)
        flipped = (pair[0].flip(0), pair[1].flip(0))
        agree(f"minimum({name}, flipped)", tg.minimum, pair, flipped, torch_fn=torch.minimum)
        agree(f"maximum({name}, flipped)", tg.maximum, pair, flipped, torch_fn=torch.maximum)
        for descending in (False, True):
            agree(f"{name}.sort(descending={descending})", _first(lambda t, d=descending: t.sort(descending=d)),
                  pair, torch_fn=_first(lambda t, d=descending: t.sort(descending=d, stable=True)))
            agree(f"{name}.argsort(descending={descending})", lambda t, d=descending: t.argsort(descending=d),
                  pair, torch_fn=lambda t, d=descending: t.argsort(descending=d, stable=True))
        if name != "bool":  # (PyTorch has no topk of bools; ours sorts them as 0 and 1)
            agree(f"{name}.topk(2)", _first(lambda t: t.topk(2)), pair)
        for low, high in ((2, 7), (2.5, 7.5), (0, 1)):
            agree(f"{name}.clip({low}, {high})", lambda t, lo=low, hi=high: t.clip(lo, hi), pair)
        # float functions of integers: the default float, or an error where PyTorch has one
        for method in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "erf", "expm1", "log1p", "rsqrt",
                       "reciprocal", "mean", "var", "std", "norm"):
            with np.errstate(all="ignore"):
                ours = _outcome(lambda t, m=method: getattr(t, m)(), pair[0])
                theirs = _outcome(lambda t, m=method: getattr(t, m)(), pair[1])
            same(f"{name}.{method}() dtype", _dtype_of(ours), _dtype_of(theirs))
            if ours != "raises" and theirs != "raises":
                report(f"{name}.{method}() values", np.float64(ours[1]), np.float64(theirs[1]), tol=1e-6,
                       relative=True)
        for method in ("logsumexp", "softmax", "log_softmax"):
            same(f"{name}.{method}(0) dtype", _dtype_of(_outcome(lambda t, m=method: getattr(t, m)(0), pair[0])),
                 _dtype_of(_outcome(lambda t, m=method: getattr(t, m)(0), pair[1])))
        for fn in ("relu", "gelu", "silu", "elu", "softplus", "leaky_relu", "mish", "hardswish", "tanh", "sigmoid",
                   "softsign", "relu6"):
            if name != "bool":
                same(f"F.{fn}({name}) dtype", _dtype_of(_outcome(getattr(F, fn), pair[0])),
                     _dtype_of(_outcome(getattr(tF, fn), pair[1])))
        if name != "bool":
            for other in (2, 3.0):
                same(f"{name} / {other!r} dtype", _dtype_of(_outcome(operator.truediv, pair[0], other)),
                     _dtype_of(_outcome(operator.truediv, pair[1], other)))
            nonzero = (pair[0].clip(1, 100), pair[1].clip(1, 100))
            for mode in ("trunc", "floor"):
                agree(f"div({name}, nonzero, rounding_mode={mode!r})", tg.div, pair, nonzero, torch_fn=torch.div,
                      rounding_mode=mode)
            agree(f"{name} // 0", operator.floordiv, pair, (0, 0))

    # pow at zero: first order against PyTorch everywhere, second order where PyTorch's is not its 0 * inf
    grid = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 2.0, -2.0, 0.5, 0.0])
    exps = np.array([0.0, 1.0, 2.0, 0.5, 3.0, 0.0, 2.0, -1.5, -1.0])
    with np.errstate(all="ignore"):
        compare("x ** y at x = 0 (and y = 0)", operator.pow, operator.pow, grid, exps)
        for c in (0, 0.0, 1, 2, 0.5, -1, 3, 1.5):
            compare(f"x ** {c!r} at 0, -1, 2", lambda x, c=c: x**c, lambda x, c=c: x**c, np.array([0.0, -1.0, 2.0]))
        for c in (0, 0.0, 1, 2, 0.5):
            compare(f"{c!r} ** x at 0, 1, -1, 0.5", lambda x, c=c: c**x, lambda x, c=c: c**x,
                    np.array([0.0, 1.0, -1.0, 0.5]))
        for c in (0, 2, 3):
            ours = tg.tensor(np.zeros(2), requires_grad=True)
            theirs = torch.zeros(2, dtype=torch.float64, requires_grad=True)
            (g,) = tg.grad((ours**c).sum(), [ours], create_graph=True)
            (tgr,) = torch.autograd.grad((theirs**c).sum(), [theirs], create_graph=True)
            second = tg.grad(g.sum(), [ours])[0] if g.requires_grad else tg.zeros(2)
            tsecond = torch.autograd.grad(tgr.sum(), [theirs])[0] if tgr.requires_grad else torch.zeros(2)
            report(f"second derivative of x ** {c} at 0", second, tsecond)

    # indexing: integers next to index arrays (values and gradients)
    data = RNG.standard_normal((2, 3, 4, 5))
    every = slice(None)
    indexes = [(0, every, [0, 1]), (every, 0, every, [0, 1]), (0, every, every, [[0], [1]]), (0, Ellipsis, [0, 1]),
               (None, 0, every, [0, 1]), (0, every, None, [0, 1]), (0, every, [0, 1], 0), (0, 0, every, [0, 1]),
               (0, every, [True, False, True, False]), ([0], every, 0, [0, 1]), ([0, 1], 0, [0, 1]),
               (1, [[0, 1], [2, 0]], slice(1, 3), [[1, 1], [0, 0]]), ([1, 0], every, [2, 2])]
    for index in indexes:
        compare(f"t[{index}]", lambda t, i=index: t[_index_with(tg.tensor, i)],
                lambda t, i=index: t[_index_with(torch.tensor, i)], data)

    # shapes of 0-d and all-axes reductions
    compare("cumsum of a 0-d tensor", lambda t: t.cumsum(0), lambda t: t.cumsum(0), np.array(1.5))
    compare("logsumexp(dim=None) (PyTorch: dim=(0, 1))", lambda t: t.logsumexp(dim=None),
            lambda t: t.logsumexp(dim=(0, 1)), data[0, 0])

    # NaN and inf propagate
    with np.errstate(all="ignore"):
        for bad in (np.nan, np.inf, -np.inf):
            row = np.array([bad, 3.0, 4.0, 1.0])
            ours, theirs = tg.tensor(row), torch.tensor(row)
            for p in (2, 1, 3, 0.5, np.inf, -np.inf):
                report(f"norm(p={p}) of {row}", ours.norm(p), theirs.norm(p))
            compare(f"norm() gradient at {bad}", lambda t: t.norm(), lambda t: t.norm(), row)
            report(f"F.normalize of {row}", F.normalize(ours, dim=0), tF.normalize(theirs, dim=0))
            report(f"cosine_similarity with {bad}", F.cosine_similarity(ours[None], ours[None] + 1),
                   tF.cosine_similarity(theirs[None], theirs[None] + 1))
            for method in ("max", "min", "amax", "amin", "argmax", "argmin"):
                report(f"{method}() with {bad}", getattr(ours, method)(), getattr(theirs, method)())
            report(f"max(0) indices with {bad}", ours.max(0)[1], theirs.max(0)[1])
            for descending in (False, True):
                report(f"sort(descending={descending}) with {bad}", ours.sort(descending=descending)[0],
                       theirs.sort(descending=descending)[0])
            report(f"topk(2) with {bad}", ours.topk(2)[0], theirs.topk(2)[0])
            compare(f"maximum and minimum with {bad}", lambda x, y: tg.maximum(x, y) + tg.minimum(x, y),
                    lambda x, y: torch.maximum(x, y) + torch.minimum(x, y), row, row[::-1].copy())
            p_ours, p_theirs = nn.Parameter(np.ones(4)), torch.nn.Parameter(torch.ones(4, dtype=torch.float64))
            p_ours.grad, p_theirs.grad = tg.tensor(row.copy()), torch.tensor(row.copy())
            report(f"clip_grad_norm_ total with {bad}", nn.utils.clip_grad_norm_([p_ours], 1.0),
                   torch.nn.utils.clip_grad_norm_([p_theirs], 1.0))
            report(f"clip_grad_norm_ gradients with {bad}", p_ours.grad, p_theirs.grad)

    # index values out of range: both refuse
    matrix = (tg.tensor(data[0, 0]), torch.tensor(data[0, 0]))
    for index in ([[-1], [0], [0]], [[5], [0], [0]]):
        agree(f"gather(1, {index}) raises", lambda t, i: t.gather(1, i), matrix,
              (tg.tensor(index), torch.tensor(index)))
    for index in ([-1], [3]):
        agree(f"embedding({index}) raises", F.embedding, (tg.tensor(index), torch.tensor(index)),
              (tg.ones(3, 2), torch.ones(3, 2)), torch_fn=tF.embedding)
        agree(f"cross_entropy target {index} raises", F.cross_entropy, (tg.zeros(1, 3), torch.zeros(1, 3)),
              (tg.tensor(index), torch.tensor(index)), torch_fn=tF.cross_entropy)

    # float16 accumulates in float32. PyTorch's CPU log_softmax and logsumexp of 100 000 equal float16 values
    # give inf; ours are compared with the float32 result rounded to float16 instead.
    halves = (tg.tensor(np.ones(100_000, np.float16)), torch.tensor(np.ones(100_000, np.float16)))
    for method in ("sum", "mean", "var", "std", "norm"):
        agree(f"float16 {method}() of 100 000 ones", lambda t, m=method: getattr(t, m)(), halves)
    agree("float16 softmax of 100 000 ones", lambda t: t.softmax(0)[:3], halves)
    for method in ("log_softmax", "logsumexp"):
        same(f"float16 {method} of 100 000 ones (vs float32 rounded)", _outcome(getattr(halves[0], method), 0),
             _outcome(lambda t, m=method: getattr(t.float(), m)(0).half(), halves[1]))
    logits = (RNG.standard_normal((300, 10)) * 3).astype(np.float16)
    targets = RNG.integers(0, 10, 300)
    cases = [("cross_entropy", lambda x: F.cross_entropy(x, tg.tensor(targets)),
              lambda x: tF.cross_entropy(x, torch.tensor(targets))),
             ("mse_loss", lambda x: F.mse_loss(x, x * 0.5), lambda x: tF.mse_loss(x, x * 0.5)),
             ("l1_loss", lambda x: F.l1_loss(x, x * 0.5), lambda x: tF.l1_loss(x, x * 0.5)),
             ("huber_loss", lambda x: F.huber_loss(x, x * 0.5), lambda x: tF.huber_loss(x, x * 0.5)),
             ("layer_norm", lambda x: F.layer_norm(x, (10,)), lambda x: tF.layer_norm(x, (10,))),
             ("log_softmax(1)", lambda x: x.log_softmax(1), lambda x: x.log_softmax(1)),
             ("normalize", F.normalize, tF.normalize)]
    for name, ours_fn, torch_fn in cases:
        ours, theirs = ours_fn(tg.tensor(logits)), torch_fn(torch.tensor(logits))
        same(f"float16 {name} dtype", _dtype(ours), _dtype(theirs))
        scale = float(np.abs(theirs.detach().numpy().astype(np.float64)).max())
        report(f"float16 {name} values (float16 rounding: 2e-3 of the largest)", ours.double() / scale,
               theirs.double() / scale, tol=2e-3)

    # the surface that modifies existing methods
    x = RNG.standard_normal((3, 4))
    compare("div(rounding_mode='trunc') (zero gradient)", lambda t: tg.div(t * 3, 0.7, rounding_mode="trunc"),
            lambda t: torch.div(t * 3, 0.7, rounding_mode="trunc"), x)
    compare("div(rounding_mode='floor') (zero gradient)", lambda t: t.div(0.7, rounding_mode="floor"),
            lambda t: t.div(0.7, rounding_mode="floor"), x)
    compare("sum(dtype=float32) of float64", lambda t: t.sum(dtype=tg.float32).double(),
            lambda t: t.sum(dtype=torch.float32).double(), x, tol=1e-6)
    compare("prod(1, dtype=float32)", lambda t: t.prod(1, dtype=tg.float32).double(),
            lambda t: t.prod(1, dtype=torch.float32).double(), x, tol=1e-6)
    for fn in ("var_mean", "std_mean"):
        for kwargs in ({}, {"dim": 1}, {"dim": 0, "correction": 0, "keepdim": True}):
            def spread_and_mean(lib, t, f=fn, k=kwargs):
                spread, mean = getattr(lib, f)(t, **k)
                return spread * 2 + mean

            compare(f"{fn} {kwargs}", partial(spread_and_mean, tg), partial(spread_and_mean, torch), x)
    for pad in ((-1, 1), (1, -2, -1, 0), (-1, -2, 2, -1)):
        for mode in ("constant", "reflect", "replicate", "circular"):
            shape = (1, 2, 4, 5)[: len(pad) // 2 + 2]  # (PyTorch's other modes pad 1 dim of 3-D input, 2 of 4-D)
            compare(f"pad {pad} {mode}", partial(F.pad, pad=pad, mode=mode), partial(tF.pad, pad=pad, mode=mode),
                    RNG.standard_normal(shape))
    torch.set_default_dtype(torch.float64)


def op_surface(torch):
    """The ops added for issue 11, section 2: values and gradients at random points, special values and
    zeros, integer indices and dtypes against PyTorch's."""
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    inside, above_one = RNG.uniform(-0.9, 0.9, (3, 4)), RNG.uniform(1.1, 3, (3, 4))
    positive = RNG.uniform(0.2, 3, (3, 4))
    for name, data in (("tan", inside), ("asin", inside), ("acos", inside), ("atan", x), ("sinh", x), ("cosh", x),
                       ("asinh", x), ("acosh", above_one), ("atanh", inside), ("exp2", x), ("log2", positive),
                       ("log10", positive)):
        compare(name, lambda t, n=name: getattr(t, n)(), lambda t, n=name: getattr(t, n)(), data)
        with np.errstate(all="ignore"):
            compare(f"{name} at 0, +-0, +-inf, nan, +-1, ...", lambda t, n=name: getattr(t, n)(),
                    lambda t, n=name: getattr(t, n)(), SPECIAL)
        torch.set_default_dtype(torch.float32)
        with np.errstate(all="ignore"):
            same(f"{name} of int64 gives float32", str(getattr(tg.tensor([1, 2]), name)().dtype),
                 str(getattr(torch.tensor([1, 2]), name)().dtype).replace("torch.", ""))
        torch.set_default_dtype(torch.float64)
    special_pairs = np.array(np.meshgrid(SPECIAL, SPECIAL)).reshape(2, -1)
    finite_pairs = special_pairs[:, np.isfinite(special_pairs[0])]
    for name in ("atan2", "logaddexp", "fmod", "copysign", "hypot"):
        compare(name, lambda a, b, n=name: getattr(a, n)(b), lambda a, b, n=name: getattr(a, n)(b), x * 3, y + 0.1)
        # copysign at a = +-inf: PyTorch's gradient is result / a = nan, ours the slope +-1 (docs/api.md)
        with np.errstate(all="ignore"):
            compare(f"{name} at pairs of special values", lambda a, b, n=name: getattr(a, n)(b),
                    lambda a, b, n=name: getattr(a, n)(b), *(finite_pairs if name == "copysign" else special_pairs))
    compare("fmod by a number", lambda a: a.fmod(1.5), lambda a: a.fmod(1.5), x * 3)
    same("fmod of integers", tg.tensor([-7, 7, 5]).fmod(tg.tensor([3, -3, 5])).numpy(),
         torch.tensor([-7, 7, 5]).fmod(torch.tensor([3, -3, 5])).numpy())
    compare("lerp, scalar weight 0.3", lambda a, b: a.lerp(b, 0.3), lambda a, b: a.lerp(b, 0.3), x, y)
    compare("lerp, scalar weight 0.8", lambda a, b: a.lerp(b, 0.8), lambda a, b: a.lerp(b, 0.8), x, y)
    compare("lerp, tensor weight", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a.lerp(b, w), x, y,
            RNG.uniform(-0.5, 1.5, (3, 4)))
    for side in ("min", "max"):
        compare(f"clamp_{side}(0.2)", lambda a, s=side: getattr(a, f"clamp_{s}")(0.2),
                lambda a, s=side: getattr(a, f"clamp_{s}")(0.2), x)
        ties = np.where(RNG.random((3, 4)) > 0.5, x, y)  # half the elements equal the bound
        compare(f"clamp_{side}(tensor) with ties", lambda a, b, s=side: getattr(a, f"clamp_{s}")(b),
                lambda a, b, s=side: getattr(a, f"clamp_{s}")(b), ties, y)
    close = x + RNG.choice([0.0, 1e-6, 1e-3], (3, 4))
    same("isclose", tg.isclose(tg.tensor(x), tg.tensor(close)).numpy(),
         torch.isclose(torch.tensor(x), torch.tensor(close)).numpy())
    same("isclose at special values, equal_nan", tg.isclose(*map(tg.tensor, special_pairs), equal_nan=True).numpy(),
         torch.isclose(*map(torch.tensor, special_pairs), equal_nan=True).numpy())
    square, batch = RNG.standard_normal((4, 4)), RNG.standard_normal((2, 3, 5))
    for k in (0, 1, -2, 7):
        compare(f"tril({k}) batched", lambda a, k=k: a.tril(k), lambda a, k=k: a.tril(k), batch)
        compare(f"triu({k}) batched", lambda a, k=k: a.triu(k), lambda a, k=k: a.triu(k), batch)
        compare(f"diag({k}) of a vector", lambda a, k=k: a.diag(k), lambda a, k=k: a.diag(k), x[0])
        compare(f"diag({k}) of a matrix", lambda a, k=k: a.diag(k), lambda a, k=k: a.diag(k), x)
    for args in ((0, 0, 1), (1, 2, 0), (-1, -1, 0), (2, 1, 2)):
        compare(f"diagonal{args}", lambda a, s=args: a.diagonal(*s), lambda a, s=args: a.diagonal(*s), batch)
    compare("trace", lambda a: a.trace(), lambda a: a.trace(), x)
    compare("trace of a square matrix", lambda a: a.trace(), lambda a: a.trace(), square)
    compare("outer", lambda a, b: a.outer(b), lambda a, b: a.outer(b), x[0], y[1, :3])
    compare("dot", lambda a, b: a.dot(b), lambda a, b: a.dot(b), x[0], y[1])
    for shifts, dims in ((1, None), (-3, 0), ((1, -2), (0, 2)), (5, -1)):
        compare(f"roll({shifts}, {dims})", lambda a, s=shifts, d=dims: a.roll(s, d),
                lambda a, s=shifts, d=dims: a.roll(s, d), batch)
    compare("narrow(2, -3, 2)", lambda a: a.narrow(2, -3, 2), lambda a: a.narrow(2, -3, 2), batch)
    compare("unflatten(-1, (5, -1))", lambda a: a.unflatten(-1, (5, -1)), lambda a: a.unflatten(-1, (5, -1)), batch)
    compare("transpose().contiguous().view()", lambda a: a.transpose(1, 2).contiguous().view(2, 15),
            lambda a: a.transpose(1, 2).contiguous().view(2, 15), batch)
    same("view(int32) of float32 bytes", tg.tensor(x.astype(np.float32)).view(tg.int32).numpy(),
         torch.tensor(x.astype(np.float32)).view(torch.int32).numpy())
    index = np.array([2, 0, 2, 1])
    compare("index_select(1, [2, 0, 2, 1])", lambda a: a.index_select(1, tg.tensor(index)),
            lambda a: a.index_select(1, torch.tensor(index)), y[:, :3])
    mask = RNG.random((3, 4)) > 0.5
    compare("masked_select (broadcast mask)", lambda a: a.masked_select(tg.tensor(mask[0])),
            lambda a: a.masked_select(torch.tensor(mask[0])), x)
    sparse = np.where(mask, x, 0.0)
    same("nonzero", tg.tensor(sparse).nonzero().numpy(), torch.tensor(sparse).nonzero().numpy())
    same("nonzero(as_tuple=True)", np.stack([t.numpy() for t in tg.tensor(sparse).nonzero(as_tuple=True)]),
         np.stack([t.numpy() for t in torch.tensor(sparse).nonzero(as_tuple=True)]))
    target, places = RNG.standard_normal((4, 5)), np.array([[0, 1, 3, 3, 2], [3, 0, 1, 1, 0], [0, 2, 3, 1, 1]])
    source = RNG.standard_normal((3, 5))
    source_with_zeros = np.where(RNG.random((3, 5)) > 0.6, 0.0, source)
    unique = np.array([[0, 1, 3], [3, 0, 1]])  # scatter with no repeated place: a well-defined result
    compare("scatter(1) with unique places", lambda a, b: a.scatter(1, tg.tensor(unique), b),
            lambda a, b: a.scatter(1, torch.tensor(unique), b), target[:2], source[:2, :3])
    compare("scatter(1, value=2.5)", lambda a: a.scatter(1, tg.tensor(unique), value=2.5),
            lambda a: a.scatter(1, torch.tensor(unique), value=2.5), target[:2])
    compare("scatter_add(0)", lambda a, b: a.scatter_add(0, tg.tensor(places), b),
            lambda a, b: a.scatter_add(0, torch.tensor(places), b), target, source)
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include in (True, False):
            for label, src in (("", source), (", zeros in src", source_with_zeros)):
                compare(f"scatter_reduce(0, {reduce!r}, include_self={include}){label}",
                        lambda a, b, r=reduce, i=include: a.scatter_reduce(0, tg.tensor(places), b, r, include_self=i),
                        lambda a, b, r=reduce, i=include: a.scatter_reduce(0, torch.tensor(places), b, r,
                                                                          include_self=i), target, src)
    ties = np.round(RNG.standard_normal((4, 5)))
    compare("scatter_reduce amax with ties", lambda a, b: a.scatter_reduce(0, tg.tensor(places), b, "amax"),
            lambda a, b: a.scatter_reduce(0, torch.tensor(places), b, "amax"), ties, np.round(source))
    same("scatter_reduce mean of integers (floor)",
         tg.tensor([1, 2, 3]).scatter_reduce(0, tg.tensor([0, 0, 2]), tg.tensor([-5, -6, -8]), "mean").numpy(),
         torch.tensor([1, 2, 3]).scatter_reduce(0, torch.tensor([0, 0, 2]), torch.tensor([-5, -6, -8]), "mean").numpy())
    compare("index_add(1, alpha=2)", lambda a, b: a.index_add(1, tg.tensor([4, 0, 4]), b, alpha=2),
            lambda a, b: a.index_add(1, torch.tensor([4, 0, 4]), b, alpha=2), target, RNG.standard_normal((4, 3)))
    lanes = RNG.standard_normal((3, 6))
    lanes[0, 2] = lanes[1, 1] = lanes[1, 4] = lanes[2, 5] = 0.0  # one zero, two zeros, a zero at the end
    compare("cumprod(1) with zeros", lambda a: a.cumprod(1), lambda a: a.cumprod(1), lanes)
    compare("cumprod(0)", lambda a: a.cumprod(0), lambda a: a.cumprod(0), x)
    same("cumprod of int32 gives int64", str(tg.tensor([1, 2], dtype="int32").cumprod(0).dtype),
         str(torch.tensor([1, 2], dtype=torch.int32).cumprod(0).dtype).replace("torch.", ""))
    repeated = np.round(RNG.standard_normal((3, 6)))
    repeated[1, 2] = np.nan
    for name in ("cummax", "cummin"):
        compare(f"{name}(1) values", lambda a, n=name: getattr(a, n)(1).values,
                lambda a, n=name: getattr(a, n)(1).values, x)
        with np.errstate(invalid="ignore"):
            ours, theirs = getattr(tg.tensor(repeated), name)(1), getattr(torch.tensor(repeated), name)(1)
        report(f"{name}(1) with ties and NaN: values", ours.values, theirs.values)
        same(f"{name}(1) with ties and NaN: indices", ours.indices.numpy(), theirs.indices.numpy())
    compare("logcumsumexp(1)", lambda a: a.logcumsumexp(1), lambda a: a.logcumsumexp(1), x)
    spread = np.array([[-1000.0, 0.0, 1000.0, 999.0], [5.0, -np.inf, 3.0, 700.0]])
    compare("logcumsumexp(1), far apart and -inf", lambda a: a.logcumsumexp(1), lambda a: a.logcumsumexp(1), spread)
    for repeats, dim in ((2, None), (np.array([1, 0, 3]), 0), (np.array([2]), 1)):
        compare(f"repeat_interleave({repeats}, {dim})",
                lambda a, r=repeats, d=dim: a.repeat_interleave(tg.tensor(r) if isinstance(r, np.ndarray) else r, d),
                lambda a, r=repeats, d=dim: a.repeat_interleave(torch.tensor(r) if isinstance(r, np.ndarray) else r,
                                                                d), x)
    with_zeros = RNG.standard_normal((2, 3, 5))
    with_zeros[0, 1, 2] = with_zeros[1, 2, 1] = with_zeros[1, 2, 3] = 0.0
    places = np.array([[0, 1, 3, 3], [2, 0, 1, 1]])
    for name, fn, *data in (
            ("cumprod(2) with zeros", lambda a: a.cumprod(2), with_zeros),
            ("logcumsumexp(1)", lambda a: a.logcumsumexp(1), x * 3),
            ("atan2, logaddexp, hypot, fmod, copysign", lambda a, b: a.atan2(b) + a.logaddexp(b) + a.hypot(b)
             + (a * 3).fmod(b + 3) + a.copysign(b), x, y),
            ("lerp, tensor weight", lambda a, b, w: a.lerp(b, w), x, y, RNG.random((3, 4))),
            ("tan, asinh, acosh, exp2, atan",
             lambda a: a.tan() * a.asinh() + (a * a + 1.5).acosh() + a.exp2() * a.atan(), inside)):
        second_order(name, fn, fn, *data)
    for reduce in ("prod", "amax", "mean"):
        second_order(f"scatter_reduce {reduce!r}", lambda a, b, r=reduce: a.scatter_reduce(0, tg.tensor(places), b, r),
                     lambda a, b, r=reduce: a.scatter_reduce(0, torch.tensor(places), b, r),
                     RNG.uniform(0.5, 2, (4, 4)), RNG.uniform(0.5, 2, (2, 4)))
    for indexing in ("ij", "xy"):
        compare(f"meshgrid indexing={indexing}",
                lambda a, b, c, i=indexing: sum(g * w for g, w in zip(tg.meshgrid(a, b, c, indexing=i), (1, 2, 3))),
                lambda a, b, c, i=indexing: sum(g * w for g, w in zip(torch.meshgrid(a, b, c, indexing=i),
                                                                      (1, 2, 3))), x[0], y[0, :3], x[1, :2])


def char_gpt(torch):
    """examples/char_gpt.py on both libraries: the same source, with its three imports swapped for PyTorch's;
    the same weights (through the state dict); logits, loss, every gradient, three AdamW steps (two parameter
    groups, gradient clipping) and a greedy sample."""
    import pathlib
    import sys
    import types

    path = pathlib.Path(__file__).resolve().parent.parent / "examples" / "char_gpt.py"
    source = path.read_text()

    def load(name, text):
        module = sys.modules[name] = types.ModuleType(name)  # (dataclasses look their module up there)
        exec(compile(text, str(path), "exec"), module.__dict__)
        return module

    ours = load("char_gpt_on_tinygrad_np", source)
    theirs = load("char_gpt_on_torch", source.replace("import tinygrad_np as torch", "import torch")
                  .replace("tinygrad_np.nn", "torch.nn"))
    chars = ours.Characters(ours.TEXT)
    config = {"vocab_size": len(chars.chars), "dropout": 0.0}
    tg.manual_seed(0)
    model = ours.CharGPT(ours.Config(**config)).double()
    reference = theirs.CharGPT(theirs.Config(**config))
    missing = reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()}, strict=True)
    same("char_gpt: state dict names", list(model.state_dict()), list(reference.state_dict()))
    same("char_gpt: load_state_dict found every key", (missing.missing_keys, missing.unexpected_keys), ([], []))
    same("char_gpt: parameter names", [n for n, _ in model.named_parameters()],
         [n for n, _ in reference.named_parameters()])
    data = chars.data.numpy()
    starts = RNG.integers(0, len(data) - 17, (4, 8))
    batches = [(np.stack([data[i:i + 16] for i in s]), np.stack([data[i + 1:i + 17] for i in s])) for s in starts]
    for m in (model, reference):
        m.eval()
    x, y = batches[0]
    (logits, loss), (t_logits, t_loss) = model(tg.tensor(x), tg.tensor(y)), reference(torch.tensor(x), torch.tensor(y))
    report("char_gpt: logits", logits, t_logits)
    report("char_gpt: loss", loss, t_loss)
    loss.backward()
    t_loss.backward()
    t_params = dict(reference.named_parameters())
    for name, p in model.named_parameters():
        report(f"char_gpt: gradient of {name}", p.grad, t_params[name].grad)
    optimizers = [m.configure_optimizer(3e-3, weight_decay=0.1) for m in (model, reference)]
    steps = []
    for m in (model, reference):
        m.train()
    for x, y in batches[1:]:
        pair = []
        for m, opt, lib in ((model, optimizers[0], tg), (reference, optimizers[1], torch)):
            _, step_loss = m(lib.tensor(x), lib.tensor(y))
            opt.zero_grad(set_to_none=True)
            step_loss.backward()
            (nn if lib is tg else torch.nn).utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            pair.append(step_loss.item())
        steps.append(pair)
    report("char_gpt: losses of 3 AdamW steps", [a for a, _ in steps], [b for _, b in steps])
    for name, p in model.named_parameters():
        report(f"char_gpt: {name} after 3 AdamW steps", p, t_params[name])
    model.eval()
    reference.eval()
    prompt = chars.encode("to be").numpy()
    same("char_gpt: greedy sample (top_k=1)", model.generate(tg.tensor(prompt), 12, top_k=1).numpy(),
         reference.generate(torch.tensor(prompt), 12, top_k=1).numpy())


def main():
    import torch

    torch.set_default_dtype(torch.float64)
    for part in (losses, layers, optimizers, pytorch_spellings, recurrent, activations, conv_and_pooling, resampling,
                 attention, losses_and_containers, op_surface, char_gpt, edges):
        part(torch)
    print(f"\n{count[0]} comparisons; largest absolute difference {largest['absolute'][0]:.1e} "
          f"({largest['absolute'][1]}), largest relative {largest['relative'][0]:.1e} ({largest['relative'][1]})")
    print(f"{len(failures)} difference(s) above tolerance" + (f": {failures}" if failures else ""))
    return len(failures)


if __name__ == "__main__":
    raise SystemExit(main())
