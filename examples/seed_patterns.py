"""The seed notebook's section 6: tell a 4x4 "0" (a ring) from a "1" (a bar), with a 16-32-16-2 classifier.

    python examples/seed_patterns.py                 # curves in outputs/seed_patterns/
    python examples/seed_patterns.py --fast --out /tmp/patterns

Cross-entropy on the logits (softmax is inside the loss), mini-batches of 32, SGD with lr 0.1.
"""

import argparse
from pathlib import Path

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import data, optim
from tinygrad_np._training import accuracy, add_threads_option, blas_threads, save_curves, trange
from tinygrad_np.data import DataLoader, TensorDataset


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Classify the seed notebook's 4x4 patterns with a 16-32-16-2 MLP.")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("outputs/seed_patterns"), help="folder for curves.png")
    parser.add_argument("--fast", action="store_true", help="5 epochs (for tests)")
    add_threads_option(parser)
    args = parser.parse_args(argv)
    with blas_threads(args.threads):  # small matrices: one BLAS thread is fastest, and robust to busy cores
        return train(args)


def train(args) -> dict:
    epochs = 5 if args.fast else args.epochs

    tg.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)  # one stream for both sets, like the notebook's np.random.seed(42)
    X_train, y_train = data.seed_patterns(800, seed=rng)
    X_test, y_test = data.seed_patterns(200, seed=rng)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = optim.SGD(model.parameters(), lr=args.lr)

    curves = {"loss": {"train": []}, "accuracy": {"train": [], "test": []}}
    for _ in (bar := trange(epochs, desc="patterns")):
        model.train()  # accuracy() below switches to eval mode while it measures
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)  # labels as class indices: no one-hot needed
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        curves["loss"]["train"].append(total / len(X_train))
        curves["accuracy"]["train"].append(accuracy(model, X_train, y_train))
        curves["accuracy"]["test"].append(accuracy(model, X_test, y_test))
        bar.set_postfix(loss=f"{total / len(X_train):.4f}", test_acc=f"{curves['accuracy']['test'][-1]:.3f}")

    test_acc = curves["accuracy"]["test"][-1]
    path = save_curves(curves, args.out / "curves.png", title="4x4 patterns: 16-32-16-2 MLP")
    print(f"final loss {curves['loss']['train'][-1]:.4f}, train accuracy {curves['accuracy']['train'][-1]:.3f}, "
          f"test accuracy {test_acc:.3f}; curves saved to {path}")
    return {"test_accuracy": test_acc, "final_loss": curves["loss"]["train"][-1], "files": [path]}


if __name__ == "__main__":
    main()
