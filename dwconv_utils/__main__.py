"""The package's commands: ``python -m dwconv_utils doctor | data | train | bench | race | experiments``.

    python -m dwconv_utils doctor                  # before class: is everything here?
    python -m dwconv_utils data                    # find or download Fashion-MNIST, verify it
    python -m dwconv_utils train --model separable --epochs 5
    python -m dwconv_utils bench                   # images/s here, seed's code vs the package's
    python -m dwconv_utils race                    # notebook 04's 90-second races over seeds
    python -m dwconv_utils experiments --list      # notebook 04's long runs: what is done
    python -m dwconv_utils protocol plan           # the findings protocol's runs and CPU-hours
    python -m dwconv_utils protocol run            # run what is missing (resumable)
    python -m dwconv_utils protocol clock          # the one clock: step times, interleaved

The options that say where the data is and what runs it (--data, --no-download,
--limit, --device) mean the same in every command that takes them, and one loader
reads the data for all of them.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import torch

from . import bench, budget, checks, data, doctor, experiments, protocol, race, results, train
from .device import pick_device
from .models import ACTIVATIONS, CONV_KINDS, ReferenceCNN

PROG = "python -m dwconv_utils"
DATA_ERRORS = (data.DataUnavailableError, data.DataCorruptError)


def _data_options(parser: argparse.ArgumentParser, limit: str) -> None:
    parser.add_argument("--data", default=None, help="a folder with the four Fashion-MNIST files, looked in first")
    parser.add_argument("--no-download", action="store_true",
                        help="never download; use only local copies of the data")
    parser.add_argument("--limit", type=int, default=None,
                        help=f"use only the first N training and N//6 test images ({limit})")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default: auto)")


def load_train_test(args) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor], str]:
    """(train, test, a note saying what they are) as the data options of ``args`` ask."""
    if args.limit is not None:
        checks.positive_int("--limit", args.limit)
    test_limit = None if args.limit is None else max(1, args.limit // 6)
    download = not args.no_download
    train_set = data.fashion_mnist_tensors("train", root=args.data, download=download, limit=args.limit)
    test_set = data.fashion_mnist_tensors("test", root=args.data, download=download, limit=test_limit)
    note = f"Fashion-MNIST, {len(train_set[0]):,} training and {len(test_set[0]):,} test images"
    return train_set, test_set, note


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="The depthwise separable convolution "
                                "notebooks' commands.")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("doctor", help="before class: versions, torch build, widgets, data, results",
                        description="Print what a lecturer needs to know before class: Python, torch "
                                    "and its build, ipywidgets, JupyterLab and the widgets' front end, "
                                    "Fashion-MNIST (verified), the committed results, threads and "
                                    "device, and what to do about anything missing. Downloads nothing.")
    d = commands.add_parser("data", help="find or download Fashion-MNIST and verify it",
                            description="Find or download Fashion-MNIST and verify every file. Run it "
                                        "once before notebook 04, e.g. at home before a lecture "
                                        "without Wi-Fi.")
    d.add_argument("--data", default=None, help="a folder to look in first")
    d.add_argument("--no-download", action="store_true", help="only look, never download")

    t = commands.add_parser("train", help="train the seed's reference CNN",
                            description="Train the seed's reference CNN on Fashion-MNIST; write the "
                                        "history JSON and the weights.")
    t.add_argument("--model", choices=CONV_KINDS, default="separable")
    t.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--batch-size", type=int, default=train.DEFAULT_BATCH_SIZE)
    t.add_argument("--lr", type=float, default=train.DEFAULT_LR)
    t.add_argument("--optimizer", choices=train.OPTIMIZERS, default="adam")
    t.add_argument("--seed", type=int, default=0)
    _data_options(t, "quick runs")
    t.add_argument("--out", default="runs", help="folder for the history JSON and weights")

    b = commands.add_parser("bench", help="training throughput here, the seed's code vs the package's",
                            description=bench.__doc__.splitlines()[0])
    b.add_argument("--repeats", type=int, default=5)
    b.add_argument("--steps", type=int, default=20, help="training steps per timed repeat")
    b.add_argument("--batch-size", type=int, default=train.DEFAULT_BATCH_SIZE,
                   help="batch size of the in-memory and package settings")
    b.add_argument("--device", default="auto")
    b.add_argument("--json", action="store_true", help="print JSON instead of a table")
    b.add_argument("--families", action="store_true",
                   help="instead: time a training epoch of every width of notebook 06's two families, "
                        f"interleaved, and write {budget.EPOCH_TIMES_FILE} beside the results")
    b.add_argument("--threads", type=int, default=None,
                   help="PyTorch threads for every measurement (default: PyTorch's choice, "
                        f"{torch.get_num_threads()} here)")
    b.add_argument("--seed-batch-size", type=int, default=128, help=argparse.SUPPRESS)
    b.add_argument("--worker", choices=[s.name for s in bench.settings()], help=argparse.SUPPRESS)

    e = commands.add_parser("experiments", help="notebook 04's long runs over seeds",
                            description="Train every variant of the reference CNN over several seeds "
                                        "and write the results (notebook 04).")
    e.add_argument("--only", nargs="+", choices=results.VARIANT_NAMES, default=list(results.VARIANT_NAMES),
                   metavar="VARIANT", help=f"variants to run (default: all of {', '.join(results.VARIANT_NAMES)})")
    e.add_argument("--seeds", nargs="+", type=int, default=None,
                   help="seeds (default: each variant's own, "
                        f"{' '.join(map(str, results.MAIN_SEEDS))} for the main pair)")
    e.add_argument("--epochs", type=int, default=experiments.DEFAULT_EPOCHS)
    _data_options(e, "a smoke run; never write such results into the committed folder")
    e.add_argument("--out", default=None, help=f"folder for the results (default: {results.default_folder()})")
    e.add_argument("--force", action="store_true", help="run again even where a result exists")
    e.add_argument("--list", action="store_true", help="print the plan and exit")

    r = commands.add_parser("race", help="notebook 04's races: each recipe over seeds, then the race",
                            description="Train the separable model for the same budget under each "
                                        "recipe, then race it against its standard twin under the "
                                        "race recipe, over seeds, writing one result file per run "
                                        "(notebook 04). Runs with a file already are skipped.")
    r.add_argument("--seconds", type=float, default=race.DEFAULT_SECONDS,
                   help=f"training seconds per model (default {race.DEFAULT_SECONDS:g})")
    r.add_argument("--recipes", nargs="+", choices=race.RECIPE_NAMES, default=list(race.RECIPE_NAMES),
                   metavar="RECIPE", help=f"recipes to run (default: all of {', '.join(race.RECIPE_NAMES)})")
    r.add_argument("--seeds", nargs="+", type=int, default=list(race.RACE_SEEDS))
    _data_options(r, "a smoke run; never write such results into the committed folder")
    r.add_argument("--out", default=None, help=f"folder for the results (default: {race.default_folder()})")
    r.add_argument("--force", action="store_true", help="run again even where a result exists")
    r.add_argument("--list", action="store_true", help="print the plan and exit")

    f = commands.add_parser("protocol", help="the findings protocol's runs (notebooks 04, 06, 07)",
                            description="Plan, run or time the runs behind the verdicts: validation "
                                        "split, equal tuning grids, 5 seeds, one clock. One file per "
                                        "(run, seed); finished runs are skipped.")
    f.add_argument("action", choices=("plan", "run", "clock"),
                   help="plan: list the runs and their CPU-hours; run: train what is missing; "
                        "clock: measure every planned network's training step here, interleaved")
    f.add_argument("--studies", nargs="+", choices=list(protocol.STUDIES), default=None,
                   metavar="STUDY", help=f"studies (default: all of {', '.join(protocol.STUDIES)})")
    f.add_argument("--seeds", nargs="+", type=int, default=None,
                   help=f"only these seeds (default: all of {' '.join(map(str, protocol.SEEDS))}), "
                        "e.g. the tuning seeds first")
    f.add_argument("--match", default=None, metavar="REGEX",
                   help="only runs whose name this regular expression finds, e.g. '^separable(-bn)?__'")
    f.add_argument("--out", default=None, help=f"results folder (default: {protocol.default_folder()})")
    f.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    f.add_argument("--workers", type=int, default=1, help="processes training side by side")
    f.add_argument("--threads", type=int, default=None, help="torch threads per worker")
    f.add_argument("--deadline", type=float, default=None,
                   help="start no new pack of runs after this many seconds")
    f.add_argument("--data", default=None, help="a folder with the four Fashion-MNIST files")
    f.add_argument("--limit", type=int, default=None,
                   help="use only the first N training and test images (a smoke run; needs --out)")
    return p


def _data_command(args) -> int:
    try:
        for split in data.FILES:
            found = data.load_fashion_mnist(split, root=args.data, download=not args.no_download)
            print(f"{split}: {len(found):,} images ({data.per_class_counts(found.labels)} per class), "
                  f"sha256 verified, from {found.source}")
    except (*DATA_ERRORS, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    return 0


def _train_command(args) -> int:
    try:
        train_set, test_set, _ = load_train_test(args)
        torch.manual_seed(args.seed)
        model = ReferenceCNN(args.model, args.activation)
        print(f"training {train.repr_model(model)} on {len(train_set[0]):,} images, testing on "
              f"{len(test_set[0]):,}; device {pick_device(args.device)}, torch {torch.__version__}, "
              f"{torch.get_num_threads()} threads, {platform.machine()}", flush=True)
        history = train.fit(model, train_set, test_set, args.epochs, batch_size=args.batch_size,
                            lr=args.lr, optimizer=args.optimizer, seed=args.seed, device=args.device,
                            name=f"{args.model}-{args.activation}")
    except (*DATA_ERRORS, ValueError, TypeError, train.TrainingDiverged) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stem = Path(args.out) / f"{args.model}-{args.activation}-seed{args.seed}"
    # Weights first, as the experiment runner does: a history file never lacks its weights.
    train.save_weights(model, stem.with_suffix(".pt"))
    history.save(stem.with_suffix(".json"))
    print(f"wrote {stem.with_suffix('.json')} and {stem.with_suffix('.pt')}")
    return 0


def _bench_command(args) -> int:
    if args.families:
        record = budget.measure_epoch_times(repeats=args.repeats, device=pick_device(args.device))
        path = budget.save_epoch_times(record)
        for name, seconds in record["epoch_seconds"].items():
            print(f"{name:>24}: {seconds:6.1f} s per epoch")
        print(f"wrote {path} ({record['seconds_measuring']:.0f} s of measuring on {record['machine']['cpu']})")
        return 0
    if args.threads is not None:
        try:
            torch.set_num_threads(checks.positive_int("--threads", args.threads))
        except (TypeError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    if args.worker:  # one setting, in this fresh process (see bench's docstring)
        setting = {s.name: s for s in bench.settings(args.batch_size, args.seed_batch_size)}[args.worker]
        print(json.dumps(bench.measure_setting(setting, args.steps, pick_device(args.device))))
        return 0
    try:
        report = bench.run_benchmark(args.repeats, args.steps, args.batch_size, args.device,
                                     args.seed_batch_size, args.threads)
    except (ValueError, TypeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=1) if args.json else bench.format_report(report))
    return 0


def _check_run_options(args, committed: Path) -> Path:
    """The results folder of a run command; its seeds and --limit checked, and a subset refused
    in the ``committed`` folder."""
    folder = Path(args.out) if args.out else committed
    if args.limit is not None:
        checks.positive_int("--limit", args.limit)
    for s in args.seeds or ():
        checks.non_negative_int("--seeds", s)
    if args.limit is not None and folder.resolve() == committed.resolve():
        raise ValueError("--limit makes a smoke run on a subset; give --out another folder "
                         f"so it cannot mix with the full results in {folder}")
    return folder


def _experiments_command(args, argv: list[str]) -> int:
    try:
        folder = _check_run_options(args, results.default_folder())
        epochs = checks.positive_int("--epochs", args.epochs)
    except (TypeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    runs = experiments.missing_runs(folder, args.only, args.seeds, args.force)
    for v, s, todo in runs:
        print(f"{v.name:>15} seed {s}: {'to run' if todo else 'done'}")
    count = sum(todo for _, _, todo in runs)
    if args.list or not count:
        return 0
    try:
        train_set, test_set, note = load_train_test(args)
    except DATA_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{note}; {count} runs of {epochs} epochs; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; writing to {folder}", flush=True)
    experiments.run_missing(folder, train_set, test_set, names=args.only, seeds=args.seeds,
                            epochs=epochs, force=args.force, device=args.device, data_note=note,
                            command=" ".join([PROG, *argv]))
    return 0


def _race_command(args, argv: list[str]) -> int:
    try:
        folder = _check_run_options(args, race.default_folder())
        checks.positive_number("--seconds", args.seconds)
    except (TypeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    plan = race.study_plan(args.recipes, args.seeds)
    todo = [run for run in plan
            if args.force or not (folder / f"{race.run_name(*run)}.json").exists()]
    for run in plan:
        print(f"{race.run_name(*run):>40}: {'to run' if run in todo else 'done'}")
    if args.list or not todo:
        return 0
    try:
        train_set, test_set, note = load_train_test(args)
    except (*DATA_ERRORS, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{note}; {len(todo)} runs of {args.seconds:g} s per model; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; writing to {folder}", flush=True)
    race.run_study(folder, train_set, test_set, recipes=args.recipes, seeds=args.seeds,
                   seconds=args.seconds, device=args.device, force=args.force, data_note=note,
                   command=" ".join([PROG, *argv]))
    return 0


def _protocol_command(args, argv: list[str]) -> int:
    try:
        folder = Path(args.out) if args.out else protocol.default_folder()
        workers = checks.positive_int("--workers", args.workers)
        if args.threads is not None:
            checks.positive_int("--threads", args.threads)
        if args.deadline is not None:
            checks.positive_number("--deadline", args.deadline)
    except (TypeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.action == "clock":
        if args.threads:
            torch.set_num_threads(args.threads)
        nets = sorted({r.run.net for r in protocol.plan(folder, args.studies) if r.run is not None}
                      | {net for family in protocol.FAMILIES for net, _ in protocol.family_grid(family)},
                      key=lambda net: net.key)
        clock = protocol.measure_clock(nets, folder)
        for key in sorted(clock["seconds_per_step"]):
            print(f"{key:40} {1e3 * clock['seconds_per_step'][key]:8.1f} ms/step")
        return 0
    print(protocol.format_plan(protocol.plan(folder, args.studies, args.seeds, args.match),
                               protocol.read_clock(folder)), flush=True)
    if args.action == "plan":
        return 0
    try:
        written = protocol.run_missing(folder, args.studies, seeds=args.seeds, match=args.match,
                                       device=args.device,
                                       workers=workers,
                                       threads=args.threads, deadline_seconds=args.deadline,
                                       root=args.data, limit=args.limit,
                                       command=" ".join([PROG, *argv]),
                                       log=lambda line: print(line, flush=True))
    except DATA_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} result files under {folder}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit status (0 done, 1 data not ready, 2 bad input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    if args.command == "doctor":
        text = doctor.report()
        print(text)
        return 0 if text.endswith("All set for class.") else 1
    if args.command == "data":
        return _data_command(args)
    if args.command == "train":
        return _train_command(args)
    if args.command == "bench":
        return _bench_command(args)
    if args.command == "race":
        return _race_command(args, argv)
    if args.command == "protocol":
        return _protocol_command(args, argv)
    return _experiments_command(args, argv)


if __name__ == "__main__":
    sys.exit(main())
