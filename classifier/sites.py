"""Which site a page belongs to, from its URL.

Kept apart from :mod:`classifier.lines.templates` (which needs pandas) because the
batch driver and the dataset readers only need the host name, and the batch
driver is meant to stay light: it reads inputs and counts results while
worker processes hold the libraries and models.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

_HOST_PREFIX = re.compile(r"^(www\d*|m)\.")


def site_of(url: str) -> str:
    """Registrable-ish site of a URL: host without ``www.``; '' when unknown."""
    host = urlparse(url).netloc.lower().split("@")[-1].split(":")[0]
    return _HOST_PREFIX.sub("", host)
