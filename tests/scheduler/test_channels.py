"""Delivery channels against real local servers: aiosmtpd for SMTP, http.server for SMS."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from scheduler.channels import (
    FileChannel,
    SmsHttpChannel,
    SmtpChannel,
    build_channel,
)
from scheduler.messages import Message
from scheduler.retry import PermanentFailure, TemporaryFailure

MESSAGE = Message("Riverside Clinic: how are you doing?", "Hi Sam,\nPlease answer.\n",
                  "<p>Hi Sam,</p>", "<m1/open+0/email@nervetrack.example.org>")
FIXED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(content: bytes):
    return email.message_from_bytes(content.replace(b"\r\n", b"\n"), policy=email.policy.default)


class Recorder:
    def __init__(self):
        self.envelopes = []
        self.rcpt_reply = None
        self.data_reply = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"mailer" and auth_data.password == b"s3cret/pw"
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def smtp_server():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            authenticator=_authenticator, auth_require_tls=False,
                            auth_exclude_mechanism=["LOGIN"])
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp(smtp_server):
    controller, handler = smtp_server
    handler.envelopes.clear()
    handler.rcpt_reply = handler.data_reply = None
    channel = SmtpChannel.from_url(f"smtp://127.0.0.1:{controller.port}", "clinic@example.org",
                                   timeout=5)
    channel.clock = lambda: FIXED
    return channel, handler, controller


def test_smtp_delivers_with_stable_message_id(smtp):
    channel, handler, _ = smtp
    assert channel.send(MESSAGE, "sam@example.org") == ""
    (env,) = handler.envelopes
    assert env.mail_from == "clinic@example.org" and env.rcpt_tos == ["sam@example.org"]
    parsed = parse(env.content)
    assert parsed["Message-ID"] == MESSAGE.message_id
    assert parsed["Subject"] == MESSAGE.subject
    assert parsed["From"] == "clinic@example.org" and parsed["To"] == "sam@example.org"
    assert parsed["Date"].datetime == FIXED
    assert parsed.get_body(("plain",)).get_content() == MESSAGE.text
    assert parsed.get_body(("html",)).get_content().strip() == MESSAGE.html


def test_smtp_text_only(smtp):
    channel, handler, _ = smtp
    channel.send(Message("s", "just text\n", None, "<x@y>"), "sam@example.org")
    parsed = parse(handler.envelopes[0].content)
    assert not parsed.is_multipart() and parsed.get_content().rstrip() == "just text"


def test_smtp_login(smtp):
    _, handler, controller = smtp
    url = f"smtp://mailer:s3cret%2Fpw@127.0.0.1:{controller.port}"
    SmtpChannel.from_url(url, "clinic@example.org", timeout=5).send(MESSAGE, "sam@example.org")
    assert len(handler.envelopes) == 1
    bad = f"smtp://mailer:wrong@127.0.0.1:{controller.port}"
    with pytest.raises(TemporaryFailure, match="login"):
        SmtpChannel.from_url(bad, "clinic@example.org", timeout=5).send(MESSAGE, "x@example.org")


@pytest.mark.parametrize(("where", "reply", "failure"), [
    ("rcpt", "451 4.3.0 try later", TemporaryFailure),
    ("rcpt", "550 5.1.1 no such user", PermanentFailure),
    ("data", "451 4.3.0 try later", TemporaryFailure),
    ("data", "554 5.7.1 rejected", PermanentFailure),
    ("rcpt", "530 5.7.0 authentication required", TemporaryFailure),  # our settings, retried
])
def test_smtp_refusals(smtp, where, reply, failure):
    channel, handler, _ = smtp
    setattr(handler, f"{where}_reply", reply)
    with pytest.raises(failure):
        channel.send(MESSAGE, "sam@example.org")
    assert handler.envelopes == []


def test_smtp_server_down():
    channel = SmtpChannel("127.0.0.1", free_port(), "clinic@example.org", timeout=2)
    with pytest.raises(TemporaryFailure, match="unreachable"):
        channel.send(MESSAGE, "sam@example.org")


def test_smtp_server_silent_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection but never greets
        channel = SmtpChannel("127.0.0.1", listener.getsockname()[1], "c@example.org",
                              timeout=0.3)
        with pytest.raises(TemporaryFailure):
            channel.send(MESSAGE, "sam@example.org")


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://localhost", ("localhost", 25, None, None, "none")),
    ("smtp://u:p@mail.example.org:2525", ("mail.example.org", 2525, "u", "p", "none")),
    ("smtp://u%40x:p%3Aw@mail.example.org?starttls=1",
     ("mail.example.org", 587, "u@x", "p:w", "starttls")),
    ("smtp://mail.example.org:25?starttls=true", ("mail.example.org", 25, None, None, "starttls")),
    ("smtps://u:p@mail.example.org", ("mail.example.org", 465, "u", "p", "ssl")),
])
def test_smtp_url(url, expected):
    c = SmtpChannel.from_url(url, "clinic@example.org")
    assert (c.host, c.port, c.username, c.password, c.security) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "mail.example.org"])
def test_smtp_url_refused(url):
    with pytest.raises(ValueError):
        SmtpChannel.from_url(url, "clinic@example.org")


# --- SMS over HTTP ---------------------------------------------------------------------------

class SmsHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.server.requests.append((self.path, dict(self.headers), self.rfile.read(length)))
        body = json.dumps({"id": "sms-123"}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SmsHandler)
    server.requests, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _sms(server) -> SmsHttpChannel:
    return SmsHttpChannel(f"http://127.0.0.1:{server.server_port}/v1/sms", "tok-1", "Riverside",
                          timeout=5)


def test_sms_sent(sms_server):
    sms = Message("", "Hi Sam, please answer: https://x.example/r/1", None, "<k@d>")
    assert _sms(sms_server).send(sms, "+447700900123") == "sms-123"
    ((path, headers, body),) = sms_server.requests
    assert path == "/v1/sms"
    assert headers["Authorization"] == "Bearer tok-1"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"to": "+447700900123", "from": "Riverside",
                                "text": sms.text, "reference": "<k@d>"}


@pytest.mark.parametrize(("status", "failure"), [
    (400, PermanentFailure), (401, PermanentFailure), (404, PermanentFailure),
    (429, TemporaryFailure), (500, TemporaryFailure), (503, TemporaryFailure),
])
def test_sms_errors(sms_server, status, failure):
    sms_server.status = status
    with pytest.raises(failure, match=str(status)):
        _sms(sms_server).send(MESSAGE, "+447700900123")


def test_sms_gateway_down():
    channel = SmsHttpChannel(f"http://127.0.0.1:{free_port()}/sms", "t", "R", timeout=2)
    with pytest.raises(TemporaryFailure, match="unreachable"):
        channel.send(MESSAGE, "+447700900123")


# --- file outbox and factory -----------------------------------------------------------------

def test_file_channel_appends_json_lines(tmp_path, capsys):
    path = tmp_path / "outbox" / "messages.jsonl"
    channel = FileChannel(path)
    channel.send(MESSAGE, "sam@example.org")
    channel.send(MESSAGE, "+447700900123")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["to"] for line in lines] == ["sam@example.org", "+447700900123"]
    assert lines[0] == {"to": "sam@example.org", "subject": MESSAGE.subject, "text": MESSAGE.text,
                        "html": MESSAGE.html, "message_id": MESSAGE.message_id}
    printed = capsys.readouterr().out
    assert len(printed.splitlines()) == 2
    assert "sam@example.org" not in printed and "+447700900123" not in printed


@pytest.mark.parametrize(("kind", "config", "cls"), [
    ("smtp", {"url": "smtp://localhost:25", "sender": "a@b"}, SmtpChannel),
    ("email", {"url": "smtps://localhost", "sender": "a@b"}, SmtpChannel),
    ("sms", {"url": "https://sms.example/api", "token": "t", "sender": "R"}, SmsHttpChannel),
    ("file", {"path": "outbox.jsonl"}, FileChannel),
])
def test_build_channel(kind, config, cls):
    assert isinstance(build_channel(kind, config), cls)


def test_build_channel_unknown():
    with pytest.raises(ValueError, match="Unknown channel kind"):
        build_channel("pigeon", {})
