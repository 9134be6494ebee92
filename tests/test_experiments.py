"""Planning and running the long runs behind notebook 04."""
import torch

from dwconv_utils import experiments
from dwconv_utils.experiments import plan
from dwconv_utils.results import MAIN_SEEDS, VARIANT_SEEDS, variant


def test_plan_runs_the_main_pair_first_interleaved_by_seed():
    runs = [(v.name, s) for v, s in plan()]
    main = [(n, s) for s in MAIN_SEEDS for n in ("standard", "separable")]
    assert runs[:len(main)] == main
    assert runs[len(main):len(main) + 4] == [("separable-bn", 0), ("separable-selu", 0),
                                             ("separable-bn", 1), ("separable-selu", 1)]
    assert runs[len(main) + 4:len(main) + 6] == [("standard-bn", 0), ("standard-bn", 1)]  # added later
    assert runs[len(main) + 6:len(main) + 9] == [("separable-per-group-init", s) for s in MAIN_SEEDS]
    # Then the equal-budget families: the matched members first at each seed.
    family = runs[len(main) + 9:]
    assert family[:5] == [("standard-w0.375", 0), ("standard-w0.58", 0), ("separable-w2", 0),
                          ("standard-w0.25", 0), ("separable-w0.5", 0)]
    assert family[-9:-6] == [("standard-w0.375", 2), ("standard-w0.58", 2), ("separable-w2", 2)]
    assert family[-6:] == [(name, s) for s in MAIN_SEEDS for name in ("separable-pool", "standard-pool-w0.36")]
    assert len(runs) == sum(len(variant(n).default_seeds()) for n in {name for name, _ in runs})
    assert [(v.name, s) for v, s in plan(["separable"], [5])] == [("separable", 5)]


def test_a_run_records_the_code_and_machine_it_started_with(monkeypatch):
    # Hours of training: the tree may change meanwhile, the record must name what ran.
    state = {"tree": "as imported"}
    monkeypatch.setattr(experiments, "run_provenance",
                        lambda: {"cpu": "test CPU", "torch_threads": 1, "git_commit": state["tree"]})
    real_fit = experiments.fit

    def fit_then_edit(*args, **kwargs):
        history = real_fit(*args, **kwargs)
        state["tree"] = "edited during the run"
        return history
    monkeypatch.setattr(experiments, "fit", fit_then_edit)
    images, labels = torch.zeros(8, 1, 28, 28), torch.zeros(8, dtype=torch.long)
    record, _ = experiments.run_one(variant("separable"), 0, (images, labels),
                                    (images, labels), epochs=1, progress=False)
    assert record["machine"]["git_commit"] == "as imported"
    assert state["tree"] == "edited during the run"
