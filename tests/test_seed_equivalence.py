"""tinygrad_np's autodiff against the seed notebook's hand-written backward passes, in float64.

The seed's layers are restated below as a fixture: Linear, ReLU and Sigmoid with their backward
methods, MSE and softmax-cross-entropy with their derivatives. The same weights (the seed's W is
(in, out); nn.Linear's weight is (out, in), so it gets W.T) and the same data must give the same
losses and gradients, and the same XOR training trajectory, to 1e-10.
"""

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import data, optim

TOL = 1e-10


# ----------------------------------------------------------------------------- the seed's layers (float64)
class SeedLinear:
    def __init__(self, n_in, n_out, rng):
        self.W = rng.randn(n_in, n_out) * np.sqrt(2.0 / n_in)
        self.b = rng.randn(n_out) * 0.1  # the seed starts at zero; nonzero biases test more
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T

    def update(self, lr):
        self.W -= lr * self.dW
        self.b -= lr * self.db


class SeedReLU:
    def forward(self, x):
        self.x = x
        return np.maximum(0, x)

    def backward(self, dout):
        return dout * (self.x > 0)

    def update(self, lr):
        pass


class SeedSigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-np.clip(x, -500, 500)))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)

    def update(self, lr):
        pass


class SeedNet:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def update(self, lr):
        for layer in self.layers:
            layer.update(lr)


def seed_mse(pred, y):
    return np.mean((pred - y) ** 2), 2 * (pred - y) / y.size  # the loss and its derivative


def seed_softmax_cross_entropy(logits, onehot):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return -np.mean(np.sum(onehot * np.log(p + 1e-10), axis=-1)), (p - onehot) / onehot.shape[0]


# ----------------------------------------------------------------------------- the same network in tinygrad_np
def twin(seed_net: SeedNet) -> nn.Sequential:
    """nn.Sequential with the seed network's layers and a copy of its weights, in float64."""
    layers = []
    for layer in seed_net.layers:
        if isinstance(layer, SeedLinear):
            linear = nn.Linear(*layer.W.shape).double()
            linear.weight.data[...] = layer.W.T
            linear.bias.data[...] = layer.b
            layers.append(linear)
        else:
            layers.append(nn.ReLU() if isinstance(layer, SeedReLU) else nn.Sigmoid())
    return nn.Sequential(*layers)


def assert_same_grads(seed_net: SeedNet, model: nn.Sequential) -> None:
    linears = [layer for layer in seed_net.layers if isinstance(layer, SeedLinear)]
    for layer, module in zip(linears, [m for m in model if isinstance(m, nn.Linear)], strict=True):
        assert module.weight.grad.dtype == np.float64
        np.testing.assert_allclose(module.weight.grad.numpy(), layer.dW.T, rtol=0, atol=TOL)
        np.testing.assert_allclose(module.bias.grad.numpy(), layer.db, rtol=0, atol=TOL)


def assert_same_weights(seed_net: SeedNet, model: nn.Sequential) -> None:
    linears = [layer for layer in seed_net.layers if isinstance(layer, SeedLinear)]
    for layer, module in zip(linears, [m for m in model if isinstance(m, nn.Linear)], strict=True):
        np.testing.assert_allclose(module.weight.data, layer.W.T, rtol=0, atol=TOL)
        np.testing.assert_allclose(module.bias.data, layer.b, rtol=0, atol=TOL)


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_with_mse_has_the_seeds_gradients(seed):
    rng = np.random.RandomState(seed)
    seed_net = SeedNet([SeedLinear(3, 6, rng), SeedReLU(), SeedLinear(6, 5, rng), SeedSigmoid(),
                        SeedLinear(5, 2, rng), SeedSigmoid()])
    x, y = rng.randn(7, 3), rng.rand(7, 2)
    loss_seed, dout = seed_mse(seed_net.forward(x), y)
    dx_seed = seed_net.backward(dout)

    model = twin(seed_net)
    xt = tg.tensor(x, requires_grad=True)
    loss = F.mse_loss(model(xt), tg.tensor(y))
    loss.backward()

    assert loss.dtype == np.float64 and abs(loss.item() - loss_seed) <= TOL
    assert_same_grads(seed_net, model)
    np.testing.assert_allclose(xt.grad.numpy(), dx_seed, rtol=0, atol=TOL)


@pytest.mark.parametrize("targets", ["indices", "probabilities"])
def test_classifier_with_softmax_cross_entropy_has_the_seeds_gradients(targets):
    rng = np.random.RandomState(42)
    seed_net = SeedNet([SeedLinear(16, 32, rng), SeedReLU(), SeedLinear(32, 16, rng), SeedReLU(),
                        SeedLinear(16, 2, rng)])
    X, labels = data.seed_patterns(64, seed=rng)
    x, labels = X.numpy().astype(np.float64), labels.numpy()
    onehot = np.eye(2)[labels]
    loss_seed, dout = seed_softmax_cross_entropy(seed_net.forward(x), onehot)
    dx_seed = seed_net.backward(dout)

    model = twin(seed_net)
    xt = tg.tensor(x, requires_grad=True)
    target = tg.tensor(labels) if targets == "indices" else tg.tensor(onehot)
    loss = F.cross_entropy(model(xt), target)
    loss.backward()

    assert abs(loss.item() - loss_seed) < 1e-8  # the seed adds 1e-10 inside its log; its gradient ignores that
    assert_same_grads(seed_net, model)
    np.testing.assert_allclose(xt.grad.numpy(), dx_seed, rtol=0, atol=TOL)


def test_the_check_can_fail():
    """A wrong seed-side rule (ReLU letting every gradient through) is not mistaken for a match."""
    rng = np.random.RandomState(0)
    seed_net = SeedNet([SeedLinear(3, 6, rng), SeedReLU(), SeedLinear(6, 2, rng)])
    x, y = rng.randn(7, 3), rng.rand(7, 2)
    seed_net.layers[1].backward = lambda dout: dout
    seed_net.backward(seed_mse(seed_net.forward(x), y)[1])
    model = twin(seed_net)
    F.mse_loss(model(tg.tensor(x)), tg.tensor(y)).backward()
    with pytest.raises(AssertionError):
        assert_same_grads(seed_net, model)


# ----------------------------------------------------------------------------- training trajectories
def test_xor_training_follows_the_seeds_trajectory():
    rng = np.random.RandomState(42)
    seed_net = SeedNet([SeedLinear(2, 8, rng), SeedReLU(), SeedLinear(8, 1, rng), SeedSigmoid()])
    model = twin(seed_net)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    Xt, yt = tg.tensor(X), tg.tensor(y)
    opt = optim.SGD(model.parameters(), lr=0.5)

    seed_losses, our_losses = [], []
    for _ in range(1000):
        loss_seed, dout = seed_mse(seed_net.forward(X), y)
        seed_net.backward(dout)
        seed_net.update(0.5)
        seed_losses.append(loss_seed)

        opt.zero_grad()
        loss = F.mse_loss(model(Xt), yt)
        loss.backward()
        opt.step()
        our_losses.append(loss.item())

    np.testing.assert_allclose(our_losses, seed_losses, rtol=0, atol=TOL)
    assert_same_weights(seed_net, model)
    assert seed_losses[-1] < seed_losses[0] / 10  # it did train, so the trajectory is not trivial


def test_mini_batch_classifier_training_follows_the_seeds_trajectory():
    rng = np.random.RandomState(7)
    seed_net = SeedNet([SeedLinear(16, 32, rng), SeedReLU(), SeedLinear(32, 16, rng), SeedReLU(),
                        SeedLinear(16, 2, rng)])
    model = twin(seed_net)
    X, labels = data.seed_patterns(200, seed=rng)
    x, labels = X.numpy().astype(np.float64), labels.numpy()
    onehot = np.eye(2)[labels]
    opt = optim.SGD(model.parameters(), lr=0.1)

    for _ in range(3):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 32):
            idx = order[start:start + 32]
            seed_net.backward(seed_softmax_cross_entropy(seed_net.forward(x[idx]), onehot[idx])[1])
            seed_net.update(0.1)

            opt.zero_grad()
            F.cross_entropy(model(tg.tensor(x[idx])), tg.tensor(labels[idx])).backward()
            opt.step()
            assert_same_weights(seed_net, model)
