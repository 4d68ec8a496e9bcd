"""One TLS context per process and verify setting, shared by every run, probe and transport.

Building a context loads the CA bundle: about 20 ms of CPU, which a campaign paid once per target in the
probe (a fresh ``httpx.AsyncClient``) and once per run in the transport, more than the rest of the probe.
A context is safe to share across threads and event loops; nothing here or in httpx changes it per use
(httpcore sets the same ALPN list on it for every HTTP/1.1 connection).

Keyed by ``verify`` alone, so it must stay free of anything per target: a client certificate (mutual TLS)
or HTTP/2 would be loaded *into* the shared context (httpx's ``cert=`` and httpcore's ALPN for h2) and
reach every other target. Whoever adds either gives it its own context, never this one.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context(verify: bool) -> ssl.SSLContext:
    """What ``httpx.AsyncClient(verify=verify)`` would build (trusting ``SSL_CERT_FILE``/``SSL_CERT_DIR``)."""
    return httpx.create_ssl_context(verify=verify)
