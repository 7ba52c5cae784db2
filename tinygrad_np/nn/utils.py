"""``nn.utils``: gradient clipping, where PyTorch keeps it (implemented in ``optim/clip.py``)."""

from ..optim.clip import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
