"""The workloads in other autograd libraries: PyTorch (CPU, one thread), MyGrad and HIPS autograd.

Each library starts from the same data and parameters as the expert NumPy side of the workload
and does the same math, so ``check`` can compare its losses, parameters or gradients with it.
All of them are optional: a missing library is simply left out (see ``available``).

``implementations(workload)`` gives ``{library: Impl}``; an ``Impl`` has ``run`` (the timed call)
and ``state`` (the arrays ``check`` compares: parameters after training steps; for the chains, the
returned gradient).

Notes on fairness: PyTorch runs with ``torch.set_num_threads(1)`` (and the suite limits BLAS to one
thread); MyGrad runs with its default memory guarding; HIPS autograd is a function transform, so
its training steps are one ``value_and_grad`` call (forward and backward together). The chains time
forward, backward and freeing together in every library.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks import chain, cnn, long_chain, mlp, xor_step

LIBRARIES = {"torch": "PyTorch", "mygrad": "MyGrad", "autograd": "HIPS autograd"}


@dataclass
class Impl:
    run: Callable
    state: Callable = lambda: []


def available(lib: str) -> bool:
    return importlib.util.find_spec(lib) is not None


def version(lib: str) -> str | None:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v

    try:
        return v(lib)
    except PackageNotFoundError:
        return None


# ----------------------------------------------------------------------------- PyTorch
def _torch():
    import torch

    torch.set_num_threads(1)
    return torch


def _torch_train_step(torch, model, x, y, loss_fn, lr):
    params = list(model.parameters())

    def run():
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=lr)
        return loss.item()

    return Impl(run, lambda: [p.detach().numpy().copy() for p in params])


def _torch_load(torch, model, arrays):
    with torch.no_grad():
        for p, a in zip(model.parameters(), arrays):
            p.copy_(torch.from_numpy(a))
    return model


def torch_mlp(quick=False):
    torch = _torch()
    nn = torch.nn
    inputs = mlp.make_inputs()
    s = mlp.SIZES
    model = nn.Sequential(nn.Linear(s[0], s[1]), nn.ReLU(), nn.Linear(s[1], s[2]), nn.ReLU(), nn.Linear(s[2], s[3]))
    _torch_load(torch, model, inputs.params)
    return _torch_train_step(torch, model, torch.from_numpy(inputs.x), torch.from_numpy(inputs.y),
                             torch.nn.functional.cross_entropy, mlp.LR)


def torch_cnn(quick=False):
    torch = _torch()
    nn = torch.nn
    inputs = cnn.make_inputs()
    c = cnn.CHANNELS
    model = nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(c * 196, 10))
    _torch_load(torch, model, inputs.params)
    return _torch_train_step(torch, model, torch.from_numpy(inputs.x), torch.from_numpy(inputs.y),
                             torch.nn.functional.cross_entropy, cnn.LR)


def torch_xor(quick=False):
    torch = _torch()
    nn = torch.nn
    inputs = xor_step.make_inputs()
    x, y, params = inputs.x, inputs.y, inputs.params
    model = _torch_load(torch, nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid()), params)
    opt = torch.optim.SGD(model.parameters(), lr=xor_step.LR)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def run():
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return Impl(run, lambda: [p.detach().numpy().copy() for p in model.parameters()])


def torch_chain(quick=False):
    torch = _torch()
    x0, w0, b0 = chain.make_inputs()
    w, b = torch.from_numpy(w0), torch.from_numpy(b0)
    out = []

    def run():
        x = torch.from_numpy(x0).requires_grad_()
        y = x
        for _ in range(chain.LINKS):
            y = chain.link(y, w, b, torch.tanh)
        y.sum().backward()
        out[:] = [x.grad.numpy()]

    return Impl(run, lambda: out)


def torch_long_chain(quick=False):
    torch = _torch()
    x0, n = long_chain.make_inputs(), long_chain.n_ops(quick)
    out = []

    def run():
        x = torch.from_numpy(x0).requires_grad_()
        y = x
        for _ in range(n):
            y = y * long_chain.FACTOR
        y.sum().backward()
        out[:] = [x.grad.numpy()]

    return Impl(run, lambda: out)


# ----------------------------------------------------------------------------- MyGrad
def _mygrad_train_step(mg, forward, params, lr):
    """forward(params) -> scalar loss Tensor; plain SGD on the arrays behind the parameters."""

    def run():
        loss = forward(params)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        return loss.item()

    return Impl(run, lambda: [p.data.copy() for p in params])


def mygrad_mlp(quick=False):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy

    inputs = mlp.make_inputs()
    x, y = inputs.x, inputs.y

    def forward(params):
        w1, b1, w2, b2, w3, b3 = params
        a1 = relu(mg.matmul(x, w1.T) + b1)
        a2 = relu(mg.matmul(a1, w2.T) + b2)
        return softmax_crossentropy(mg.matmul(a2, w3.T) + b3, y)

    return _mygrad_train_step(mg, forward, [mg.tensor(p.copy()) for p in inputs.params], mlp.LR)


def mygrad_cnn(quick=False):
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.layers import conv_nd, max_pool
    from mygrad.nnet.losses import softmax_crossentropy

    inputs = cnn.make_inputs()
    x, y = inputs.x, inputs.y

    def forward(params):
        wc, bc, w, b = params
        a = relu(conv_nd(x, wc, stride=1, padding=1) + bc.reshape(1, -1, 1, 1))
        f = max_pool(a, (2, 2), 2).reshape(len(x), -1)
        return softmax_crossentropy(mg.matmul(f, w.T) + b, y)

    return _mygrad_train_step(mg, forward, [mg.tensor(p.copy()) for p in inputs.params], cnn.LR)


def mygrad_xor(quick=False):
    import mygrad as mg
    from mygrad.nnet.activations import relu, sigmoid

    inputs = xor_step.make_inputs()
    x, y, params = inputs.x, inputs.y, inputs.params

    def forward(params):
        w1, b1, w2, b2 = params
        d = sigmoid(mg.matmul(relu(mg.matmul(x, w1.T) + b1), w2.T) + b2) - y
        return mg.mean(d * d)

    return _mygrad_train_step(mg, forward, [mg.tensor(p.copy()) for p in params], xor_step.LR)


def mygrad_chain(quick=False):
    import mygrad as mg

    x0, w0, b0 = chain.make_inputs()
    w, b = mg.tensor(w0, constant=True), mg.tensor(b0, constant=True)
    out = []

    def run():
        x = mg.tensor(x0)
        y = x
        for _ in range(chain.LINKS):
            y = chain.link(y, w, b, mg.tanh)
        y.sum().backward()
        out[:] = [x.grad]

    return Impl(run, lambda: out)


def mygrad_long_chain(quick=False):
    import mygrad as mg

    x0, n = long_chain.make_inputs(), long_chain.n_ops(quick)
    out = []

    def run():
        x = mg.tensor(x0)
        y = x
        for _ in range(n):
            y = y * long_chain.FACTOR
        y.sum().backward()
        out[:] = [x.grad]

    return Impl(run, lambda: out)


# ----------------------------------------------------------------------------- HIPS autograd
def _autograd_train_step(loss_fn, params, lr):
    """loss_fn(params) written with autograd.numpy; SGD on the NumPy arrays in ``params``."""
    from autograd import value_and_grad

    step = value_and_grad(loss_fn)

    def run():
        loss, grads = step(params)
        for p, g in zip(params, grads):
            p -= lr * g
        return float(loss)

    return Impl(run, lambda: [p.copy() for p in params])


def _anp_cross_entropy(anp, z, y):
    shifted = z - anp.max(z, axis=1, keepdims=True)
    rows = np.arange(len(y))
    return anp.sum(anp.log(anp.sum(anp.exp(shifted), axis=1)) - shifted[rows, y]) / len(y)


def autograd_mlp(quick=False):
    import autograd.numpy as anp

    inputs = mlp.make_inputs()
    x, y = inputs.x, inputs.y

    def loss_fn(params):
        w1, b1, w2, b2, w3, b3 = params
        a1 = anp.maximum(anp.dot(x, w1.T) + b1, 0)
        a2 = anp.maximum(anp.dot(a1, w2.T) + b2, 0)
        return _anp_cross_entropy(anp, anp.dot(a2, w3.T) + b3, y)

    return _autograd_train_step(loss_fn, [p.copy() for p in inputs.params], mlp.LR)


def autograd_cnn(quick=False):
    import autograd.numpy as anp
    from numpy.lib.stride_tricks import sliding_window_view

    inputs = cnn.make_inputs()
    x, y = inputs.x, inputs.y
    n, c = len(x), cnn.CHANNELS

    def loss_fn(params):
        wc, bc, w, b = params
        # im2col of the input (a constant: plain NumPy), then one matmul, as in the hand-written step
        cols = sliding_window_view(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), axis=(2, 3))
        cols = cols.transpose(0, 1, 4, 5, 2, 3).reshape(n, 9, 784)
        h = anp.reshape(anp.matmul(anp.reshape(wc, (c, 9)), cols), (n, c, 28, 28)) + anp.reshape(bc, (1, c, 1, 1))
        a = anp.maximum(h, 0)
        pooled = anp.max(anp.reshape(a, (n, c, 14, 2, 14, 2)), axis=(3, 5))
        return _anp_cross_entropy(anp, anp.dot(anp.reshape(pooled, (n, c * 196)), w.T) + b, y)

    return _autograd_train_step(loss_fn, [p.copy() for p in inputs.params], cnn.LR)


def autograd_xor(quick=False):
    import autograd.numpy as anp

    inputs = xor_step.make_inputs()
    x, y, params = inputs.x, inputs.y, inputs.params

    def loss_fn(params):
        w1, b1, w2, b2 = params
        z = anp.dot(anp.maximum(anp.dot(x, w1.T) + b1, 0), w2.T) + b2
        d = 1 / (1 + anp.exp(-z)) - y
        return anp.mean(d * d)

    return _autograd_train_step(loss_fn, [p.copy() for p in params], xor_step.LR)


def autograd_chain(quick=False):
    import autograd.numpy as anp
    from autograd import grad

    x0, w0, b0 = chain.make_inputs()
    out = []

    def f(x):
        y = x
        for _ in range(chain.LINKS):
            y = chain.link(y, w0, b0, anp.tanh)
        return anp.sum(y)

    df = grad(f)

    def run():
        out[:] = [df(x0)]

    return Impl(run, lambda: out)


def autograd_long_chain(quick=False):
    import autograd.numpy as anp
    from autograd.core import make_vjp

    x0, n = long_chain.make_inputs(), long_chain.n_ops(quick)
    out = []

    def f(x):
        y = x
        for _ in range(n):
            y = y * long_chain.FACTOR
        return anp.sum(y)

    def run():
        vjp, value = make_vjp(f, x0)  # the forward trace
        out[:] = [vjp(np.ones_like(value))]

    return Impl(run, lambda: out)


# ----------------------------------------------------------------------------- registry and checks
FACTORIES = {
    "mlp": {"torch": torch_mlp, "mygrad": mygrad_mlp, "autograd": autograd_mlp},
    "xor": {"torch": torch_xor, "mygrad": mygrad_xor, "autograd": autograd_xor},
    "chain": {"torch": torch_chain, "mygrad": mygrad_chain, "autograd": autograd_chain},
    "cnn": {"torch": torch_cnn, "mygrad": mygrad_cnn, "autograd": autograd_cnn},
    "long_chain": {"torch": torch_long_chain, "mygrad": mygrad_long_chain, "autograd": autograd_long_chain},
}


def implementations(workload: str, quick=False) -> dict:
    """``{library: Impl}`` for the installed libraries that have a version of ``workload``."""
    return {lib: make(quick) for lib, make in FACTORIES.get(workload, {}).items() if available(lib)}


def _numpy_reference(workload: str, steps: int):
    """Losses and final parameters (training workloads) or the gradient (chains) of the expert NumPy side."""
    if workload in ("mlp", "cnn", "xor"):
        module = {"mlp": mlp, "cnn": cnn, "xor": xor_step}[workload]
        side = module.expert(module.make_inputs())
        return [side.step() for _ in range(steps)], side.state()
    if workload == "chain":
        side = chain.expert(chain.make_inputs())
    else:
        side = long_chain.expert(long_chain.make_inputs(), long_chain.QUICK_OPS)
    side.step()
    return None, side.state()


def check(workload: str, lib: str, steps: int = 3):
    """``lib``'s version of ``workload`` agrees with the expert NumPy side."""
    losses, expected = _numpy_reference(workload, steps)
    impl = FACTORIES[workload][lib](quick=True)
    if losses is None:
        impl.run()
    else:
        got = [impl.run() for _ in range(steps)]
        assert np.allclose(got, losses, rtol=1e-4, atol=1e-6), (lib, workload, got, losses)
    state = impl.state()
    assert len(state) == len(expected), (lib, workload)
    for a, b in zip(state, expected):
        assert np.allclose(a, b, rtol=1e-4, atol=1e-5 if losses is not None else 0), \
            (lib, workload, np.abs(a - b).max())
