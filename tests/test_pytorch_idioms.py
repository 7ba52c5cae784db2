"""Code written the way PyTorch tutorials write it runs unchanged on tinygrad_np (imported as
``torch``) and trains: the hand-written step of "What is torch.nn really?", the same with
nn.Module and nn.Parameter, then DataLoader + optim + the usual accuracy idiom."""

from __future__ import annotations

import math

import numpy as np

import tinygrad_np as torch
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import optim
from tinygrad_np.data import DataLoader, TensorDataset


def blobs(n=600, seed=0):
    """Three well-separated Gaussian classes in 8 dimensions."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 8)) * 0.5 + np.eye(3, 8)[y] * 3
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def test_hand_written_training_step():
    torch.manual_seed(0)
    x_train, y_train = blobs()
    weights = torch.randn(8, 3) / math.sqrt(8)
    weights.requires_grad_()
    bias = torch.zeros(3, requires_grad=True)

    def log_softmax(x):
        return x - x.exp().sum(-1).log().unsqueeze(-1)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()

    def accuracy(out, yb):
        preds = torch.argmax(out, dim=1)
        return (preds == yb).float().mean()

    first = nll(model(x_train), y_train).item()
    bs, lr = 64, 0.5
    for _epoch in range(3):
        for i in range((len(x_train) - 1) // bs + 1):
            xb, yb = x_train[i * bs:(i + 1) * bs], y_train[i * bs:(i + 1) * bs]
            loss = nll(model(xb), yb)
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
    assert nll(model(x_train), y_train).item() < first / 5
    assert accuracy(model(x_train), y_train).item() > 0.95


def test_module_parameters_dataloader_and_optimizer():
    torch.manual_seed(0)
    x_train, y_train = blobs()

    class Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.Parameter(torch.randn(8, 3) / math.sqrt(8))
            self.bias = nn.Parameter(torch.zeros(3))

        def forward(self, xb):
            return xb @ self.weights + self.bias

    model = Logistic()
    for xb, yb in DataLoader(TensorDataset(x_train, y_train), batch_size=64):
        F.cross_entropy(model(xb), yb).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= p.grad * 0.5
            model.zero_grad()

    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
    for _epoch in range(3):
        net.train()
        for xb, yb in train_dl:
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        net.eval()
        with torch.no_grad():
            valid_loss = sum(F.cross_entropy(net(xb), yb) for xb, yb in train_dl) / len(train_dl)
    for m in (model, net):
        _, predicted = torch.max(m(x_train), 1)
        assert (predicted == y_train).sum().item() / len(y_train) > 0.95
    assert valid_loss.item() < 0.2 and not valid_loss.requires_grad
