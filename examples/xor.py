"""XOR with a 2-8-1 network: the seed notebook's section 5, with autodiff instead of hand-written backward.

    python examples/xor.py                 # 1,000 epochs of SGD, lr 0.5; curves in outputs/xor/
    python examples/xor.py --fast --out /tmp/xor

XOR is not linearly separable, so it needs the hidden layer. The model is
Linear(2, 8) -> ReLU -> Linear(8, 1) -> Sigmoid, trained on the mean squared error.
"""

import argparse
from pathlib import Path

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import data, optim
from tinygrad_np._training import add_threads_option, blas_threads, save_curves, trange


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Train a 2-8-1 MLP on XOR (the seed notebook's section 5).")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/xor"), help="folder for curves.png")
    parser.add_argument("--fast", action="store_true", help="300 epochs (for tests)")
    add_threads_option(parser)
    args = parser.parse_args(argv)
    with blas_threads(args.threads):  # small matrices: one BLAS thread is fastest, and robust to busy cores
        return train(args)


def train(args) -> dict:
    epochs = 300 if args.fast else args.epochs

    tg.manual_seed(args.seed)
    X, y = data.xor()
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    opt = optim.SGD(model.parameters(), lr=args.lr)

    losses, accuracies = [], []
    model.train()  # training mode (it matters for Dropout and BatchNorm, which this model does not have)
    for _ in (bar := trange(epochs, desc="XOR")):
        opt.zero_grad()
        pred = model(X)
        loss = F.mse_loss(pred, y)
        loss.backward()  # fills p.grad for every parameter: the backward pass
        opt.step()  # p -= lr * p.grad: gradient descent
        losses.append(loss.item())
        accuracies.append(((pred.detach() > 0.5) == (y > 0.5)).numpy().mean())
        bar.set_postfix(loss=f"{losses[-1]:.5f}", refresh=False)

    model.eval()  # evaluation mode for predicting
    with tg.no_grad():
        pred = model(X).numpy().ravel()
    print("predictions after training:")
    for (a, b), target, p in zip(X.numpy().astype(int), y.numpy().ravel(), pred):
        print(f"  [{a} {b}] -> {p:.4f}  (target {target:.0f}, rounded {round(p)})")
    curves = save_curves({"loss": {"train": losses}, "accuracy": {"train": accuracies}}, args.out / "curves.png",
                         title=f"XOR: 2-8-1 MLP, SGD lr {args.lr}")
    print(f"final loss {losses[-1]:.6f}; curves saved to {curves}")
    return {"predictions": pred, "targets": y.numpy().ravel(), "losses": losses, "files": [curves]}


if __name__ == "__main__":
    main()
