"""Code lists some GS1 linters check against (ISO 3166-1 countries, ISO 4217 currencies).

Taken from pycountry, which packages the ISO lists as the Debian iso-codes project maintains them,
rather than typed by hand: ISO 4217 changes every year or two (HRK, BGN, SLL, ZWL withdrawn; SLE,
ZWG, XAD added), and a stale list rejects valid amounts or accepts withdrawn currencies.
"""

from __future__ import annotations

import pycountry

ISO3166_NUMERIC = frozenset(str(c.numeric) for c in pycountry.countries)
ISO3166_ALPHA2 = frozenset(str(c.alpha_2) for c in pycountry.countries)
ISO4217_NUMERIC = frozenset(str(c.numeric) for c in pycountry.currencies if getattr(c, "numeric", None))
