"""An MLP on scikit-learn's 8x8 handwritten digits (no download): about 97-98% test accuracy in seconds.

    python examples/digits_mlp.py                 # curves.png and model.npz in outputs/digits_mlp/
    python examples/digits_mlp.py --fast --out /tmp/mlp
"""

import argparse
from pathlib import Path

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import data, optim
from tinygrad_np._training import accuracy, add_threads_option, blas_threads, save_curves, trange
from tinygrad_np.data import DataLoader, TensorDataset


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Train a 64-256-10 MLP on the 8x8 digits.")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/digits_mlp"), help="folder for the outputs")
    parser.add_argument("--fast", action="store_true", help="5 epochs (for tests)")
    add_threads_option(parser)
    args = parser.parse_args(argv)
    with blas_threads(args.threads):  # small matrices: one BLAS thread is fastest, and robust to busy cores
        return train(args)


def train(args) -> dict:
    epochs = 5 if args.fast else args.epochs

    tg.manual_seed(args.seed)
    (X_train, y_train), (X_test, y_test) = data.digits()  # 1,437 train / 360 test images, flattened to 64
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)

    curves = {"loss": {"train": []}, "accuracy": {"train": [], "test": []}}
    for _ in (bar := trange(epochs, desc="digits MLP")):
        model.train()  # accuracy() below switches to eval mode while it measures
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        scheduler.step()
        curves["loss"]["train"].append(total / len(X_train))
        curves["accuracy"]["train"].append(accuracy(model, X_train, y_train))
        curves["accuracy"]["test"].append(accuracy(model, X_test, y_test))
        bar.set_postfix(loss=f"{total / len(X_train):.4f}", test_acc=f"{curves['accuracy']['test'][-1]:.3f}")

    curves_png = save_curves(curves, args.out / "curves.png", title="8x8 digits: 64-256-10 MLP")
    weights = args.out / "model.npz"
    tg.save(model.state_dict(), weights)  # load it back with model.load_state_dict(tg.load(weights))
    test_acc = curves["accuracy"]["test"][-1]
    print(f"test accuracy {test_acc:.4f} ({round(test_acc * len(X_test))}/{len(X_test)} images)")
    print(f"saved {curves_png} and {weights}")
    return {"test_accuracy": test_acc, "final_loss": curves["loss"]["train"][-1], "files": [curves_png, str(weights)]}


if __name__ == "__main__":
    main()
