"""The httpx client under the HTTP transport, and the origin test that decides where credentials go,
both cut to what a campaign can afford per request without changing what they decide.

Measured on a campaign of 50 targets in flight (cProfile, the harness's thread): httpx built a urllib
request and an email message for every response to look for cookies (about 5% of the harness's CPU),
and parsing the URL once more just to compare its origin with the target's was about 4%.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

# The scheme and authority of a URL, as httpx's parser delimits the authority (it ends at / ? or #).
_HEAD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` as httpx parses it (``httpx.InvalidURL`` when it cannot)."""
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


class SameOrigin:
    """Whether a URL is on one origin: the target's, the only one its credentials are sent to.

    A URL that begins with the exact text of the origin URL's scheme and authority followed by ``/`` has
    that same scheme and authority, so its origin is the same without parsing it again; any other URL
    (another host, another spelling of this one, a relative link) is parsed and compared as before.
    """

    def __init__(self, url: str) -> None:
        self.origin = origin(url)
        head = _HEAD.match(url)
        self.prefix = head.group() + "/" if head else None

    def __call__(self, url: str) -> bool:
        if self.prefix is not None and url.startswith(self.prefix):
            return True
        return origin(url) == self.origin


class _Cookies(httpx.Cookies):
    """The client's cookie jar, unchanged, except that a response setting no cookie is not parsed for one
    (a jar extracts nothing from a response without ``Set-Cookie``/``Set-Cookie2``)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            super().extract_cookies(response)


class Client(httpx.AsyncClient):
    """``httpx.AsyncClient`` with :class:`_Cookies` as its jar: cookies set by a server are kept and sent
    back exactly as before."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = kwargs.get("cookies")

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._jar = _Cookies(cookies)
