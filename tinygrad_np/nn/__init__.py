"""Neural-network building blocks: ``Module``, layers, losses, ``functional`` and ``init``.

    import tinygrad_np.nn as nn
    import tinygrad_np.nn.functional as F

    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    loss = F.cross_entropy(model(x), y)
"""

from . import functional, init, utils
from .layers import (
    GELU,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    Conv2d,
    ConvTranspose2d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    L1Loss,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    MSELoss,
    NLLLoss,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from .module import IncompatibleKeys, Module, ModuleList, Parameter, Sequential
from .recurrent import GRU, LSTM, RNN

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Sequential", "ModuleList", "IncompatibleKeys",
    "Identity", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softplus", "Softmax", "LogSoftmax",
    "Flatten", "Dropout", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm", "Embedding", "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "RNN", "LSTM", "GRU",
]
