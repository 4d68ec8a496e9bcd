"""`conformance serve --ssl-certfile/--ssl-keyfile`: HTTPS on loopback, and the session cookie is Secure."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import select
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.cli import main
from tests.service.world import PASSWORD, build, sqlite_url


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (synthetic, made for this test only)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_serves_secure_session_cookies(tmp_path: Path, cheap_hashing: None) -> None:
    url = sqlite_url(tmp_path)
    build(url)
    cert, key = self_signed(tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--store", url, "--port", "0",
                                "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)],
                               cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line, deadline = "", time.monotonic() + 60
        while "serving" not in line and time.monotonic() < deadline and process.poll() is None:
            if select.select([process.stderr], [], [], 1.0)[0]:
                line = process.stderr.readline()
        found = re.search(r"at (https://127\.0\.0\.1:\d+)/", line)
        assert found, line
        with httpx.Client(base_url=found.group(1), verify=ssl.create_default_context(cafile=str(cert))) as http:
            csrf = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
            assert csrf is not None
            signed = http.post("/login", data={"username": "comm", "password": PASSWORD, "csrf": csrf.group(1)})
        cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("conformance_session="))
        assert signed.status_code == 303 and "secure" in cookie.lower() and "httponly" in cookie.lower()
        with pytest.raises(httpx.TransportError):
            httpx.get(found.group(1).replace("https", "http") + "/login", timeout=5)  # plain HTTP is not spoken
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def test_a_certificate_without_its_key_is_a_usage_error(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    done = CliRunner().invoke(main, ["serve", "--store", sqlite_url(tmp_path), "--port", "0",
                                     "--ssl-certfile", str(cert)])
    assert done.exit_code == 2 and "--ssl-certfile and --ssl-keyfile together" in done.stderr
