"""A small CNN on scikit-learn's 8x8 digits: Conv2d + max pooling, about 98-99% test accuracy.

    python examples/digits_cnn.py                 # curves.png and model.npz in outputs/digits_cnn/
    python examples/digits_cnn.py --fast --out /tmp/cnn

Two 3x3 convolutions (each followed by ReLU and 2x2 max pooling: 8x8 -> 4x4 -> 2x2), dropout and a
linear classifier. Each training batch is shifted by up to one pixel at random (data augmentation).
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


def random_shift(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move each (C, 8, 8) image by -1, 0 or 1 pixel along each axis, filling with zeros."""
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)))
    dy, dx = rng.integers(0, 3, size=(2, len(images)))
    return np.stack([p[:, i:i + 8, j:j + 8] for p, i, j in zip(padded, dy, dx)])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Train a small CNN on the 8x8 digits.")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("outputs/digits_cnn"), help="folder for the outputs")
    parser.add_argument("--fast", action="store_true", help="3 epochs (for tests)")
    add_threads_option(parser)
    args = parser.parse_args(argv)
    with blas_threads(args.threads):  # small matrices: one BLAS thread is fastest, and robust to busy cores
        return train(args)


def train(args) -> dict:
    epochs = 3 if args.fast else args.epochs

    tg.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    (X_train, y_train), (X_test, y_test) = data.digits(flatten=False)
    X_train, X_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)  # (N, channels, height, width)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, 4, 4)
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 64, 2, 2)
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 2 * 2, 10),
    )
    opt = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)

    curves = {"loss": {"train": []}, "accuracy": {"train": [], "test": []}}
    for _ in (bar := trange(epochs, desc="digits CNN")):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(random_shift(xb.numpy(), rng)), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        scheduler.step()
        curves["loss"]["train"].append(total / len(X_train))
        curves["accuracy"]["train"].append(accuracy(model, X_train, y_train))  # eval mode: no dropout
        curves["accuracy"]["test"].append(accuracy(model, X_test, y_test))
        bar.set_postfix(loss=f"{total / len(X_train):.4f}", test_acc=f"{curves['accuracy']['test'][-1]:.3f}")

    curves_png = save_curves(curves, args.out / "curves.png", title="8x8 digits: small CNN")
    weights = args.out / "model.npz"
    tg.save(model.state_dict(), weights)  # load it back with model.load_state_dict(tg.load(weights))
    test_acc = curves["accuracy"]["test"][-1]
    print(f"test accuracy {test_acc:.4f} ({round(test_acc * len(X_test))}/{len(X_test)} images)")
    print(f"saved {curves_png} and {weights}")
    return {"test_accuracy": test_acc, "final_loss": curves["loss"]["train"][-1], "files": [curves_png, str(weights)]}


if __name__ == "__main__":
    main()
