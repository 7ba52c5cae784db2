"""Datasets and batching: ``TensorDataset``, ``DataLoader`` and small ready-made datasets."""

from . import datasets
from .dataset import Dataset, TensorDataset
from .datasets import digits, mnist, seed_patterns, xor
from .loader import DataLoader, default_collate

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate", "datasets", "xor", "seed_patterns",
           "digits", "mnist"]
