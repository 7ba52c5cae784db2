"""An MLP on the real MNIST (60,000 training and 10,000 test images of 28x28), from its IDX files.

    python examples/mnist.py --data-dir ~/data/mnist             # curves.png and model.npz in outputs/mnist/
    python examples/mnist.py --data-dir ~/data/mnist --download  # fetch missing files first (needs internet)
    python examples/mnist.py --data-dir ~/data/mnist --fast      # 1 epoch on 2,000 images

The folder must hold train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
t10k-labels-idx1-ubyte, gzipped (.gz) or not.
"""

import argparse
import sys
from pathlib import Path

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import data, optim
from tinygrad_np._training import accuracy, add_threads_option, blas_threads, progress, save_curves
from tinygrad_np.data import DataLoader, TensorDataset


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Train a 784-256-10 MLP on MNIST from its IDX files.")
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with the MNIST IDX files")
    parser.add_argument("--download", action="store_true", help="download missing files into --data-dir")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/mnist"), help="folder for the outputs")
    parser.add_argument("--fast", action="store_true", help="1 epoch on the first 2,000 training images")
    add_threads_option(parser)
    args = parser.parse_args(argv)
    with blas_threads(args.threads):  # small matrices: one BLAS thread is fastest, and robust to busy cores
        return train(args)


def train(args) -> dict:
    epochs = 1 if args.fast else args.epochs

    try:
        X_train, y_train = data.mnist(args.data_dir, train=True, download=args.download)
        X_test, y_test = data.mnist(args.data_dir, train=False, download=args.download)
    except (FileNotFoundError, ConnectionError) as e:
        sys.exit(f"error: {e}\nPut the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                 f"t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, optionally .gz) in {args.data_dir}, "
                 "or add --download.")
    if args.fast:
        X_train, y_train = X_train[:2000], y_train[:2000]

    tg.manual_seed(args.seed)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=args.lr)

    curves = {"loss": {"train": []}, "accuracy": {"train": [], "test": []}}
    for epoch in range(epochs):
        model.train()  # accuracy() below switches to eval mode while it measures
        total = 0.0
        for xb, yb in (bar := progress(loader, desc=f"epoch {epoch + 1}/{epochs}")):
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        curves["loss"]["train"].append(total / len(X_train))
        curves["accuracy"]["train"].append(accuracy(model, X_train, y_train))
        curves["accuracy"]["test"].append(accuracy(model, X_test, y_test))
        print(f"epoch {epoch + 1}: loss {curves['loss']['train'][-1]:.4f}, "
              f"test accuracy {curves['accuracy']['test'][-1]:.4f}")

    curves_png = save_curves(curves, args.out / "curves.png", title="MNIST: 784-256-10 MLP")
    weights = args.out / "model.npz"
    tg.save(model.state_dict(), weights)  # load it back with model.load_state_dict(tg.load(weights))
    test_acc = curves["accuracy"]["test"][-1]
    print(f"test accuracy {test_acc:.4f}; saved {curves_png} and {weights}")
    return {"test_accuracy": test_acc, "final_loss": curves["loss"]["train"][-1], "files": [curves_png, str(weights)]}


if __name__ == "__main__":
    main()
