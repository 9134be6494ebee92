"""A tiny learnable data set and a two-epoch run of the reference CNN on it, for fast tests."""
import torch

from dwconv_utils import ReferenceCNN, fit


def tiny_data(n=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    images = torch.randn(n, 1, 28, 28, generator=g) + labels.view(n, 1, 1, 1) * 0.3
    return images, labels


def train_tiny(seed=0, **kwargs):
    torch.manual_seed(seed)
    model = ReferenceCNN()
    options = dict(batch_size=16, progress=False, seed=seed)
    options.update(kwargs)
    return model, fit(model, tiny_data(), tiny_data(20, seed=1), 2, **options)
