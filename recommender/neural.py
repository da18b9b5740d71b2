"""Mult-VAE (Liang et al. 2018, "Variational autoencoders for collaborative filtering") in torch.

A user's row of items goes through an encoder to a Gaussian latent taste and back out as a
softmax over every item; trained on the multinomial likelihood of the items the user has, with
the KL term's weight annealed from 0 to `beta`. It suits shops: a newcomer's few items are scored
by one forward pass, with no per-user parameters to fit. Training runs a fixed number of
optimiser steps rather than epochs, so its cost does not grow with the number of shoppers (400
steps are 50 epochs of MovieLens-100k's 943 users, 5 of a 10,000-shopper store). Seeded, so
training is repeatable.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import sparse
from torch import nn


class _Network(nn.Module):
    def __init__(self, n_items: int, hidden: int, latent: int, dropout: float):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Sequential(nn.Linear(n_items, hidden), nn.Tanh(), nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, n_items))
        self.latent = latent

    def forward(self, rows: torch.Tensor, generator: torch.Generator | None = None):
        encoded = self.encoder(self.drop(nn.functional.normalize(rows, dim=1)))
        mu, logvar = encoded[:, :self.latent], encoded[:, self.latent:]
        if self.training:
            noise = torch.randn(mu.shape, generator=generator)
            z = mu + noise * torch.exp(0.5 * logvar)
        else:
            z = mu
        return self.decoder(z), mu, logvar


class MultVAE:
    """Variational autoencoder over users' item rows; `score` decodes the mean taste (no sampling)."""

    def __init__(self, hidden: int = 600, latent: int = 200, dropout: float = 0.5, beta: float = 0.2,
                 steps: int = 400, batch: int = 128, lr: float = 1e-3, anneal_steps: int = 200, seed: int = 0):
        self.hidden, self.latent, self.dropout, self.beta = hidden, latent, dropout, beta
        self.steps, self.batch, self.lr, self.anneal_steps, self.seed = steps, batch, lr, anneal_steps, seed

    def fit(self, matrix: sparse.csr_matrix) -> MultVAE:
        torch.manual_seed(self.seed)  # weight initialisation and dropout masks
        generator = torch.Generator().manual_seed(self.seed)
        self.matrix = sparse.csr_matrix(matrix, dtype=np.float32)
        rows = torch.as_tensor(self.matrix.toarray())
        self.network = _Network(matrix.shape[1], self.hidden, self.latent, self.dropout)
        optimiser = torch.optim.Adam(self.network.parameters(), lr=self.lr, foreach=True)
        self.network.train()
        step = 0
        while step < self.steps:  # epochs, until the step budget is spent
            for batch in torch.randperm(len(rows), generator=generator).split(self.batch)[:self.steps - step]:
                x = rows[batch]
                logits, mu, logvar = self.network(x, generator)
                likelihood = (nn.functional.log_softmax(logits, dim=1) * x).sum(dim=1).mean()
                kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()
                loss = -likelihood + min(self.beta, self.beta * step / self.anneal_steps) * kl
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                step += 1
        self.network.eval()
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            rows = torch.as_tensor(self.matrix[users].toarray())
            return self.network(rows)[0].numpy()
