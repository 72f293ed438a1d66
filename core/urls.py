"""URL canonicalisation, the rule page ids rest on: courlan clean-up, no trackers, w3lib canonical form."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import scrub_url
from w3lib.url import canonicalize_url as w3lib_canonicalize

# courlan's anchored tracker rules (click ids, ad/analytics prefixes: utm_, mtm_, pk_, mc_...) plus AT
# Internet, HubSpot, Webtrends. Its unanchored rule is not used: it also drops "galerie", "game",
# "gare", "affaire", "reference" (any name starting with ga/ref/aff...), which name content on French
# sites, so two different pages would share one id.
TRACKING_PARAMETER = re.compile(
    r"^(?:(?:dc|fbc|gc|twc|yc|ysc|ttc)lid|(?:click|gbra|msclk|igsh|partner|wbra)id|igsh|gclsrc"
    r"|(?:ads?|mc|ga|gs|itm|mkt|ml|mtm|oly|pk|utm|vero|at|hsa|ns)_\w*"
    r"|_ga|_gl|_hsenc|_hsmi|xtor|wt_mc|ref|amp)$",
    re.IGNORECASE,
)
# A Java session id in the path names a visit, not a page.
_PATH_SESSION = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def is_tracking_parameter(name: str) -> bool:
    """True for a query parameter that tells where a visitor came from, not which page they asked for."""
    return TRACKING_PARAMETER.match(name) is not None


def canonicalize_url(url: str) -> str:
    """A stable form of ``url``: no trackers, session id or fragment, sorted query, lower-case host.

    courlan scrubs what pages put around links (whitespace, markup remnants, ``&amp;``); w3lib sorts the
    query and fixes percent-encoding and IDN hosts. courlan's path and query normalisation is not used:
    it merges ``//`` inside archived URLs (``/web/2007/http://...``) and encodes ``;`` in paths.
    """
    parts = urlsplit(scrub_url(url))
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower().removesuffix(_DEFAULT_PORTS.get(scheme, "\0"))
    path = _PATH_SESSION.sub("", parts.path) or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_parameter(k)]
    )
    return w3lib_canonicalize(urlunsplit((scheme, netloc, path, query, "")), keep_fragments=False)


def url_host(url: str | None) -> str:
    """The lower-case host name of ``url`` without a leading ``www.`` ("" when there is none)."""
    try:
        host = (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.").rstrip(".")
