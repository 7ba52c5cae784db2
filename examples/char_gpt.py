"""A character-level GPT, written as PyTorch code is written, running on tinygrad_np.

    python examples/char_gpt.py                # 200 AdamW steps on a short text, then a sample
    python examples/char_gpt.py --steps 30

Only the three imports below name tinygrad_np: swap them for ``import torch``, ``import torch.nn as nn``
and ``import torch.nn.functional as F`` and the same file runs on PyTorch (benchmarks/crosscheck_torch.py
does exactly that and compares the two). The model is a decoder-only transformer: token and position
embeddings, blocks of causal self-attention and a GELU feed-forward (each behind a LayerNorm, with a
residual connection), a final LayerNorm and a language-model head that shares its weight with the
token embedding. Training uses AdamW with weight decay on the matrices only; sampling draws each next
character with ``multinomial`` from the ``topk`` most likely ones.
"""

import argparse
import math
from dataclasses import dataclass

import tinygrad_np as torch
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

TEXT = """\
to be or not to be, that is the question: whether 'tis nobler in the mind to suffer
the slings and arrows of outrageous fortune, or to take arms against a sea of troubles
and by opposing end them. to die, to sleep, no more; and by a sleep to say we end
the heart-ache and the thousand natural shocks that flesh is heir to.
"""


@dataclass
class Config:
    vocab_size: int
    context: int = 16  # the longest sequence the model sees
    width: int = 32  # the embedding size
    heads: int = 4
    layers: int = 2
    dropout: float = 0.1
    bias: bool = True  # biases in the Linear layers and the blocks' LayerNorms (the last LayerNorm has none)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        assert cfg.width % cfg.heads == 0
        self.heads = cfg.heads
        self.qkv = nn.Linear(cfg.width, 3 * cfg.width, bias=cfg.bias)  # queries, keys and values in one matmul
        self.out = nn.Linear(cfg.width, cfg.width, bias=cfg.bias)
        self.attn_drop = nn.Dropout(cfg.dropout)
        self.out_drop = nn.Dropout(cfg.dropout)
        # position i may look at positions <= i only: a lower-triangular mask, kept with the model's state
        causal = torch.tril(torch.ones(cfg.context, cfg.context))
        self.register_buffer("mask", causal.view(1, 1, cfg.context, cfg.context))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, heads, T, head size): each head attends on its own slice of the channels
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        scores = scores.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        weights = self.attn_drop(F.softmax(scores, dim=-1))
        y = (weights @ v).transpose(1, 2).contiguous().view(B, T, C)  # the heads side by side again
        return self.out_drop(self.out(y))


class FeedForward(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.up = nn.Linear(cfg.width, 4 * cfg.width, bias=cfg.bias)
        self.act = nn.GELU()
        self.down = nn.Linear(4 * cfg.width, cfg.width, bias=cfg.bias)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x):
        return self.drop(self.down(self.act(self.up(x))))


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.width, bias=cfg.bias)
        self.attn = CausalSelfAttention(cfg)
        self.norm2 = nn.LayerNorm(cfg.width, bias=cfg.bias)
        self.ff = FeedForward(cfg)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.ff(self.norm2(x))


class CharGPT(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.body = nn.ModuleDict({
            "tokens": nn.Embedding(cfg.vocab_size, cfg.width),
            "positions": nn.Embedding(cfg.context, cfg.width),
            "drop": nn.Dropout(cfg.dropout),
            "blocks": nn.ModuleList([Block(cfg) for _ in range(cfg.layers)]),
            "norm": nn.LayerNorm(cfg.width, bias=False),
        })
        self.head = nn.Linear(cfg.width, cfg.vocab_size, bias=False)
        self.body.tokens.weight = self.head.weight  # weight tying: one matrix embeds and un-embeds
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # the residual projections start smaller with depth
            if name.endswith("out.weight") or name.endswith("down.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.layers))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        B, T = idx.size()
        assert T <= self.cfg.context, f"sequence of {T} tokens, the context is {self.cfg.context}"
        positions = torch.arange(0, T, dtype=torch.int64)
        x = self.body.drop(self.body.tokens(idx) + self.body.positions(positions))
        for block in self.body.blocks:
            x = block(x)
        logits = self.head(self.body.norm(x))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    def configure_optimizer(self, lr: float, weight_decay: float):
        """AdamW with two parameter groups: weight decay for the matrices (Linear weights, embeddings),
        none for the biases and the LayerNorm weights."""
        params = {name: p for name, p in self.named_parameters() if p.requires_grad}
        groups = [
            {"params": [p for p in params.values() if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params.values() if p.dim() < 2], "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95))

    @torch.no_grad()
    def generate(self, idx, new_tokens: int, temperature: float = 1.0, top_k=None, generator=None):
        """Append ``new_tokens`` characters to each row of ``idx``, drawing each from the model's
        distribution (only from the ``top_k`` most likely ones, if given)."""
        for _ in range(new_tokens):
            logits, _ = self(idx[:, -self.cfg.context:])
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                kth, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < kth[:, [-1]]] = -float("inf")
            probs = F.softmax(logits, dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1, generator=generator)), dim=1)
        return idx


class Characters:
    """The text as a tensor of character ids, and random (input, next-character target) batches from it."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.ids = {c: i for i, c in enumerate(self.chars)}
        self.data = torch.tensor([self.ids[c] for c in text], dtype=torch.int64)

    def encode(self, s: str):
        return torch.tensor([[self.ids[c] for c in s]], dtype=torch.int64)

    def decode(self, row) -> str:
        return "".join(self.chars[i] for i in row.tolist())

    def batch(self, size: int, context: int, generator=None):
        starts = torch.randint(0, len(self.data) - context, (size,), generator=generator)
        x = torch.stack([self.data[i : i + context] for i in starts])
        y = torch.stack([self.data[i + 1 : i + 1 + context] for i in starts])
        return x, y


def train(model: CharGPT, chars: Characters, steps: int, lr: float = 3e-3, batch: int = 16, generator=None):
    """``steps`` AdamW steps on random batches; returns the losses."""
    optimizer = model.configure_optimizer(lr, weight_decay=0.1)
    model.train()
    losses = []
    for _ in range(steps):
        x, y = chars.batch(batch, model.cfg.context, generator)
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    return losses


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Train a small character-level GPT and sample from it.")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    chars = Characters(TEXT)
    model = CharGPT(Config(vocab_size=len(chars.chars)))
    print(f"{sum(p.numel() for p in model.parameters())} parameters")
    losses = train(model, chars, args.steps)
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f} after {args.steps} steps")
    model.eval()
    sample = chars.decode(model.generate(chars.encode("to be"), 60, top_k=5)[0])
    print(repr(sample))
    return {"losses": losses, "sample": sample}


if __name__ == "__main__":
    main()
