"""Correct variant: a small conditional GAN in torch, trained for 1500 steps on the standardized measurements.

The condition is the one-hot (species, island, sex) of a training row drawn at random, so the
categories keep their training frequencies. The generator maps noise and the condition to the four
measurements.
"""
import numpy as np
import pandas as pd
import torch
from torch import nn

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["species", "island", "sex"]
NOISE_DIM = 8
STEPS = 1500
BATCH = 64


def _one_hot(train):
    parts = [
        torch.nn.functional.one_hot(torch.tensor(train[c].cat.codes.to_numpy(), dtype=torch.long),
                                    len(train[c].cat.categories)).float()
        for c in CATEGORICAL
    ]
    return torch.cat(parts, dim=1)


def _mlp(inputs, outputs):
    return nn.Sequential(nn.Linear(inputs, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2),
                         nn.Linear(64, outputs))


def fit_generate(train, n_rows, seed):
    torch.manual_seed(seed)
    x = torch.tensor(train[NUMERIC].to_numpy(), dtype=torch.float32)
    mean, std = x.mean(0), x.std(0)
    x = (x - mean) / std
    condition = _one_hot(train)
    generator = _mlp(NOISE_DIM + condition.shape[1], len(NUMERIC))
    discriminator = _mlp(len(NUMERIC) + condition.shape[1], 1)
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.9))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)

    for _ in range(STEPS):
        index = torch.randint(0, len(x), (BATCH,))
        real, c = x[index], condition[index]
        fake = generator(torch.cat([torch.randn(BATCH, NOISE_DIM), c], dim=1))
        loss_d = bce(discriminator(torch.cat([real, c], 1)), ones) + bce(discriminator(torch.cat([fake.detach(), c], 1)), zeros)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = bce(discriminator(torch.cat([fake, c], 1)), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    rows = torch.randint(0, len(x), (n_rows,))
    with torch.no_grad():
        measurements = generator(torch.cat([torch.randn(n_rows, NOISE_DIM), condition[rows]], dim=1)) * std + mean
    synthetic = train.iloc[rows.numpy()][CATEGORICAL].reset_index(drop=True)
    for i, column in enumerate(NUMERIC):
        synthetic[column] = measurements[:, i].double().numpy()
    return synthetic[list(train.columns)]
