"""The plotly.js bundle the dashboards load: the pinned "basic" build, or the full one as fallback.

Scatter and bar traces only, so plotly.js's basic bundle (1.19 MB) draws them, not the full
4.82 MB one. `nervetrack fetch-assets` downloads the npm tarball named by BASIC, checks its
sha512, reads one member in memory, checks its sha256 and writes it atomically to the asset
folder. resolve_bundle() serves it only when present, pinned and matching plotly.py's plotly.js
version; otherwise the full bundle, with one warning per process.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import http.client
import io
import logging
import os
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from plotly.offline.offline import get_plotlyjs_version

from charts.assets import plotly_js_path

log = logging.getLogger(__name__)

EXTENSION_KEY = "nervetrack.plotly_bundle"
FULL_BUNDLE_MB = 4.8
_CHUNK = 64 * 1024


class BundleError(Exception):
    """The basic bundle could not be downloaded or verified; the message is one plain line."""


@dataclass(frozen=True)
class BundlePin:
    """One npm tarball and the one file we take from it, pinned by hash like a pip wheel."""

    package: str
    version: str
    url: str
    integrity: str  # npm's "sha512-<base64>" of the tarball
    member: str  # the file inside the tarball
    sha256: str  # hex sha256 of that file
    max_download: int = 4 * 1024 * 1024  # the tarball is 399,419 bytes
    max_member: int = 8 * 1024 * 1024  # the file is 1,191,749 bytes

    @property
    def filename(self) -> str:
        return f"plotly-basic-{self.version}.min.js"


BASIC = BundlePin(
    package="plotly.js-basic-dist-min",
    version="4.1.1",
    url="https://registry.npmjs.org/plotly.js-basic-dist-min/-/plotly.js-basic-dist-min-4.1.1.tgz",
    integrity="sha512-1oNF8PeQx2hv/y7tqEVWKD3JGwn/MGEMQ8mL9HUwsaqG9FGy/OU5FHUHvzqbqxN4mnwZGI9abTiE775C"
              "4kkjMQ==",
    member="package/plotly-basic.min.js",
    sha256="99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba",
)


def megabytes(size: int) -> str:
    """Return a byte count as '1.19 MB'."""
    return f"{size / 1e6:.2f} MB"


def default_asset_dir() -> Path:
    """Return $XDG_CACHE_HOME/nervetrack, or ~/.cache/nervetrack."""
    cache = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
    return base / "nervetrack"


def asset_dir_of(config) -> Path:
    """Return the asset folder a configuration names (ASSET_DIR), or the default one."""
    given = config.get("ASSET_DIR")
    return Path(str(given)).expanduser() if given else default_asset_dir()


def plotlyjs_version() -> str:
    """Return the plotly.js version bundled with (and drawn for by) the installed plotly.py."""
    return get_plotlyjs_version()


def _sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def installed_bundle(asset_dir: Path | str, pin: BundlePin | None = None) -> Path | None:
    """Return the basic bundle's path if it is in asset_dir and matches the pin, else None."""
    pin = pin or BASIC
    path = Path(asset_dir) / pin.filename
    try:
        return path if _sha256_of(path) == pin.sha256 else None
    except OSError:
        return None


def _one_line(exc) -> str:
    """An exception (or reason) as one line: an OS error's own words, else its first line."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read_capped(response, url: str, pin: BundlePin, timeout: float) -> bytes:
    """Read the whole body: at most pin.max_download bytes, within about `timeout` seconds."""
    deadline = time.monotonic() + timeout
    chunks, total = [], 0
    while chunk := response.read(_CHUNK):
        total += len(chunk)
        if total > pin.max_download:
            raise BundleError(f"{url} is larger than {pin.max_download:,} bytes; refusing it")
        if time.monotonic() > deadline:
            raise BundleError(f"downloading {url} took longer than {timeout:g} s")
        chunks.append(chunk)
    expected = response.headers.get("Content-Length")
    if expected and expected.isascii() and expected.isdigit() and int(expected) != total:
        raise BundleError(f"cannot download {url}: the connection closed after {total:,} of "
                          f"{int(expected):,} bytes")
    return b"".join(chunks)


def _download(url: str, pin: BundlePin, timeout: float, opener) -> bytes:
    """Return the body at url; every way of failing becomes one BundleError."""
    try:
        with opener(url, timeout=timeout) as response:
            return _read_capped(response, url, pin, timeout)
    except urllib.error.HTTPError as exc:
        raise BundleError(f"HTTP {exc.code} {exc.reason} from {url}") from None
    except urllib.error.URLError as exc:
        raise BundleError(f"cannot reach {url}: {_one_line(exc.reason)} (offline?)") from None
    except (TimeoutError, OSError, ValueError, http.client.HTTPException) as exc:
        raise BundleError(f"cannot download {url}: {_one_line(exc)}") from None


def _check_integrity(body: bytes, pin: BundlePin, url: str) -> None:
    algorithm, _, expected = pin.integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, body).digest()).decode()
    if not hmac.compare_digest(actual, expected):
        raise BundleError(f"integrity mismatch for {url}: expected {pin.integrity}, "
                          f"got {algorithm}-{actual}")


def _read_member(body: bytes, pin: BundlePin) -> bytes:
    """Return the one pinned file from the tarball in memory (nothing is extracted to disk)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
            try:
                member = archive.getmember(pin.member)
            except KeyError:
                raise BundleError(f"{pin.member} is missing from the "
                                  f"{pin.package} {pin.version} tarball") from None
            if not member.isfile() or member.size > pin.max_member:
                raise BundleError(f"{pin.member} in the {pin.package} tarball is not a "
                                  f"regular file of at most {pin.max_member:,} bytes")
            data = archive.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BundleError(f"the {pin.package} {pin.version} tarball is unreadable: "
                          f"{_one_line(exc)}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != pin.sha256:
        raise BundleError(f"sha256 mismatch for {pin.member}: expected {pin.sha256}, got {actual}")
    return data


def _make_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BundleError(f"cannot create the asset folder {folder}: {_one_line(exc)}") from None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write data to path through a temporary file and os.replace: never a partial file."""
    _make_dir(path.parent)
    try:
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp", delete=False)
    except OSError as exc:
        raise BundleError(f"cannot write to {path.parent}: {_one_line(exc)}") from None
    tmp = Path(handle.name)
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BundleError(f"cannot write {path}: {_one_line(exc)}") from None


def fetch_basic_bundle(asset_dir: Path | str, *, url: str | None = None, timeout: float = 30,
                       opener=urllib.request.urlopen, pin: BundlePin | None = None) -> Path:
    """Download, verify and store the basic bundle in asset_dir; return its path.

    Does nothing when a verified copy is already there. `url` may name a mirror of the tarball:
    the pin's integrity is checked whatever serves it. Raises BundleError on any failure, and
    then leaves no file behind.
    """
    pin = pin or BASIC
    present = installed_bundle(asset_dir, pin)
    if present is not None:
        return present
    _make_dir(Path(asset_dir))  # a bad folder fails before the download, not after
    source = url or pin.url
    body = _download(source, pin, timeout, opener)
    _check_integrity(body, pin, source)
    path = Path(asset_dir) / pin.filename
    _write_atomically(path, _read_member(body, pin))
    return path


@dataclass(frozen=True, eq=False)
class Bundle:
    """The plotly.js file served to browsers; bytes and gzip are read once, on first use."""

    path: Path
    kind: str  # "basic" or "full"
    version: str
    sha256: str
    size: int

    @property
    def etag(self) -> str:
        return self.sha256[:16]

    @cached_property
    def data(self) -> bytes:
        data = self.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise BundleError(f"{self.path} changed on disk since it was checked; restart the app")
        return data

    @cached_property
    def gzipped(self) -> bytes:
        return gzip.compress(self.data, 9, mtime=0)


_warned_full = False


def _warn_full_once(reason: str) -> None:
    global _warned_full
    if not _warned_full:
        _warned_full = True
        log.warning("Serving the full %.1f MB plotly.js bundle (%s). Run `nervetrack "
                    "fetch-assets` to serve the 1.2 MB basic bundle.", FULL_BUNDLE_MB, reason)


def _basic_problem(path: Path, pin: BundlePin, sha256: str | None, js_version: str) -> str | None:
    if sha256 is None:
        return f"no basic bundle at {path}"
    if sha256 != pin.sha256:
        return f"{path} does not match its pinned sha256"
    if pin.version != js_version:
        return f"the basic bundle is plotly.js {pin.version} but plotly.py draws for {js_version}"
    return None


def resolve_bundle(asset_dir: Path | str, pin: BundlePin | None = None) -> Bundle:
    """Return the basic bundle if it is present, verified and version-matched; else the full one."""
    pin = pin or BASIC
    js_version = plotlyjs_version()
    path = Path(asset_dir) / pin.filename
    try:
        sha256 = _sha256_of(path)
    except OSError:
        sha256 = None
    problem = _basic_problem(path, pin, sha256, js_version)
    if problem is None:
        return Bundle(path, "basic", pin.version, sha256, path.stat().st_size)
    _warn_full_once(problem)
    full = plotly_js_path()
    return Bundle(full, "full", js_version, _sha256_of(full), full.stat().st_size)


def bundle_for(app) -> Bundle:
    """Return the app's bundle, resolved once per app (so hashed once per process)."""
    bundle = app.extensions.get(EXTENSION_KEY)
    if bundle is None:
        bundle = app.extensions[EXTENSION_KEY] = resolve_bundle(asset_dir_of(app.config))
    return bundle
