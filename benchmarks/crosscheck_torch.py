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


def report(name, ours, theirs, tol=1e-9, relative=False):
    ours = np.asarray(ours.data if isinstance(ours, tg.Tensor) else ours, dtype=np.float64)
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    err = np.abs(ours - theirs) / (np.abs(theirs) if relative else 1)
    worst = float(err.max()) if err.size else 0.0
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


def main():
    import torch

    torch.set_default_dtype(torch.float64)
    for part in (losses, layers, optimizers, pytorch_spellings, recurrent):
        part(torch)
    print(f"\n{len(failures)} difference(s) above tolerance" + (f": {failures}" if failures else ""))
    return len(failures)


if __name__ == "__main__":
    raise SystemExit(main())
