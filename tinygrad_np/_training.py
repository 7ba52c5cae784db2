"""Small helpers shared by the examples and the ``tinygrad-np`` command (not public API).

- :func:`trange`, :func:`progress`: tqdm's progress bars, with a clear message if tqdm is missing;
- :func:`accuracy`: classification accuracy of a model on a whole dataset, in eval mode, without a graph;
- :func:`save_curves`: training curves (loss, accuracy, ...) as a PNG, drawn with matplotlib's Agg backend;
- :func:`blas_threads`: limit NumPy's BLAS threads (with threadpoolctl, when it is installed);
- :func:`add_threads_option`: the examples' ``--threads N`` option (default 1) for :func:`blas_threads`.

tqdm and matplotlib come with the training extra: ``pip install "tinygrad_np[train]"``.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import numpy as np

from .autograd import no_grad

__all__ = ["trange", "progress", "accuracy", "save_curves", "blas_threads", "add_threads_option"]

_EXTRA = 'pip install "tinygrad_np[train]"'


def _tqdm():
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError(f"the progress bar needs tqdm: {_EXTRA}") from None
    return tqdm


def progress(iterable, **kwargs):
    """``tqdm(iterable)``: a progress bar over anything iterable (``bar.set_postfix(...)`` adds values)."""
    return _tqdm()(iterable, dynamic_ncols=True, **kwargs)


def trange(n: int, **kwargs):
    """A progress bar over ``range(n)``."""
    return progress(range(n), **kwargs)


def accuracy(model, X, y, batch_size: int = 1024) -> float:
    """Fraction of samples whose largest logit is the true class. Runs in eval mode (dropout off) and
    without recording a graph; the model's training mode is restored afterwards."""
    was_training = model.training
    model.eval()
    correct = 0
    try:
        with no_grad():
            for start in range(0, len(X), batch_size):
                logits = model(X[start:start + batch_size])
                correct += int((logits.argmax(axis=1) == y[start:start + batch_size]).numpy().sum())
    finally:
        model.train(was_training)
    return correct / max(len(X), 1)


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError(f"saving curves needs matplotlib: {_EXTRA}") from None
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # files only, no display; must happen before pyplot is imported
    import matplotlib.pyplot as plt

    return plt


def save_curves(curves: dict, path, title: str | None = None, log_scale=("loss",)) -> str:
    """Draw one panel per entry of ``curves`` and save the figure to ``path`` (PNG by its suffix).

    ``curves`` maps a panel name (the y label) to ``{line label: values per epoch}``, e.g.
    ``{"loss": {"train": [...]}, "accuracy": {"train": [...], "test": [...]}}``. Panels named in
    ``log_scale`` use a logarithmic y axis (when all their values are positive). Returns the path.
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 3.6), squeeze=False)
    for ax, (panel, lines) in zip(axes[0], curves.items()):
        for label, values in lines.items():
            values = np.asarray(values, dtype=float)
            ax.plot(np.arange(1, len(values) + 1), values, label=label)
        positive = all(np.all(np.asarray(v, dtype=float) > 0) for v in lines.values())
        if panel in log_scale and positive:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(panel)
        ax.grid(True, alpha=0.3)
        if len(lines) > 1:
            ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


@contextlib.contextmanager
def blas_threads(n: int = 1):
    """Run the block with at most ``n`` BLAS threads if threadpoolctl is installed, else unchanged.

    The matrices of small networks are too small to share out: several BLAS threads mostly wait
    for each other, and on a machine whose cores are busy a step can take ten times longer.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(n, user_api="blas"):
        yield


def add_threads_option(parser) -> None:
    """Add ``--threads N`` (default 1) to an example's parser; it runs its work in ``blas_threads(args.threads)``."""
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="BLAS threads for NumPy's matrix products (default: 1, the fastest for small networks)")
