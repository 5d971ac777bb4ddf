"""Checks every page's HTML must pass, for page tests to call: nothing from another server, nothing inline.

``external_references(html)``: every ``http(s)://`` or ``//host`` URL in the page that is not this server
(an SVG or XML namespace name is not a reference). ``inline_code(html)``: what the Content-Security-Policy
would refuse: ``<script>`` without ``src``, ``<style>``, ``style=""``, ``on...=`` handlers, ``javascript:`` URLs.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SERVER_HOSTS = frozenset({"testserver", "127.0.0.1", "localhost"})
_NAMESPACE = re.compile(r"""\sxmlns(?::[\w-]+)?\s*=\s*(["'])[^"']*\1""", re.IGNORECASE)
_ABSOLUTE = re.compile(r"""(?:https?:)?//[^\s"'<>)\\]+""", re.IGNORECASE)
_URL_ATTRIBUTE = re.compile(r"""\s(?:src|href|action|formaction|poster|srcset|data)\s*=\s*(["'])(.*?)\1""", re.I | re.S)
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)""", re.IGNORECASE)


def external_references(html: str) -> list[str]:
    """URLs in ``html`` that point at another server."""
    text = _NAMESPACE.sub(" ", html)
    candidates = [m.group(0) for m in re.finditer(r"https?://[^\s\"'<>)\\]+", text, re.IGNORECASE)]
    candidates += [m.group(2).strip() for m in _URL_ATTRIBUTE.finditer(text)]
    candidates += [m.group(1).strip() for m in _CSS_URL.finditer(text)]
    found = []
    for url in candidates:
        if not _ABSOLUTE.match(url):
            continue
        host = urlsplit(url if "://" in url else f"http:{url}").hostname or ""
        if host not in SERVER_HOSTS and url not in found:
            found.append(url)
    return found


def inline_code(html: str) -> list[str]:
    """Inline scripts, styles and handlers in ``html`` (the CSP refuses them)."""
    found = [m.group(0) for m in re.finditer(r"<script(?![^>]*\bsrc\s*=)[^>]*>", html, re.IGNORECASE)]
    found += [m.group(0) for m in re.finditer(r"<style\b[^>]*>", html, re.IGNORECASE)]
    found += [m.group(0) for m in re.finditer(r"""<[^>]*\sstyle\s*=[^>]*>""", html, re.IGNORECASE)]
    found += [m.group(0) for m in re.finditer(r"""<[^>]*\son[a-z]+\s*=[^>]*>""", html, re.IGNORECASE)]
    found += [m.group(0) for m in re.finditer(r"""=\s*["']?\s*javascript:""", html, re.IGNORECASE)]
    return found
