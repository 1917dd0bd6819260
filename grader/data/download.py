"""Downloading MNIST: public mirrors in turn, retries with backoff, resumed partial files, verified content.

A mirror is a URL of an npz file with all four arrays (Keras's mnist.npz) or a base URL serving the
four IDX `.gz` files. Files arrive in a scratch folder; nothing is kept that does not verify.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from grader import __version__
from grader.course.i18n import N_, _
from grader.data.formats import ARRAYS, BadFile, DataError, read_idx, read_npz

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

KERAS_NPZ = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MIRRORS = (
    KERAS_NPZ,
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
TIMEOUT = 30  # Seconds without a byte before an attempt is given up.
RETRIES = 3  # Attempts in a row that may fail without getting a byte further, per file.
MAX_ATTEMPTS = 20  # Attempts per file in all, however far each one got.
BACKOFF = 1.0  # Seconds before the first retry; doubled after each failure that made no progress.
RETRY_CODES = {408, 425, 429, 500, 502, 503, 504}
CHUNK = 1 << 16
WHAT_TO_DO = N_(
    "Try again later, or set MNIST_MIRROR to a mirror you can reach (a base URL serving the four "
    "*-ubyte.gz files), or get the files another way and use them with MNIST_DATA=FOLDER or "
    "`mnist-grade data --from PATH`."
)


class Silent:
    """What a download reports while it runs: nothing, unless a progress bar takes its place."""

    def update(self, url, done, total):
        """`done` bytes of `url` are here, of `total` (None when the server does not say)."""

    def note(self, text):
        """Something the user may want to know, such as a retry."""


def mirrors():
    """MNIST_MIRROR (base URLs separated by spaces or commas) when set, otherwise the public mirrors."""
    chosen = os.environ.get("MNIST_MIRROR", "").replace(",", " ").split()
    for url in chosen:
        if not url.startswith(("http://", "https://")):
            raise DataError(_(
                "MNIST_MIRROR has {url}, which is not an http:// or https:// URL. Set it to one or more base "
                "URLs serving the four *-ubyte.gz files, separated by spaces, or unset it to use the public mirrors.",
                url=url,
            ))
    return tuple(chosen) or MIRRORS


def fetch(folder: Path, progress: Silent | None = None) -> tuple[dict[str, NDArray[np.uint8]], list[str]]:
    """Download all four arrays into `folder`, trying each mirror in turn; return (arrays, mirrors used)."""
    progress = progress or Silent()
    arrays, used, failures = {}, [], []
    for mirror in mirrors():
        for url, keys in _plan(mirror, [key for key in ARRAYS if key not in arrays]):
            path = folder / url.rstrip("/").rsplit("/", 1)[-1]
            try:
                _get(url, path, progress)
                arrays.update(_read(url, path, keys))
                if mirror not in used:
                    used.append(mirror)
            except Failed as failed:
                failures.append(failed)
                break  # The next mirror fetches what is still missing.
            finally:
                path.unlink(missing_ok=True)  # Only verified arrays are kept.
        if len(arrays) == len(ARRAYS):
            return arrays, used
    lines = "\n".join(f"  {failed}" for failed in failures)
    raise DataError(_("Could not download MNIST: every mirror failed.") + f"\n{lines}\n" + _(WHAT_TO_DO))


class Failed(Exception):
    """One URL could not be had; str() is "URL: why"."""

    def __init__(self, url, reason):
        super().__init__(f"{url}: {reason}")


class Retry(Exception):
    """An attempt failed in a way that may go away: a reset, a timeout, a server error."""


def _plan(mirror, keys):
    """The URLs to fetch from `mirror`, each with the keys of the arrays it holds."""
    if mirror.endswith(".npz"):
        return [(mirror, keys)] if keys else []
    base = mirror if mirror.endswith("/") else mirror + "/"
    return [(f"{base}{ARRAYS[key].idx}.gz", [key]) for key in keys]


def _read(url, path, keys):
    try:
        if path.suffix == ".npz":
            return read_npz(path, keys)
        return {keys[0]: read_idx(path, keys[0])}
    except BadFile as bad:
        raise Failed(url, _("the file downloaded {problem}", problem=bad)) from None


def _get(url, path, progress):
    """Download `url` to `path`, retrying and resuming, until it is complete or Failed."""
    in_a_row = attempts = 0
    while True:
        had = path.stat().st_size if path.exists() else 0
        try:
            return _attempt(url, path, progress)
        except Retry as error:
            reason = str(error)
        attempts += 1
        in_a_row = 0 if path.exists() and path.stat().st_size > had else in_a_row + 1
        if in_a_row > RETRIES or attempts >= MAX_ATTEMPTS:
            raise Failed(url, _("{reason} ({attempts} attempts)", reason=reason, attempts=attempts))
        wait = BACKOFF * 2 ** max(in_a_row - 1, 0)
        progress.note(_("{url}: {reason}; trying again in {wait} s", url=url, reason=reason, wait=f"{wait:g}"))
        time.sleep(wait)


def _attempt(url, path, progress):
    """One request for the rest of `url`: resume from the bytes in `path` when the server allows it."""
    start = path.stat().st_size if path.exists() else 0
    headers = {"User-Agent": f"mnist-grade/{__version__}"}
    if start:
        headers["Range"] = f"bytes={start}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 416 and start:  # The partial file does not fit what the server has now.
            path.unlink()
            raise Retry(_("the server refused to resume the download")) from None
        reason = f"HTTP {error.code} {error.reason}"
        raise Retry(reason) if error.code in RETRY_CODES else Failed(url, reason) from None
    except urllib.error.URLError as error:
        raise _classified(url, error.reason) from None
    except (OSError, http.client.HTTPException) as error:
        raise _classified(url, error) from None
    with response:
        resumed = start and response.status == 206 and _range_start(response) == start
        if not resumed:
            start = 0
        length = response.headers.get("Content-Length")
        total = start + int(length) if length and length.isdigit() else None
        done = start
        with open(path, "ab" if resumed else "wb") as out:  # A full disk is not retried: it raises.
            while chunk := _read_chunk(url, response):
                out.write(chunk)
                done += len(chunk)
                progress.update(url, done, total)
    if total is not None and done < total:
        raise Retry(_("the connection closed after {done} of {total} bytes", done=f"{done:,}", total=f"{total:,}"))


def _read_chunk(url, response):
    try:
        return response.read(CHUNK)
    except (OSError, http.client.HTTPException) as error:
        raise _classified(url, error) from None


def _range_start(response):
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _classified(url, error):
    """A Retry for a failure that may pass, a Failed for one that will not, with words a user understands."""
    if isinstance(error, socket.gaierror):
        return Failed(url, _("cannot find the server; are you online? ({reason})", reason=error.strerror))
    if isinstance(error, ConnectionRefusedError):
        return Failed(url, _("the server refused the connection"))
    if isinstance(error, ssl.SSLError):
        return Failed(url, _("the secure connection failed ({reason})", reason=error.reason or error))
    if isinstance(error, TimeoutError | socket.timeout):
        return Retry(_("no data for {seconds} s", seconds=f"{TIMEOUT:g}"))
    if isinstance(error, ConnectionResetError):
        return Retry(_("the connection was reset"))
    if isinstance(error, http.client.IncompleteRead | http.client.RemoteDisconnected):
        return Retry(_("the connection closed too early"))
    return Retry(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
