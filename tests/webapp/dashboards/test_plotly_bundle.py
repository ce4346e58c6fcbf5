"""The plotly.js basic bundle: pinned download and verification, choice of bundle, serving, CLI.

Downloads go to a local HTTP server in a thread serving tarballs built here, with placeholder
JavaScript and a pin made for them; every folder is a tmp dir, never the user's cache.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.server
import io
import json
import logging
import os
import re
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import urllib.error
from dataclasses import asdict, replace

import pytest
from flask import render_template_string

from charts.assets import plotly_js_path
from webapp import create_app
from webapp.cli.assets import configured_asset_dir
from webapp.dashboards import plotly_bundle
from webapp.dashboards.plotly_bundle import (
    BASIC,
    BundleError,
    BundlePin,
    bundle_for,
    default_asset_dir,
    fetch_basic_bundle,
    installed_bundle,
    resolve_bundle,
)
from webapp.demo.cli import bundle_for_demo

JS = b"/*! placeholder plotly.js for tests */\nwindow.Plotly = {version: 'test'};\n"
FULL_SIZE = plotly_js_path().stat().st_size


def tarball(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    """A gzipped tarball in memory, members named exactly as given (even with ../)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buffer.getvalue()


def integrity(body: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(body).digest()).decode()


def pin_for(body: bytes, url: str, js: bytes = JS, **changes) -> BundlePin:
    """A pin for a tarball built here, shaped like BASIC (same version, same member)."""
    pin = replace(BASIC, url=url, integrity=integrity(body),
                  sha256=hashlib.sha256(js).hexdigest())
    return replace(pin, **changes)


class Registry(http.server.ThreadingHTTPServer):
    """Serves self.files {path: bytes}; 404 for anything else; /truncated dies mid-body."""

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/truncated.tgz":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + b"x" * 100)
            return
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def npm():
    """A local registry in a thread; put tarballs in npm.files."""
    server = Registry(("127.0.0.1", 0), Handler)
    server.files = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def published(npm):
    """The placeholder bundle published at /basic.tgz; returns its pin."""
    body = tarball({"package/LICENSE": b"MIT", BASIC.member: JS})
    npm.files["/basic.tgz"] = body
    return pin_for(body, npm.url("/basic.tgz"))


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/basic.tgz"


def files_in(folder) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


# -- the pin ---------------------------------------------------------------------------------


def test_the_pin_matches_the_plotly_js_that_plotly_py_draws_for():
    from plotly.offline.offline import get_plotlyjs_version

    assert BASIC.version == get_plotlyjs_version()
    assert f"-{BASIC.version}.tgz" in BASIC.url and BASIC.url.startswith("https://")
    assert len(base64.b64decode(BASIC.integrity.removeprefix("sha512-"))) == 64
    assert re.fullmatch(r"[0-9a-f]{64}", BASIC.sha256)
    assert BASIC.filename == f"plotly-basic-{BASIC.version}.min.js"


def test_the_asset_folder_comes_from_xdg_home_or_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_asset_dir() == tmp_path / "xdg" / "nervetrack"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec ignores these
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_asset_dir() == tmp_path / "home" / ".cache" / "nervetrack"
    monkeypatch.setenv("NERVETRACK_ASSET_DIR", str(tmp_path / "assets"))
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    assert plotly_bundle.asset_dir_of(app.config) == tmp_path / "assets"
    monkeypatch.chdir(tmp_path)
    assert configured_asset_dir() == tmp_path / "assets"


# -- fetching --------------------------------------------------------------------------------


def test_fetch_downloads_verifies_and_writes_only_the_bundle(tmp_path, published):
    folder = tmp_path / "assets"
    path = fetch_basic_bundle(folder, url=published.url, pin=published)
    assert path == folder / f"plotly-basic-{BASIC.version}.min.js"
    assert path.read_bytes() == JS
    assert files_in(folder) == [path.name]  # no LICENSE, no temporary file
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert installed_bundle(folder, published) == path


def test_fetch_is_idempotent_and_repairs_a_corrupt_copy(tmp_path, published):
    folder = tmp_path / "assets"
    path = fetch_basic_bundle(folder, pin=published)

    def no_network(url, timeout):
        raise AssertionError("a verified copy must not be downloaded again")

    assert fetch_basic_bundle(folder, pin=published, opener=no_network) == path
    path.write_bytes(JS + b"tampered")
    assert installed_bundle(folder, published) is None
    assert fetch_basic_bundle(folder, pin=published) == path
    assert path.read_bytes() == JS


# Broken tarballs: (build the body, changes to its pin).
BODIES = {
    "integrity mismatch": (lambda: tarball({BASIC.member: JS + b"changed in transit"}), {}),
    "sha256 mismatch": (lambda: tarball({BASIC.member: JS}), {"sha256": "0" * 64}),
    "is missing": (lambda: tarball({"package/LICENSE": b"MIT"}), {}),
    "../ member": (lambda: tarball({"../plotly-basic.min.js": JS,
                                    "package/../../plotly-basic.min.js": JS}), {}),
    "not a regular file": (lambda: tarball({"package/real.js": JS},
                                           symlinks={BASIC.member: "real.js"}), {}),
    "unreadable": (lambda: b"this is not a tarball at all", {}),
    "larger than": (lambda: tarball({BASIC.member: JS}), {"max_download": 64}),
}
# Network failures: the URL to ask.
URLS = {
    "HTTP 404": lambda npm: npm.url("/nothing.tgz"),
    "cannot reach": lambda npm: closed_port_url(),
    "cannot download": lambda npm: npm.url("/truncated.tgz"),  # dies half-way through the body
}


def _failure(case: str, npm, pin: BundlePin) -> tuple[str, BundlePin]:
    """Serve what `case` needs; return (url, pin) for it."""
    if case in URLS:
        return URLS[case](npm), pin
    make, changes = BODIES[case]
    body = make()
    npm.files["/case.tgz"] = body
    served = pin_for(body, npm.url("/case.tgz"), **changes)
    if case == "integrity mismatch":  # the pin was made for other bytes
        served = replace(served, integrity=pin.integrity)
    return served.url, served


FAILURES = {"integrity mismatch": "integrity mismatch", "sha256 mismatch": "sha256 mismatch",
            "is missing": "is missing", "../ member": "is missing",
            "not a regular file": "not a regular file", "unreadable": "unreadable",
            "larger than": "larger than", "HTTP 404": "HTTP 404 Not Found",
            "cannot reach": "cannot reach", "cannot download": "cannot download"}


@pytest.mark.parametrize("case", FAILURES)
def test_fetch_failures_raise_one_line_and_leave_no_file(tmp_path, npm, published, case):
    folder = tmp_path / "assets"
    url, pin = _failure(case, npm, published)
    with pytest.raises(BundleError) as raised:
        fetch_basic_bundle(folder, url=url, pin=pin, timeout=10)
    message = str(raised.value)
    assert FAILURES[case] in message and "\n" not in message
    assert files_in(folder) == []
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing escaped either


def test_members_named_with_dotdot_are_never_written(tmp_path, npm):
    body = tarball({"../escape.js": b"evil", "/tmp-escape.js": b"evil", BASIC.member: JS,
                    "package/../../escape2.js": b"evil"})
    npm.files["/mixed.tgz"] = body
    folder = tmp_path / "deep" / "assets"
    path = fetch_basic_bundle(folder, pin=pin_for(body, npm.url("/mixed.tgz")))
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert written == [path] and path.read_bytes() == JS


def test_a_failed_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, published,
                                                                    monkeypatch):
    folder = tmp_path / "assets"
    folder.mkdir()
    old = folder / BASIC.filename
    old.write_bytes(b"an older, unverified copy")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plotly_bundle.os, "replace", disk_full)
    with pytest.raises(BundleError, match="No space left on device"):
        fetch_basic_bundle(folder, pin=published)
    assert files_in(folder) == [BASIC.filename] and old.read_bytes() == b"an older, unverified copy"


def test_a_folder_that_cannot_be_made_fails_before_downloading(tmp_path, published):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")

    def no_network(url, timeout):
        raise AssertionError("must not download into a folder that cannot exist")

    with pytest.raises(BundleError, match="cannot create the asset folder"):
        fetch_basic_bundle(blocker / "assets", pin=published, opener=no_network)


# -- choosing the bundle ---------------------------------------------------------------------


@pytest.fixture
def fresh_warning(monkeypatch):
    """Forget that this process already warned about the full bundle."""
    monkeypatch.setattr(plotly_bundle, "_warned_full", False)


def test_resolve_picks_the_verified_basic_bundle(tmp_path, published, fresh_warning, caplog):
    folder = tmp_path / "assets"
    path = fetch_basic_bundle(folder, pin=published)
    bundle = resolve_bundle(folder, published)
    assert (bundle.path, bundle.kind, bundle.version) == (path, "basic", BASIC.version)
    assert bundle.etag == hashlib.sha256(JS).hexdigest()[:16] and bundle.size == len(JS)
    assert bundle.data == JS and gzip.decompress(bundle.gzipped) == JS
    assert bundle.gzipped[4:8] == b"\0\0\0\0"  # mtime 0: the same bytes in every process
    assert bundle.gzipped is bundle.gzipped  # compressed once
    assert caplog.records == []


@pytest.mark.parametrize("problem", ["missing", "corrupt", "version mismatch"])
def test_resolve_falls_back_to_the_full_bundle_and_warns_once(tmp_path, published, problem,
                                                              fresh_warning, caplog):
    from plotly.offline.offline import get_plotlyjs_version

    folder = tmp_path / "assets"
    pin = published
    if problem == "corrupt":
        folder.mkdir()
        (folder / pin.filename).write_bytes(JS[:-5])
    if problem == "version mismatch":  # a verified file, but for another plotly.js
        pin = replace(published, version="4.0.0")
        folder.mkdir()
        (folder / pin.filename).write_bytes(JS)
    caplog.set_level(logging.WARNING, logger="webapp.dashboards.plotly_bundle")
    first, second = resolve_bundle(folder, pin), resolve_bundle(folder, pin)
    for bundle in (first, second):
        assert (bundle.path, bundle.kind) == (plotly_js_path(), "full")
        assert bundle.version == get_plotlyjs_version() and bundle.size == FULL_SIZE
    assert first.etag == hashlib.sha256(plotly_js_path().read_bytes()).hexdigest()[:16]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, warnings
    assert "full 4.8 MB" in warnings[0] and "nervetrack fetch-assets" in warnings[0]


# -- serving ---------------------------------------------------------------------------------


def _app(tmp_path, asset_dir):
    return create_app({"TESTING": True, "SECRET_KEY": "bundle-test",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'bundle.db'}",
                       "INSTANCE_PATH": str(tmp_path / "instance"), "ASSET_DIR": str(asset_dir)})


@pytest.fixture
def basic_app(tmp_path, published, monkeypatch):
    """An app whose asset folder holds the placeholder bundle, pinned as BASIC."""
    monkeypatch.setattr(plotly_bundle, "BASIC", published)
    fetch_basic_bundle(tmp_path / "assets")
    return _app(tmp_path, tmp_path / "assets")


def _headers_say_cache_for_a_year(response):
    assert response.mimetype == "text/javascript"
    assert "Accept-Encoding" in response.vary
    assert "Cookie" not in response.vary  # one shared copy, whoever asks
    cache = response.cache_control
    assert cache.public and cache.max_age == 31536000 and cache.immutable
    assert "no-store" not in response.headers["Cache-Control"]
    assert "Pragma" not in response.headers


def test_route_serves_gzip_to_browsers_that_accept_it_and_304_on_its_etag(basic_app):
    client = basic_app.test_client()
    etag = bundle_for(basic_app).etag
    path = f"/clinic/assets/plotly.min.js?v={etag}"
    response = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["ETag"] == f'"{etag}-gzip"'
    assert gzip.decompress(response.get_data()) == JS
    _headers_say_cache_for_a_year(response)
    again = client.get(path, headers={"Accept-Encoding": "gzip",
                                      "If-None-Match": f'"{etag}-gzip"'})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == f'"{etag}-gzip"' and "Accept-Encoding" in again.vary


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0, identity"])
def test_route_serves_identity_otherwise_with_its_own_etag(basic_app, accept):
    client = basic_app.test_client()
    etag = bundle_for(basic_app).etag
    headers = {"Accept-Encoding": accept} if accept else {}
    response = client.get("/clinic/assets/plotly.min.js", headers=headers)
    assert response.status_code == 200 and response.get_data() == JS
    assert "Content-Encoding" not in response.headers
    assert response.headers["ETag"] == f'"{etag}"'
    _headers_say_cache_for_a_year(response)
    assert client.get("/clinic/assets/plotly.min.js",
                      headers={**headers, "If-None-Match": f'"{etag}"'}).status_code == 304
    # the gzip variant's tag does not match the identity variant
    assert client.get("/clinic/assets/plotly.min.js",
                      headers={**headers, "If-None-Match": f'"{etag}-gzip"'}).status_code == 200


def test_route_serves_the_full_bundle_gzipped_when_the_basic_one_is_absent(tmp_path,
                                                                          fresh_warning):
    app = _app(tmp_path, tmp_path / "empty")
    response = app.test_client().get("/clinic/assets/plotly.min.js",
                                     headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    body = response.get_data()
    assert len(body) < FULL_SIZE / 2
    assert gzip.decompress(body) == plotly_js_path().read_bytes()


def _script_src(app) -> str:
    with app.test_request_context():
        html = render_template_string(
            "{% from 'dashboards/_figures.html' import scripts %}{{ scripts() }}")
    return re.search(r'<script src="([^"]*plotly[^"]*)"', html).group(1)


def test_pages_link_the_bundle_by_its_etag_so_a_new_bundle_is_a_new_url(tmp_path, basic_app,
                                                                       fresh_warning):
    basic = bundle_for(basic_app)
    assert bundle_for(basic_app) is basic  # resolved (and hashed) once per app
    assert _script_src(basic_app) == f"/clinic/assets/plotly.min.js?v={basic.etag}"
    full_app = _app(tmp_path, tmp_path / "empty")
    full = bundle_for(full_app)
    assert full.kind == "full" and full.etag != basic.etag
    assert _script_src(full_app) == f"/clinic/assets/plotly.min.js?v={full.etag}"


# -- the demo's best-effort fetch --------------------------------------------------------------


def test_demo_offline_serves_the_full_bundle(tmp_path, fresh_warning):
    app = _app(tmp_path, tmp_path / "assets")

    def offline(url, timeout):
        raise urllib.error.URLError(OSError(101, "Network is unreachable"))

    line = bundle_for_demo(app, opener=offline)
    assert "\n" not in line
    assert line.startswith(f"  dashboards serve the full plotly.js {BASIC.version} bundle, 4.82 MB")
    assert "Network is unreachable" in line and "nervetrack fetch-assets" in line
    response = app.test_client().get("/clinic/assets/plotly.min.js")
    assert response.status_code == 200 and len(response.get_data()) == FULL_SIZE


def test_demo_fetches_the_basic_bundle_when_it_can(tmp_path, published, monkeypatch):
    monkeypatch.setattr(plotly_bundle, "BASIC", published)
    app = _app(tmp_path, tmp_path / "assets")
    line = bundle_for_demo(app, timeout=5)
    assert line == f"  dashboards serve the basic plotly.js {BASIC.version} bundle, 0.00 MB"
    assert app.test_client().get("/clinic/assets/plotly.min.js").get_data() == JS


# -- the command, through the console entry point ----------------------------------------------

# The real `nervetrack` entry point; TEST_PIN (JSON) swaps the pin for one of this file's.
CONSOLE = """
import json, os
from webapp.dashboards import plotly_bundle
if os.environ.get("TEST_PIN"):
    plotly_bundle.BASIC = plotly_bundle.BundlePin(**json.loads(os.environ["TEST_PIN"]))
from webapp.cli.main import main
main()
"""


def nervetrack(args, tmp_path, pin: BundlePin | None = None, env_extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("NERVETRACK_") and k != "TEST_PIN"}
    env.update({"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "xdg"),
                "NERVETRACK_ASSET_DIR": str(tmp_path / "assets")})
    if pin:
        env["TEST_PIN"] = json.dumps(asdict(pin))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", CONSOLE, *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


def test_fetch_assets_command_downloads_then_says_it_is_already_there(tmp_path, published):
    first = nervetrack(["fetch-assets", "--url", published.url], tmp_path, published)
    assert first.returncode == 0, first.stderr
    target = tmp_path / "assets" / BASIC.filename  # NERVETRACK_ASSET_DIR
    assert first.stdout.startswith("Downloaded and verified plotly.js basic bundle")
    assert str(target) in first.stdout and target.read_bytes() == JS
    assert first.stderr == ""
    again = nervetrack(["fetch-assets", "--url", closed_port_url()], tmp_path, published)
    assert again.returncode == 0, again.stderr
    assert again.stdout == (f"plotly.js basic bundle {BASIC.version} already present and "
                            f"verified: {target}\n")
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_fetch_assets_dir_option_wins_over_the_environment(tmp_path, published):
    result = nervetrack(["fetch-assets", "--dir", str(tmp_path / "other")], tmp_path, published)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "other" / BASIC.filename).read_bytes() == JS
    assert not (tmp_path / "assets").exists()


@pytest.mark.parametrize("case", ["HTTP 404", "cannot reach", "integrity mismatch"])
def test_fetch_assets_failures_print_one_line_and_exit_2(tmp_path, npm, published, case):
    url, pin = _failure(case, npm, published)
    # integrity mismatch: the real pin, and a tarball that is not the real one
    result = nervetrack(["fetch-assets", "--url", url], tmp_path,
                        None if case == "integrity mismatch" else pin)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: fetch-assets: ")
    assert FAILURES[case] in lines[0]
    assert files_in(tmp_path / "assets") == []


@pytest.mark.parametrize(("args", "message"), [
    (["--dir", "{file}"], "is a file"),
    (["--dir", "{file}/assets"], "cannot create the asset folder"),
    (["--bogus"], "No such option"),
])
def test_fetch_assets_bad_input_exits_2_without_a_traceback(tmp_path, published, args, message):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    args = [a.format(file=blocker) for a in args]
    result = nervetrack(["fetch-assets", *args], tmp_path, published)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
