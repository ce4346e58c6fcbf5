"""The SMTP channel's TLS paths (STARTTLS, SMTPS) against real aiosmtpd servers on 127.0.0.1.

A throwaway CA from trustme stands in for a clinic's private CA: the channel trusts it only
through ``cafile`` (NERVETRACK_SMTP_CAFILE), and refuses certificates it cannot verify.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from scheduler.channels import SmtpChannel, build_channel
from scheduler.dispatch import channels_from_config
from scheduler.messages import Message
from scheduler.retry import TemporaryFailure
from webapp import ConfigError, create_app

MESSAGE = Message("Riverside Clinic: how are you doing?", "Hi Sam,\nPlease answer.\n",
                  "<p>Hi Sam,</p>", "<m1/open+0/email@nervetrack.example.org>")
SENDER = "clinic@example.org"
USER, PASSWORD = "mailer", "s3cret/pw"
CREDENTIALS = "mailer:s3cret%2Fpw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Delivery:
    envelope: object
    tls_version: str | None  # from the connection's ssl object, both STARTTLS and SMTPS
    starttls: bool  # aiosmtpd sets session.ssl only after a STARTTLS upgrade
    authenticated: bool | None
    login: bytes | None


class Recorder:
    """Handler and authenticator in one: records deliveries and every AUTH attempt."""

    def __init__(self):
        self.deliveries: list[Delivery] = []
        self.auth_attempts: list[bytes] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.auth_attempts.append(auth_data.login)
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    async def handle_DATA(self, server, session, envelope):
        ssl_object = server.transport.get_extra_info("ssl_object")
        self.deliveries.append(Delivery(
            envelope, ssl_object.version() if ssl_object else None, session.ssl is not None,
            session.authenticated, session.auth_data.login if session.auth_data else None))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ca") / "clinic-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def start_server(ca):
    """Start an aiosmtpd server: "starttls" (port 587 style) or "smtps" (implicit TLS)."""
    started: list[Controller] = []

    def start(mode: str, *names: str) -> tuple[Recorder, int]:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*(names or ("localhost", "127.0.0.1"))).configure_cert(context)
        handler, port = Recorder(), free_port()
        if mode == "starttls":
            controller = Controller(handler, hostname="127.0.0.1", port=port,
                                    tls_context=context, require_starttls=True,
                                    auth_require_tls=True, authenticator=handler.authenticate)
        else:
            # aiosmtpd's auth_require_tls only knows STARTTLS; with implicit TLS the whole
            # session is encrypted before the greeting, so AUTH is already protected.
            controller = Controller(handler, hostname="127.0.0.1", port=port,
                                    ssl_context=context, auth_require_tls=False,
                                    authenticator=handler.authenticate)
        controller.start()
        started.append(controller)
        return handler, port

    yield start
    for controller in started:
        controller.stop()


def channel(mode: str, port: int, cafile: str | None, credentials: str = CREDENTIALS):
    scheme, query = ("smtps", "") if mode == "smtps" else ("smtp", "?starttls=1")
    url = f"{scheme}://{credentials}@127.0.0.1:{port}{query}"
    return SmtpChannel.from_url(url, SENDER, timeout=5, cafile=cafile)


def parse(content: bytes):
    return email.message_from_bytes(content.replace(b"\r\n", b"\n"), policy=email.policy.default)


# --- delivery over TLS with the clinic's CA --------------------------------------------------

def test_starttls_with_the_clinic_ca_delivers_encrypted_and_authenticated(start_server, ca_file):
    handler, port = start_server("starttls")
    smtp = channel("starttls", port, ca_file)
    assert smtp.security == "starttls" and smtp.cafile == ca_file
    assert smtp.send(MESSAGE, "sam@example.org") == ""
    (delivery,) = handler.deliveries
    assert delivery.starttls and delivery.tls_version in ("TLSv1.2", "TLSv1.3")
    assert delivery.authenticated is True and delivery.login == USER.encode()
    assert delivery.envelope.mail_from == SENDER
    assert delivery.envelope.rcpt_tos == ["sam@example.org"]
    assert parse(delivery.envelope.content)["Message-ID"] == MESSAGE.message_id


def test_smtps_with_the_clinic_ca_delivers_encrypted_and_authenticated(start_server, ca_file):
    handler, port = start_server("smtps")
    smtp = channel("smtps", port, ca_file)
    assert smtp.security == "ssl"
    smtp.send(MESSAGE, "sam@example.org")
    (delivery,) = handler.deliveries
    assert not delivery.starttls and delivery.tls_version in ("TLSv1.2", "TLSv1.3")
    assert delivery.authenticated is True and delivery.login == USER.encode()
    assert parse(delivery.envelope.content)["Subject"] == MESSAGE.subject


def test_build_channel_passes_the_cafile_through(start_server, ca_file):
    handler, port = start_server("starttls")
    url = f"smtp://{CREDENTIALS}@127.0.0.1:{port}?starttls=1"
    built = build_channel("smtp", {"url": url, "sender": SENDER, "timeout": 5,
                                   "cafile": ca_file})
    built.send(MESSAGE, "sam@example.org")
    assert len(handler.deliveries) == 1


def test_the_cafile_adds_to_the_system_cas_and_keeps_hostname_checks(ca_file):
    system = SmtpChannel("h", 25, SENDER).tls_context()
    clinic = SmtpChannel("h", 25, SENDER, cafile=ca_file).tls_context()
    for context in (system, clinic):
        assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    assert clinic.cert_store_stats()["x509_ca"] == system.cert_store_stats()["x509_ca"] + 1


# --- refusals: nothing is delivered, the reason is plain --------------------------------------

@pytest.mark.parametrize("mode", ["starttls", "smtps"])
@pytest.mark.parametrize("trust", ["system CAs only", "another private CA"])
def test_untrusted_certificate_is_a_temporary_failure(start_server, tmp_path, mode, trust):
    handler, port = start_server(mode)
    cafile = None
    if trust == "another private CA":
        cafile = str(tmp_path / "other-ca.pem")
        trustme.CA().cert_pem.write_to_path(cafile)
    with pytest.raises(TemporaryFailure, match="SMTP server certificate not trusted") as err:
        channel(mode, port, cafile).send(MESSAGE, "sam@example.org")
    assert "unable to get local issuer certificate" in str(err.value)
    assert handler.deliveries == [] and handler.auth_attempts == []


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_certificate_for_another_host_is_refused(start_server, ca_file, mode):
    handler, port = start_server(mode, "mail.example.org")
    with pytest.raises(TemporaryFailure, match="SMTP server certificate not trusted") as err:
        channel(mode, port, ca_file).send(MESSAGE, "sam@example.org")
    assert "mismatch" in str(err.value) and "127.0.0.1" in str(err.value)
    assert handler.deliveries == [] and handler.auth_attempts == []


def test_plain_client_without_login_is_refused_by_a_starttls_only_server(start_server):
    handler, port = start_server("starttls")
    plain = SmtpChannel.from_url(f"smtp://127.0.0.1:{port}", SENDER, timeout=5)
    # The server answers MAIL FROM with "530 Must issue a STARTTLS command first": a settings
    # mistake (starttls=1 missing), not a bad message, so it is retried like a failed login and
    # the reminders go out once the settings are fixed.
    with pytest.raises(TemporaryFailure, match="SMTP 530"):
        plain.send(MESSAGE, "sam@example.org")
    assert handler.deliveries == []


def test_plain_client_with_login_never_sends_the_password_in_clear(start_server):
    handler, port = start_server("starttls")
    plain = SmtpChannel.from_url(f"smtp://{CREDENTIALS}@127.0.0.1:{port}", SENDER, timeout=5)
    # auth_require_tls: the server does not offer AUTH before STARTTLS, so smtplib refuses to
    # log in; like a failed login this is temporary (fix the settings, the reminder retries).
    with pytest.raises(TemporaryFailure, match="does not offer.*AUTH"):
        plain.send(MESSAGE, "sam@example.org")
    assert handler.deliveries == [] and handler.auth_attempts == []


def test_smtps_against_a_starttls_port_fails_the_handshake(start_server, ca_file):
    handler, port = start_server("starttls")
    with pytest.raises(TemporaryFailure, match="TLS handshake failed"):
        channel("smtps", port, ca_file).send(MESSAGE, "sam@example.org")
    assert handler.deliveries == []


# --- configuration: NERVETRACK_SMTP_CAFILE -----------------------------------------------------

def _config(tmp_path, **extra) -> dict:
    return {"INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "k",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **extra}


def test_config_cafile_reaches_the_email_channel(tmp_path, monkeypatch, ca_file):
    monkeypatch.setenv("NERVETRACK_SMTP_CAFILE", ca_file)
    app = create_app(_config(tmp_path, SMTP_URL="smtp://mail.example.org:587?starttls=1"))
    assert app.config["SMTP_CAFILE"] == ca_file
    assert channels_from_config(app.config)["email"].cafile == ca_file


def test_config_without_cafile_keeps_the_system_cas(tmp_path, monkeypatch):
    monkeypatch.delenv("NERVETRACK_SMTP_CAFILE", raising=False)
    app = create_app(_config(tmp_path, SMTP_URL="smtps://mail.example.org"))
    assert app.config["SMTP_CAFILE"] is None
    assert channels_from_config(app.config)["email"].cafile is None


@pytest.mark.parametrize(("content", "fragment"), [
    (None, "cannot be read (No such file or directory)"),
    ("not a certificate\n", "holds no PEM certificate"),
])
def test_config_refuses_an_unusable_cafile(tmp_path, content, fragment):
    path = tmp_path / "relay-ca.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match="NERVETRACK_SMTP_CAFILE .*" + re.escape(fragment)):
        create_app(_config(tmp_path, SMTP_CAFILE=str(path)))


def _nervetrack() -> list[str]:
    script = Path(sys.executable).with_name("nervetrack")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from webapp.cli.main import main; main()"]


@pytest.mark.parametrize("command", [["dispatch", "--once"], ["scheduler"]])
def test_console_exits_2_with_one_line_for_a_missing_cafile(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NERVETRACK_")}
    env.update({"NERVETRACK_SECRET_KEY": "k",
                "NERVETRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                "NERVETRACK_SMTP_URL": "smtp://mail.example.org:587?starttls=1",
                "NERVETRACK_SMTP_CAFILE": str(tmp_path / "missing-ca.pem")})
    result = subprocess.run([*_nervetrack(), *command], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nervetrack: configuration error: NERVETRACK_SMTP_CAFILE")
    assert "missing-ca.pem" in lines[0] and "No such file" in lines[0]
