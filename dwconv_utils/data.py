"""Fashion-MNIST, offline first and verified: the data notebook 04 trains on.

``load_fashion_mnist`` looks for the four official files in this order and
uses the first copy that verifies:

1. the ``root`` argument,
2. the folder named by the ``DWCONV_DATA`` environment variable,
3. the user cache, ``$XDG_CACHE_HOME/dwconv_utils/fashion-mnist``
   (``~/.cache/dwconv_utils/fashion-mnist`` when XDG_CACHE_HOME is unset),
4. Debian's package folder ``/usr/share/datasets/fashion-mnist``
   (``apt-get install dataset-fashion-mnist``),
5. a download from the official mirror into the user cache.

A folder may hold each file gzipped (``name.gz``) or decompressed (``name``).
Every file, from any source, is checked against the sha256 of its
*decompressed* bytes: Debian recompressed the .gz files, so their checksums
differ from upstream's while the content is the same. Downloads are written to
a temporary file in the cache folder and renamed to their final name only once
verified, so an interrupted or corrupt download never sits where a later load
would find it. The cache keeps the files decompressed, and keeps a decompressed
copy of the Debian package's files too: loading them skips gunzip.

``python -m dwconv_utils data`` fetches and verifies both splits.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import socket
import struct
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from . import checks

try:
    import fcntl
except ImportError:  # Windows: no file locks, but os.replace alone keeps the cache consistent.
    fcntl = None

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
# Pixel statistics of the training set on the [0, 1] scale; both splits are normalised with them.
MEAN = 0.2860
STD = 0.3530
IMAGE_SIZE = 28

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
# sha256 of the decompressed files (the .gz bytes differ between upstream and Debian).
CHECKSUMS = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
# The official mirror, then the copy in the Fashion-MNIST repository; each serves name + ".gz".
MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
           "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")
TIMEOUT_S = 15.0      # longest wait for a connection or for the next bytes of a download
RETRIES = 2           # extra tries per mirror after a failure that may be transient
RETRY_PAUSE_S = 1.0   # pause before a retry, times the retry number

DATA_ENV = "DWCONV_DATA"
DEBIAN_FOLDER = Path("/usr/share/datasets/fashion-mnist")
DEBIAN_PACKAGE = "dataset-fashion-mnist"
# Stands in for DEBIAN_FOLDER, so that tests can hide or fake the Debian package.
DEBIAN_ENV = "DWCONV_DEBIAN_DATA"

_IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}  # unsigned bytes; 3 dims / 1 dim
_CHUNK = 1 << 16


class DataUnavailableError(RuntimeError):
    """Fashion-MNIST could not be found or downloaded; the message says where we looked
    and the three ways to get it (notebook 04)."""


class DataCorruptError(RuntimeError):
    """A Fashion-MNIST file failed verification: IDX header, size or sha256 (notebook 04)."""


class _TransferError(Exception):
    """A download that did not complete; ``retry`` says whether trying again may help."""

    def __init__(self, reason: str, retry: bool):
        super().__init__(reason)
        self.retry = retry


# --- the data set ------------------------------------------------------------

@dataclass(frozen=True, eq=False, repr=False)
class FashionMNIST:
    """One verified split of Fashion-MNIST (notebook 04 trains on it).

    ``images``: torch.uint8 [N, 28, 28], 0 = background, 255 = full ink.
    ``labels``: torch.int64 [N], indices into ``classes``.
    ``mean``, ``std``: the training set's pixel statistics on the [0, 1]
    scale, used to normalise both splits. ``source``: where the files came
    from. ``tensors()`` turns it into float tensors ready for training.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple = CLASSES
    mean: float = MEAN
    std: float = STD
    split: str = "train"
    source: str = ""

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        return (f"FashionMNIST(split={self.split!r}, {len(self):,} images "
                f"{IMAGE_SIZE}x{IMAGE_SIZE}, source={self.source!r})")

    def tensors(self, channels_last: bool = False, limit=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Float32 images [N, 1, 28, 28] normalised with ``mean``/``std``, and int64 labels.

        Used for training in notebook 04. ``limit`` (a positive int or None)
        keeps the first ``limit`` examples, for quick runs. With
        ``channels_last=True`` the images are contiguous in
        ``torch.channels_last`` memory format.
        """
        checks.boolean("channels_last", channels_last)
        count = len(self) if limit is None else min(checks.positive_int("limit", limit), len(self))
        images = self.images[:count].unsqueeze(1).to(torch.float32)
        # (x / 255 - mean) / std, as two in-place passes over the copy made just above.
        images.sub_(255 * self.mean).div_(255 * self.std)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        return images, self.labels[:count].clone()


# --- where to look -----------------------------------------------------------

@dataclass(frozen=True)
class _Place:
    folder: Path
    label: str          # what the folder is, for messages
    owned: bool = False  # ours to clean up: a corrupt file here is removed
    # Searched after the cache: a decompressed copy kept there makes the next load skip gunzip.
    copy_to_cache: bool = False

    def __str__(self) -> str:
        return f"{self.folder} ({self.label})"


def cache_folder() -> Path:
    """The user cache folder that downloads go to (notebook 04).

    ``$XDG_CACHE_HOME/dwconv_utils/fashion-mnist``, or
    ``~/.cache/dwconv_utils/fashion-mnist`` when XDG_CACHE_HOME is unset.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says to ignore a relative path here.
    base_folder = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return base_folder / "dwconv_utils" / "fashion-mnist"


def debian_folder() -> Path:
    """Where Debian's package dataset-fashion-mnist puts the files (notebook 04)."""
    return Path(os.environ.get(DEBIAN_ENV) or DEBIAN_FOLDER)


def _places(root) -> list[_Place]:
    places = []
    if root is not None:
        places.append(_Place(_root_folder(root), "root argument"))
    if os.environ.get(DATA_ENV):
        places.append(_Place(Path(os.environ[DATA_ENV]).expanduser(), DATA_ENV))
    places.append(_Place(cache_folder(), "user cache", owned=True))
    places.append(_Place(debian_folder(), f"Debian package {DEBIAN_PACKAGE}", copy_to_cache=True))
    return places


def _root_folder(root) -> Path:
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path (str or pathlib.Path) or None, got "
                        f"{root!r} of type {type(root).__name__}")
    folder = Path(root).expanduser()
    if not folder.is_dir():
        raise ValueError(f"root must be an existing folder, got {str(root)!r}, which is not one; "
                         f"leave root=None to search the usual places")
    return folder


# --- reading and verifying ---------------------------------------------------

def read_idx(path, checksums: Mapping[str, str] = CHECKSUMS) -> np.ndarray:
    """Read one Fashion-MNIST IDX file (gzipped or not) and verify it (notebook 04).

    Checks the IDX magic number, that the size matches the dimensions in the
    header, and the sha256 of the decompressed bytes against
    ``checksums[name]`` (name without ``.gz``). Returns a writable uint8 array
    shaped as the header says; raises ``DataCorruptError`` saying what is wrong.
    """
    path = Path(path)
    name = _idx_name(path)
    return _read_verified(path, name, _checksum_for(name, checksums))


def _read_verified(path: Path, name: str, checksum: str) -> np.ndarray:
    data = _read_decompressed(path)
    array = _parse_idx(data, name, path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != checksum:
        raise DataCorruptError(f"{path}: sha256 of the decompressed bytes is {digest}, "
                               f"expected {checksum}")
    return array


def _idx_name(path: Path) -> str:
    return path.name[:-3] if path.name.endswith(".gz") else path.name


def _checksum_for(name: str, checksums: Mapping[str, str]) -> str:
    if not isinstance(checksums, Mapping):
        raise TypeError(f"checksums must be a mapping from file name to sha256 hex digest, got "
                        f"{checksums!r} of type {type(checksums).__name__}")
    if name not in checksums:
        raise ValueError(f"checksums has no entry for {name!r}; it has {sorted(checksums)}")
    return str(checksums[name]).lower()


def _read_decompressed(path: Path) -> bytearray:
    # A bytearray, not bytes: numpy and torch can then share its memory without a copy.
    with open(path, "rb") as handle:
        if path.suffix != ".gz":
            data = bytearray(os.fstat(handle.fileno()).st_size)
            handle.readinto(data)
            return data
        packed = handle.read()
    try:
        return bytearray(gzip.decompress(packed))
    except (OSError, EOFError, zlib.error) as err:
        raise DataCorruptError(f"{path}: not a complete gzip file ({err})") from None


def _kind(name: str) -> str:
    return "images" if "-images-" in name else "labels"


def _parse_idx(data: bytearray, name: str, path: Path) -> np.ndarray:
    kind = _kind(name)
    magic = _IDX_MAGIC[kind]
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataCorruptError(f"{path}: {len(data)} bytes, too short for an IDX header")
    found, *dims = struct.unpack_from(f">{1 + ndim}I", data)
    if found != magic:
        raise DataCorruptError(f"{path}: IDX magic number is {found:#010x}, expected {magic:#010x} "
                               f"(unsigned bytes, {ndim} dimension(s), as for {kind})")
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise DataCorruptError(f"{path}: the IDX header promises dimensions {tuple(dims)}, "
                               f"{expected:,} bytes in all, but the file holds {len(data):,}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _check_split(images: np.ndarray, labels: np.ndarray, source: str) -> None:
    """Images and labels that each verified must also fit together."""
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataCorruptError(f"{source}: images are {images.shape[1]}x{images.shape[2]}, "
                               f"expected {IMAGE_SIZE}x{IMAGE_SIZE}")
    if len(images) != len(labels):
        raise DataCorruptError(f"{source}: {len(images):,} images but {len(labels):,} labels")
    if len(labels) and labels.max() >= len(CLASSES):
        raise DataCorruptError(f"{source}: label {labels.max()} found, expected 0 to {len(CLASSES) - 1}")


# --- downloading -------------------------------------------------------------

def download_file(name: str, folder=None, mirrors: Sequence[str] = MIRRORS,
                  checksums: Mapping[str, str] = CHECKSUMS, timeout: float = TIMEOUT_S,
                  retries: int = RETRIES, progress: bool = True) -> Path:
    """Download one Fashion-MNIST file into ``folder`` and verify it (notebook 04).

    ``folder`` defaults to the user cache. Mirrors are tried in order, each
    up to ``1 + retries`` times when the failure may be transient (timeouts,
    dropped connections, HTTP 5xx, a file that fails verification); a
    missing file (HTTP 404) or an unknown host moves on at once. ``timeout``
    bounds each wait for the server. The file is stored decompressed under
    ``folder/name`` only once it verifies; a verified file already there (a
    concurrent download by another process) is kept as it is.

    Returns the path. Raises ``DataCorruptError`` when every try delivered a
    file that failed verification, else ``DataUnavailableError``; either way
    nothing is left under ``folder`` but verified files.
    """
    checksum = _checksum_for(name, checksums)
    mirrors = _mirror_list(mirrors)
    timeout = checks.positive_number("timeout", timeout)
    retries = checks.non_negative_int("retries", retries)
    checks.boolean("progress", progress)
    folder = cache_folder() if folder is None else Path(folder)
    final = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _exclusive(folder):
            if _verified_or_removed(final, checksum):
                return final
            _remove_leftovers(folder)
            return _download_from_mirrors(final, mirrors, checksum, timeout, retries, progress)
    except OSError as err:
        raise DataUnavailableError(
            f"cannot write to the cache folder {folder}: {err.strerror or err}. Set XDG_CACHE_HOME "
            f"to a writable folder, or {DATA_ENV} to a folder holding the files") from None


def _mirror_list(mirrors) -> list[str]:
    if isinstance(mirrors, str) or not isinstance(mirrors, Sequence) or not mirrors \
            or not all(isinstance(m, str) for m in mirrors):
        raise TypeError(f"mirrors must be a non-empty list of URL strings, got {mirrors!r}")
    for mirror in mirrors:
        if not mirror.startswith(("http://", "https://")):
            raise ValueError(f"mirrors must be http:// or https:// URLs, got {mirror!r}")
    return list(mirrors)


@contextmanager
def _exclusive(folder: Path):
    """Hold the folder's lock: one process downloads, the others wait and then find its file."""
    if fcntl is None:
        yield
        return
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _verified_or_removed(path: Path, checksum: str) -> bool:
    if not path.exists():
        return False
    try:
        _read_verified(path, path.name, checksum)
        return True
    except DataCorruptError as err:
        warnings.warn(f"removing a corrupt cached file: {err}", stacklevel=3)
        path.unlink()
        return False


def _remove_leftovers(folder: Path) -> None:
    # Under the lock no other download is running, so any partial file is from one that was killed.
    if fcntl is not None:
        for partial in folder.glob(".*.part"):
            partial.unlink(missing_ok=True)


def _download_from_mirrors(final: Path, mirrors: list[str], checksum: str, timeout: float,
                           retries: int, progress: bool) -> Path:
    failures = []
    all_corrupt = True
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + final.name + ".gz"
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(RETRY_PAUSE_S * attempt)
            try:
                _download_once(url, final, checksum, timeout, progress)
                return final
            except DataCorruptError as err:
                reason, retry = f"failed verification: {err}", True
            except _TransferError as err:
                reason, retry, all_corrupt = str(err), err.retry, False
            if not retry:
                break
        failures.append(f"{url}: {reason} ({attempt + 1} {'try' if attempt == 0 else 'tries'})")
    error = DataCorruptError if all_corrupt else DataUnavailableError
    raise error(f"could not download {final.name}:\n" + "\n".join(f"    {f}" for f in failures))


@contextmanager
def _verified_file(final: Path, checksum: str):
    """A temporary file beside ``final``, renamed to it only if the block completes and it verifies.

    On any failure the temporary file is removed, so ``final`` is either the
    old file or a verified new one, never half-written (os.replace is atomic).
    """
    handle, partial = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    partial = Path(partial)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        _read_verified(partial, final.name, checksum)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def _download_once(url: str, final: Path, checksum: str, timeout: float, progress: bool) -> None:
    with _verified_file(final, checksum) as out:
        try:
            _fetch_gunzipped(url, out, timeout, progress, final.name)
        except (OSError, http.client.HTTPException) as err:
            raise _TransferError(*_plain_reason(err, timeout)) from None


def _fetch_gunzipped(url: str, out, timeout: float, progress: bool, name: str) -> None:
    from tqdm.auto import tqdm  # imported here: only downloads need it

    request = urllib.request.Request(url, headers={"User-Agent": "dwconv_utils"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16+: a gzip header and trailer
        received = 0
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
                  disable=not progress) as bar:
            while chunk := response.read(_CHUNK):
                received += len(chunk)
                bar.update(len(chunk))
                try:
                    out.write(inflate.decompress(chunk))
                except zlib.error as err:
                    raise DataCorruptError(f"{url} did not send a valid gzip file ({err})") from None
    if total is not None and received < total:
        raise _TransferError(f"connection dropped after {received:,} of {total:,} bytes", retry=True)
    if not inflate.eof or inflate.unused_data:
        raise DataCorruptError(f"{url}: the gzip stream is truncated or has trailing data")


def _plain_reason(err: BaseException, timeout: float) -> tuple[str, bool]:
    """A one-line reason for a failed transfer, and whether trying again may help."""
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}", err.code >= 500 or err.code in (408, 429)
    if isinstance(err, urllib.error.URLError):
        err = err.reason if isinstance(err.reason, BaseException) else err
    if isinstance(err, (socket.timeout, TimeoutError)):
        return f"no answer within {timeout:g} s", True
    if isinstance(err, socket.gaierror):
        return f"cannot resolve the host name ({err.strerror}): no network?", False
    if isinstance(err, ConnectionRefusedError):
        return "connection refused: no server answers at that address", True
    if isinstance(err, (http.client.HTTPException, ConnectionError)):
        return f"connection dropped ({type(err).__name__}: {err})", True
    return f"{type(err).__name__}: {err}", True


# --- loading -----------------------------------------------------------------

def load_fashion_mnist(split: str = "train", root=None, download: bool = True, *,
                       mirrors: Sequence[str] = MIRRORS, checksums: Mapping[str, str] = CHECKSUMS,
                       timeout: float = TIMEOUT_S, retries: int = RETRIES) -> FashionMNIST:
    """Load one split of Fashion-MNIST, verified: notebook 04 trains on it.

    ``split`` is "train" (60,000 images) or "test" (10,000). The files are
    looked for in ``root``, then ``$DWCONV_DATA``, the user cache and Debian's
    package folder; if none holds a copy that verifies and ``download`` is
    True, they are downloaded into the user cache. Files found in Debian's
    folder are also kept decompressed in the cache, where the next load finds
    them (about 0.4 s faster for the training set). A corrupt file is reported
    with a warning and skipped; a corrupt file in the cache is also removed,
    so it is fetched again. ``mirrors``, ``checksums``, ``timeout`` and
    ``retries`` are passed to ``download_file``.

    Raises ``DataUnavailableError`` saying where it looked and how to get the
    data, or ``DataCorruptError`` when every download failed verification.
    """
    split = checks.choice("split", split, tuple(FILES))
    checks.boolean("download", download)
    # Checked now, not only when a download starts: a bad value is a bug even while the files are found.
    _mirror_list(mirrors)
    checks.positive_number("timeout", timeout)
    checks.non_negative_int("retries", retries)
    places = _places(root)
    options = dict(mirrors=mirrors, checksums=checksums, timeout=timeout, retries=retries)
    arrays, sources = [], []
    for name in FILES[split]:
        array, source = _find_or_fetch(name, places, download, options)
        arrays.append(array)
        if source not in sources:
            sources.append(source)
    images, labels = arrays
    source = "; ".join(sources)
    _check_split(images, labels, source)
    return FashionMNIST(images=torch.from_numpy(images), labels=torch.from_numpy(labels.astype(np.int64)),
                        split=split, source=source)


def fashion_mnist_tensors(split: str = "train", root=None, download: bool = True,
                          channels_last: bool = False, limit=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST as float tensors ready for training, as notebook 04 uses it.

    Returns images, float32 [N, 1, 28, 28] normalised with ``MEAN`` and
    ``STD`` (contiguous in ``torch.channels_last`` format if asked), and
    int64 labels [N]. ``limit`` keeps the first ``limit`` examples. The other
    arguments are those of ``load_fashion_mnist``.
    """
    checks.boolean("channels_last", channels_last)
    if limit is not None:
        checks.positive_int("limit", limit)
    return load_fashion_mnist(split, root, download).tensors(channels_last, limit)


def _find_or_fetch(name: str, places: list[_Place], download: bool, options: dict):
    """The verified array of one file and a description of where it came from."""
    checksums = options["checksums"]
    checksum = _checksum_for(name, checksums)  # a bad mapping is reported before any file is read
    notes = []  # for each place, why it did not serve the file
    for place in places:
        found = _read_from(place, name, checksums, notes)
        if found is not None:
            array, path = found
            cache = next(p for p in places if p.owned)
            if place.copy_to_cache and path.suffix == ".gz" \
                    and _keep_decompressed(array, name, checksum, cache.folder):
                return array, f"{place}; decompressed copy kept in {cache.folder}"
            return array, str(place)
    if not download:
        notes.append("download: not tried (download=False)")
        raise DataUnavailableError(_unavailable_message(name, notes))
    cache = next(p for p in places if p.owned)
    try:
        path = download_file(name, cache.folder, **options)
    except DataUnavailableError as err:
        notes.append(f"download: {err}")
        raise DataUnavailableError(_unavailable_message(name, notes)) from None
    except DataCorruptError as err:
        raise DataCorruptError(
            f"{err}\nThe mirrors sent damaged data, so the cache holds no copy of it. Try again "
            f"later, or get the files another way: sudo apt-get install {DEBIAN_PACKAGE}, or set "
            f"{DATA_ENV} to a folder holding the four files.") from None
    return read_idx(path, checksums), f"{cache.folder} ({cache.label}, downloaded just now)"


def _present_forms(folder: Path, name: str) -> list[Path]:
    """The copies of one file a folder holds: decompressed first, then gzipped."""
    return [path for path in (folder / name, folder / f"{name}.gz") if path.is_file()]


def _read_from(place: _Place, name: str, checksums, notes: list[str]):
    if not place.folder.is_dir():
        notes.append(f"{place}: no such folder")
        return None
    present = _present_forms(place.folder, name)
    for path in present:
        seen = path.stat()
        try:
            return read_idx(path, checksums), path
        except DataCorruptError as err:
            what = "removed it" if place.owned else "skipped it"
            warnings.warn(f"corrupt Fashion-MNIST file, {what}: {err}", stacklevel=4)
            notes.append(f"{place}: {path.name} is corrupt ({what})")
            if place.owned:
                _remove_if_unchanged(path, seen)
    if not present:
        notes.append(f"{place}: no {name} or {name}.gz")
    return None


def _keep_decompressed(array: np.ndarray, name: str, checksum: str, folder: Path) -> bool:
    """Keep a verified decompressed copy in the cache (next loads skip gunzip); False if impossible."""
    final = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _exclusive(folder):
            if final.exists():  # another process has just kept one
                return True
            with _verified_file(final, checksum) as out:
                out.write(struct.pack(f">{1 + array.ndim}I", _IDX_MAGIC[_kind(name)], *array.shape))
                out.write(array.data)
        return True
    except OSError:
        return False  # a read-only or full cache: loading still works, only slower


def _remove_if_unchanged(path: Path, seen: os.stat_result) -> None:
    """Remove a corrupt file, unless another process has replaced it since it was read."""
    try:
        with _exclusive(path.parent):
            now = path.stat()
            if (now.st_ino, now.st_mtime_ns) == (seen.st_ino, seen.st_mtime_ns):
                path.unlink()
    except FileNotFoundError:
        pass  # another process removed it first
    except OSError:
        pass  # a read-only cache: the file stays, and is reported and skipped again next time


@dataclass(frozen=True)
class DataStatus:
    """Where ``load_fashion_mnist`` would find each of the four files without downloading
    (``found``: file name -> the place), which are missing, and whether the found ones verified
    (None: not checked). Built by ``fashion_mnist_status``; ``python -m dwconv_utils doctor``
    prints it."""

    found: dict
    missing: tuple
    verified: bool | None

    @property
    def available(self) -> bool:
        return not self.missing and self.verified is not False

    def describe(self) -> str:
        """One line: where the data is, or what is missing."""
        if self.missing:
            what = "not found" if not self.found else f"missing {', '.join(self.missing)}"
            return f"{what} (searched {DATA_ENV}, the user cache, {debian_folder()})"
        places = sorted(set(self.found.values()))
        check = {True: "verified", False: "FAILED verification", None: "not verified"}[self.verified]
        return f"all four files in {'; '.join(places)}, {check}"


def fashion_mnist_status(verify: bool = True) -> DataStatus:
    """Look for the four files where ``load_fashion_mnist`` looks (``DWCONV_DATA``, the user
    cache, Debian's folder), without downloading or writing anything; with ``verify``, read and
    check each against its sha256 (about a second)."""
    found, paths = {}, {}
    for name in (n for names in FILES.values() for n in names):
        for place in _places(None):
            path = next(iter(_present_forms(place.folder, name)), None)
            if path is not None:
                found[name], paths[name] = str(place), path
                break
    missing = tuple(n for names in FILES.values() for n in names if n not in found)
    verified = None
    if verify and found:
        verified = True
        for path in paths.values():
            try:
                read_idx(path)
            except DataCorruptError:
                verified = False
    return DataStatus(found, missing, verified)


def _unavailable_message(name: str, notes: list[str]) -> str:
    if not os.environ.get(DATA_ENV):
        notes = [f"{DATA_ENV}: not set"] + notes
    all_files = ", ".join(n for names in FILES.values() for n in names)
    return "\n".join([
        f"Fashion-MNIST is not available: no verified copy of {name} was found or downloaded.",
        "Searched, in order:",
        *(f"  - {note}" for note in notes),
        "Three ways to get it:",
        "  1. connect to the internet and run `python -m dwconv_utils data` (downloads into "
        "the user cache and verifies the files),",
        f"  2. install Debian's package: sudo apt-get install {DEBIAN_PACKAGE}",
        f"  3. set {DATA_ENV} to a folder holding the four files, gzipped (.gz) or not: {all_files}.",
    ])


def per_class_counts(labels: torch.Tensor) -> str:
    """How many images each class has: "6,000", or "5,990 to 6,010" when they differ."""
    counts = torch.bincount(labels, minlength=len(CLASSES))
    low, high = int(counts.min()), int(counts.max())
    return f"{low:,}" if low == high else f"{low:,} to {high:,}"
