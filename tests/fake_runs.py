"""Result files as the experiment runner writes them, with chosen per-epoch numbers."""
from dwconv_utils.history import EpochStats, History
from dwconv_utils.results import save_result
from dwconv_utils.results import variant as variant_named


def fake_run(folder, variant, seed, accuracies, seconds=10.0, losses=None, conv=None):
    """A result file as the script writes it, with chosen per-epoch numbers."""
    v = variant_named(variant)
    losses = losses or [1.0 / (e + 1) for e in range(len(accuracies))]
    history = History(variant, {"conv": conv or v.conv, "device": "cpu", "batch_size": 128,
                                "train_size": 60_000, "test_size": 10_000},
                      [EpochStats(e + 1, losses[e], losses[e], a, seconds, 60_000 / seconds)
                       for e, a in enumerate(accuracies)], [2.3, 1.0])
    record = {"version": 1, "variant": variant, "seed": seed, "question": v.question,
              "model": {"conv": v.conv, "activation": v.activation, "batch_norm": v.batch_norm,
                        "init": v.init},
              "data": "Fashion-MNIST, 60,000 training and 10,000 test images",
              "wall_seconds": seconds * len(accuracies), "cpu_per_wall": 2.0,
              "machine": {"cpu": "test CPU", "torch_threads": 2}, "history": history.to_dict()}
    return save_result(folder, record)
