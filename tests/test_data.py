"""Fashion-MNIST data path: search order, verification, downloads and their faults.

Downloads are tested against a local HTTP server on 127.0.0.1 that serves
small IDX files made here (with their own checksums) and every fault case.
The real-data tests run when the data set is installed (Debian's package
dataset-fashion-mnist, or DWCONV_DATA); they are skipped otherwise, except
when the CI environment variable is set, where missing data is a failure.
"""
import gzip
import hashlib
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from dwconv_utils import data

from real_data import ALL_NAMES, needs_real_data, real_folder
from dwconv_utils.data import (CLASSES, MEAN, STD, DataCorruptError, DataUnavailableError,
                               download_file, fashion_mnist_tensors, load_fashion_mnist)

REPO = Path(__file__).resolve().parents[1]


# --- small IDX files made here -------------------------------------------------

def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_split(count: int, seed: int, size: int = 28):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, size, size), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    return idx_bytes(images, 0x803), idx_bytes(labels, 0x801)


SMALL = dict(zip(ALL_NAMES, make_split(30, seed=0) + make_split(20, seed=1)))
SMALL_CHECKSUMS = {name: hashlib.sha256(raw).hexdigest() for name, raw in SMALL.items()}
NAME = "train-images-idx3-ubyte"


def write_files(folder: Path, files=SMALL, gz=True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in files.items():
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return folder


def assert_holds_only_verified_files(folder: Path, checksums=SMALL_CHECKSUMS):
    """After any download, success or failure: verified files under their names, or nothing."""
    if not folder.exists():
        return
    for path in folder.iterdir():
        if path.name == ".lock":
            continue
        assert path.name in checksums, f"unexpected file left in the cache: {path.name}"
        data.read_idx(path, checksums)


# --- a local server with every fault ----------------------------------------

def served_bytes(mode: str, raw: bytes) -> bytes:
    packed = gzip.compress(raw)
    if mode == "truncated":
        return packed[: len(packed) // 2]
    if mode == "corrupt":
        flipped = bytearray(raw)
        flipped[-1] ^= 0xFF
        return gzip.compress(bytes(flipped))
    if mode == "badmagic":
        return gzip.compress(b"\x00\x00\x08\x02" + raw[4:])
    if mode == "notgzip":
        return raw
    return packed


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        _, mode, filename = self.path.split("/", 2)
        self.server.hits[mode] += 1
        name = filename[:-3] if filename.endswith(".gz") else filename
        if mode in ("404", "500") or name not in SMALL:
            self.send_error(int(mode) if mode in ("404", "500") else 404)
            return
        if mode == "hang":
            self.server.release.wait(10)
            return
        body = served_bytes(mode, SMALL[name])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        step = max(1, len(body) // 10)
        for start in range(0, len(body), step):
            self.wfile.write(body[start:start + step])
            self.wfile.flush()
            if mode == "slow":
                time.sleep(0.05)


class Server:
    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.hits = Counter()
        self.httpd.release = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def hits(self) -> Counter:
        return self.httpd.hits

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{mode}/"

    def close(self):
        self.httpd.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def module_server():
    server = Server()
    yield server
    server.close()


@pytest.fixture
def server(module_server):
    module_server.hits.clear()
    return module_server


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Never touch the real user cache or the real Debian folder; no pauses between retries."""
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(data.DEBIAN_ENV, str(tmp_path / "no-debian"))
    monkeypatch.setattr(data, "RETRY_PAUSE_S", 0.0)
    return tmp_path


def fetch(server, mode, folder, **options):
    options = {"checksums": SMALL_CHECKSUMS, "timeout": 2, "retries": 1, "progress": False, **options}
    return download_file(NAME, folder, mirrors=[server.url(mode)], **options)


def load_small(split="train", server=None, **options):
    mirrors = [server.url("ok")] if server else ["http://127.0.0.1:9/"]
    return load_fashion_mnist(split, mirrors=mirrors, checksums=SMALL_CHECKSUMS, timeout=2,
                              retries=0, **options)


# --- downloads ----------------------------------------------------------------

def test_download_stores_the_verified_decompressed_file(server, tmp_path):
    path = fetch(server, "ok", tmp_path / "cache")
    assert path == tmp_path / "cache" / NAME
    assert path.read_bytes() == SMALL[NAME]
    assert_holds_only_verified_files(tmp_path / "cache")


@pytest.mark.parametrize("mode, error, words, tries", [
    ("truncated", DataCorruptError, "truncated", 2),
    ("corrupt", DataCorruptError, "sha256", 2),
    ("badmagic", DataCorruptError, "magic number", 2),
    ("notgzip", DataCorruptError, "gzip", 2),
    ("hang", DataUnavailableError, "no answer within 0.3 s", 2),
    ("drop", DataUnavailableError, "connection dropped", 2),
    ("404", DataUnavailableError, "HTTP 404", 1),
    ("500", DataUnavailableError, "HTTP 500", 2),
])
def test_a_failed_download_leaves_nothing_and_says_why(server, tmp_path, mode, error, words, tries):
    folder = tmp_path / "cache"
    start = time.monotonic()
    with pytest.raises(error, match=words) as caught:
        fetch(server, mode, folder, timeout=0.3)
    assert time.monotonic() - start < 5, "timeouts and retries must be bounded"
    assert server.hits[mode] == tries  # 1 + retries, or 1 where retrying cannot help
    assert server.url(mode) in str(caught.value)
    assert_holds_only_verified_files(folder)
    assert not any(folder.glob("*.part")) and not any(folder.glob(".*.part"))


def test_the_next_mirror_is_tried_when_one_fails(server, tmp_path):
    path = download_file(NAME, tmp_path, mirrors=[server.url("404"), server.url("ok")],
                         checksums=SMALL_CHECKSUMS, timeout=2, retries=1, progress=False)
    assert path.read_bytes() == SMALL[NAME]
    assert (server.hits["404"], server.hits["ok"]) == (1, 1)


def test_an_unreachable_server_gives_a_plain_reason(tmp_path):
    with pytest.raises(DataUnavailableError) as caught:
        download_file(NAME, tmp_path, mirrors=["http://127.0.0.1:9/"], checksums=SMALL_CHECKSUMS,
                      timeout=1, retries=0, progress=False)
    assert "http://127.0.0.1:9/train-images-idx3-ubyte.gz: connection refused" in str(caught.value)
    assert caught.value.__context__ is None  # no urllib traceback chained to it


def test_a_verified_file_already_there_is_kept_without_a_request(server, tmp_path):
    write_files(tmp_path, {NAME: SMALL[NAME]}, gz=False)
    assert fetch(server, "ok", tmp_path) == tmp_path / NAME
    assert sum(server.hits.values()) == 0


def test_a_corrupt_file_in_the_download_folder_is_replaced(server, tmp_path):
    (tmp_path / NAME).write_bytes(SMALL[NAME][:-5])
    with pytest.warns(UserWarning, match="corrupt"):
        fetch(server, "ok", tmp_path)
    assert (tmp_path / NAME).read_bytes() == SMALL[NAME]


def test_leftovers_of_a_killed_download_are_removed(server, tmp_path):
    if data.fcntl is None:
        pytest.skip("without file locks a partial file may belong to a running download")
    leftover = tmp_path / f".{NAME}.abc123.part"
    leftover.write_bytes(b"half a download")
    fetch(server, "ok", tmp_path)
    assert not leftover.exists()


CHILD = """
import json, os, sys, time
from dwconv_utils import data
# Start downloading together: each child announces itself, then waits for the other.
barrier = sys.argv[5]
open(os.path.join(barrier, str(os.getpid())), "w").close()
deadline = time.monotonic() + 30
while len(os.listdir(barrier)) < 2 and time.monotonic() < deadline:
    time.sleep(0.01)
path = data.download_file(sys.argv[1], sys.argv[2], mirrors=[sys.argv[3]],
                          checksums=json.loads(sys.argv[4]), timeout=10, retries=0, progress=False)
print(path)
"""


def test_two_processes_fetching_at_once_both_end_with_a_verified_cache(server, tmp_path):
    folder = tmp_path / "cache"
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    args = [sys.executable, "-c", CHILD, NAME, str(folder), server.url("slow"),
            json.dumps(SMALL_CHECKSUMS), str(barrier)]
    children = [subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    results = [child.communicate(timeout=60) for child in children]
    for child, (out, err) in zip(children, results):
        assert child.returncode == 0, err
        assert out.strip() == str(folder / NAME)
    assert (folder / NAME).read_bytes() == SMALL[NAME]
    assert_holds_only_verified_files(folder)
    if data.fcntl is not None:
        assert server.hits["slow"] == 1  # the second process waited and found the first one's file


def test_without_file_locks_concurrent_downloads_still_end_verified(server, tmp_path, monkeypatch):
    monkeypatch.setattr(data, "fcntl", None)
    errors = []

    def worker():
        try:
            fetch(server, "slow", tmp_path)
        except Exception as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert (tmp_path / NAME).read_bytes() == SMALL[NAME]
    assert_holds_only_verified_files(tmp_path)


# --- search order and loading -----------------------------------------------

def test_search_order_root_env_cache_debian_then_download(server, tmp_path, monkeypatch):
    root = write_files(tmp_path / "root")
    env = write_files(tmp_path / "env", gz=False)
    cache = write_files(tmp_path / "xdg" / "dwconv_utils" / "fashion-mnist", gz=False)
    debian = write_files(tmp_path / "debian")
    monkeypatch.setenv(data.DATA_ENV, str(env))
    monkeypatch.setenv(data.DEBIAN_ENV, str(debian))

    assert load_small(root=root).source == f"{root} (root argument)"
    assert load_small().source == f"{env} ({data.DATA_ENV})"
    monkeypatch.delenv(data.DATA_ENV)
    assert load_small().source == f"{cache} (user cache)"
    for path in cache.iterdir():
        path.unlink()
    assert load_small().source == (f"{debian} (Debian package dataset-fashion-mnist); "
                                   f"decompressed copy kept in {cache}")
    assert sorted(p.name for p in cache.iterdir() if p.name != ".lock") == sorted(data.FILES["train"])
    assert_holds_only_verified_files(cache)
    assert load_small().source == f"{cache} (user cache)"
    for path in cache.iterdir():
        path.unlink()
    monkeypatch.setenv(data.DEBIAN_ENV, str(tmp_path / "gone"))
    assert load_small(server=server).source == f"{cache} (user cache, downloaded just now)"
    assert load_small().source == f"{cache} (user cache)"  # and found there next time
    assert_holds_only_verified_files(cache)


def test_loaded_split_has_the_documented_fields(tmp_path):
    dataset = load_small("test", root=write_files(tmp_path / "d"))
    assert dataset.images.dtype == torch.uint8 and dataset.images.shape == (20, 28, 28)
    assert dataset.labels.dtype == torch.int64 and dataset.labels.shape == (20,)
    assert dataset.images.numpy().tobytes() == SMALL["t10k-images-idx3-ubyte"][16:]
    assert (dataset.classes, dataset.mean, dataset.std, dataset.split) == (CLASSES, MEAN, STD, "test")
    assert len(dataset) == 20 and "20 images" in repr(dataset)
    with pytest.raises(AttributeError):
        dataset.split = "train"  # frozen


def test_tensors_are_normalised_limited_and_optionally_channels_last(tmp_path):
    dataset = load_small(root=write_files(tmp_path / "d"))
    images, labels = dataset.tensors()
    expected = (dataset.images.unsqueeze(1).float() / 255 - MEAN) / STD
    assert images.dtype == torch.float32 and images.shape == (30, 1, 28, 28)
    assert torch.allclose(images, expected, atol=1e-5)
    assert torch.equal(labels, dataset.labels) and labels.dtype == torch.int64
    images, labels = dataset.tensors(channels_last=True, limit=7)
    assert images.shape == (7, 1, 28, 28) and labels.shape == (7,)
    assert images.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(images, expected[:7], atol=1e-5)
    assert dataset.tensors(limit=1000)[0].shape[0] == 30


def test_a_corrupt_cached_file_is_reported_removed_and_fetched_again_once(server, tmp_path):
    cache = write_files(tmp_path / "xdg" / "dwconv_utils" / "fashion-mnist", gz=False)
    (cache / NAME).write_bytes(SMALL[NAME][:100])
    with pytest.warns(UserWarning, match=f"corrupt.*removed it.*{NAME}"):
        dataset = load_small(server=server)
    assert dataset.source == f"{cache} (user cache, downloaded just now); {cache} (user cache)"
    assert server.hits["ok"] == 1
    assert (cache / NAME).read_bytes() == SMALL[NAME]


def test_a_mirror_that_sends_damaged_data_is_reported_as_corrupt(server, tmp_path):
    with pytest.raises(DataCorruptError, match="sha256") as caught:
        load_fashion_mnist(mirrors=[server.url("corrupt")], checksums=SMALL_CHECKSUMS, retries=0)
    assert "apt-get install dataset-fashion-mnist" in str(caught.value)
    assert server.hits["corrupt"] == 1
    assert_holds_only_verified_files(tmp_path / "xdg" / "dwconv_utils" / "fashion-mnist")


def test_a_corrupt_cached_file_is_removed_even_without_download(tmp_path):
    cache = write_files(tmp_path / "xdg" / "dwconv_utils" / "fashion-mnist", gz=False)
    (cache / NAME).write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="corrupt"), \
            pytest.raises(DataUnavailableError, match=f"{NAME} is corrupt \\(removed it\\)"):
        load_small(download=False)
    assert not (cache / NAME).exists()


def test_a_corrupt_file_in_a_folder_not_ours_is_skipped_not_removed(tmp_path, monkeypatch):
    env = write_files(tmp_path / "env", gz=False)
    (env / NAME).write_bytes(SMALL[NAME][:-1])
    debian = write_files(tmp_path / "debian")
    monkeypatch.setenv(data.DATA_ENV, str(env))
    monkeypatch.setenv(data.DEBIAN_ENV, str(debian))
    with pytest.warns(UserWarning, match="skipped it"):
        dataset = load_small()
    assert (env / NAME).exists()
    assert dataset.source.startswith(f"{debian} (Debian")
    assert_holds_only_verified_files(tmp_path / "xdg" / "dwconv_utils" / "fashion-mnist")


def test_no_copy_is_kept_from_decompressed_files_or_folders_searched_first(tmp_path, monkeypatch):
    cache = tmp_path / "xdg" / "dwconv_utils" / "fashion-mnist"
    load_small(root=write_files(tmp_path / "root"))
    monkeypatch.setenv(data.DEBIAN_ENV, str(write_files(tmp_path / "debian", gz=False)))
    assert load_small().source == f"{tmp_path / 'debian'} (Debian package dataset-fashion-mnist)"
    assert not cache.exists()


def test_images_and_labels_that_do_not_fit_together_are_refused(tmp_path):
    odd_sizes = dict(zip(data.FILES["train"], make_split(30, seed=0, size=27)))
    odd_labels = {"train-images-idx3-ubyte": SMALL["train-images-idx3-ubyte"],
                  "train-labels-idx1-ubyte": idx_bytes(np.full(30, 10), 0x801)}
    too_few = {"train-images-idx3-ubyte": SMALL["train-images-idx3-ubyte"],
               "train-labels-idx1-ubyte": idx_bytes(np.zeros(29), 0x801)}
    for files, words in [(odd_sizes, "27x27"), (odd_labels, "label 10"), (too_few, "30 images but 29")]:
        folder = write_files(tmp_path / words, files)
        checksums = {name: hashlib.sha256(raw).hexdigest() for name, raw in files.items()}
        with pytest.raises(DataCorruptError, match=words):
            load_fashion_mnist("train", root=folder, download=False, checksums=checksums)


def test_nothing_available_says_where_it_looked_and_the_three_ways(tmp_path):
    with pytest.raises(DataUnavailableError) as caught:
        load_small()
    message = str(caught.value)
    for words in ["DWCONV_DATA: not set", f"{tmp_path / 'xdg'}", "(user cache)",
                  f"{tmp_path / 'no-debian'} (Debian package dataset-fashion-mnist): no such folder",
                  "http://127.0.0.1:9/train-images-idx3-ubyte.gz", "internet",
                  "apt-get install dataset-fashion-mnist", "set DWCONV_DATA to a folder"]:
        assert words in message
    assert "Traceback" not in message


def test_the_command_line_tells_a_clear_story_when_nothing_is_available(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != data.DATA_ENV}
    env.update(XDG_CACHE_HOME=str(tmp_path / "xdg"), **{data.DEBIAN_ENV: str(tmp_path / "none")})
    done = subprocess.run([sys.executable, "-m", "dwconv_utils", "data", "--no-download"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Searched, in order:" in done.stderr and "apt-get install dataset-fashion-mnist" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("call, error, words", [
    (lambda: load_fashion_mnist("val"), ValueError, "split must be one of 'train', 'test'; got 'val'"),
    (lambda: load_fashion_mnist(download="yes"), TypeError, "download must be True or False"),
    (lambda: load_fashion_mnist(root=3), TypeError, "root must be a folder path"),
    (lambda: load_fashion_mnist(root="/no/such/folder"), ValueError, "'/no/such/folder'"),
    (lambda: load_fashion_mnist(checksums=[]), TypeError, "checksums must be a mapping"),
    (lambda: load_fashion_mnist(checksums={}), ValueError, "checksums has no entry for"),
    (lambda: fashion_mnist_tensors(limit=0), ValueError, "limit must be a positive integer"),
    (lambda: fashion_mnist_tensors(channels_last=1), TypeError, "channels_last must be True or False"),
    (lambda: download_file(NAME, mirrors="http://x/"), TypeError, "mirrors must be a non-empty list"),
    (lambda: download_file(NAME, timeout=0), ValueError, "timeout must be a positive"),
    (lambda: download_file(NAME, mirrors=["ftp://x/"]), ValueError, "http:// or https://"),
    (lambda: load_fashion_mnist(timeout=-1), ValueError, "timeout must be a positive"),
    (lambda: download_file(NAME, retries=-1), ValueError, "retries must be a non-negative"),
    (lambda: download_file("train-images", checksums=SMALL_CHECKSUMS), ValueError, "'train-images'"),
])
def test_bad_arguments_get_clear_errors(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()


# --- the real data set ----------------------------------------------------------

@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Both real splits, loaded once; with no local copy (only under CI) loading fails plainly."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
        return {split: load_fashion_mnist(split, root=real_folder(), download=False)
                for split in data.FILES}


@needs_real_data
@pytest.mark.parametrize("split, count", [("train", 60_000), ("test", 10_000)])
def test_real_data_shapes_dtypes_and_classes(real, split, count):
    dataset = real[split]
    assert dataset.images.shape == (count, 28, 28) and dataset.images.dtype == torch.uint8
    assert dataset.labels.shape == (count,) and dataset.labels.dtype == torch.int64
    assert torch.bincount(dataset.labels).tolist() == [count // 10] * 10
    assert dataset.classes == CLASSES and len(CLASSES) == 10


@needs_real_data
def test_real_data_checksums_match_the_reference():
    # Independent of the loader: hash the decompressed bytes directly.
    folder = real_folder()
    for name, expected in data.CHECKSUMS.items():
        path = folder / name if (folder / name).is_file() else folder / f"{name}.gz"
        raw = path.read_bytes()
        raw = gzip.decompress(raw) if path.suffix == ".gz" else raw
        assert hashlib.sha256(raw).hexdigest() == expected, name


@needs_real_data
def test_real_training_tensors_are_normalised(real):
    images, labels = real["train"].tensors(channels_last=True)
    assert images.shape == (60_000, 1, 28, 28) and images.is_contiguous(memory_format=torch.channels_last)
    assert abs(images.mean().item()) < 0.01 and abs(images.std().item() - 1) < 0.01
    assert labels.dtype == torch.int64


@needs_real_data
def test_the_command_line_reports_both_splits(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), data.DATA_ENV: str(real_folder())}
    done = subprocess.run([sys.executable, "-m", "dwconv_utils", "data", "--no-download"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "train: 60,000 images (6,000 per class), sha256 verified" in done.stdout
    assert "test: 10,000 images (1,000 per class), sha256 verified" in done.stdout
