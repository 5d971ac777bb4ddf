"""Templates: one Jinja2 environment for every page, with gettext, locale-aware filters and :func:`render`.

Templates live in ``web/templates/`` (a section's in a folder of its own: ``templates/patients/...``) and
extend ``base.html``. Autoescaping is on. In a template:

- ``{% trans %}Text{% endtrans %}``, ``{{ _("Text") }}``, ``{{ ngettext("%(num)d patient", "%(num)d patients", n) }}``
  translate (newstyle gettext: ``%(name)s`` placeholders are filled and escaped);
- ``{{ day|date }}``, ``{{ moment|datetime }}``, ``{{ x|number }}``, ``{{ x|decimal(1) }}``, ``{{ x|percent }}``
  format for the page's language (Babel);
- ``static_url("engraft.css")`` is the URL of a static file with its content hash (cache busting);
- the context :func:`render` passes: ``principal`` (or ``None``), ``language``, ``languages``,
  ``csrf_token``, ``sections`` (the ones ``principal`` may open), ``current_section``, ``here`` (this
  page's path and query), ``sign_in_path``, ``sign_out_path``, ``version``, ``request``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Final

from babel import Locale, dates, numbers
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from engraft import __version__
from engraft.api.auth import csrf_token, principal_of
from engraft.web.core_text import core_wording
from engraft.web.i18n import (
    ENGLISH,
    LANGUAGE_COOKIE,
    LANGUAGES,
    PLATFORM_CATALOGUE,
    Language,
    choose_language,
    translations_for,
)
from engraft.web.pages_common import SIGN_IN_PATH, SIGN_OUT_PATH, here
from engraft.web.sections import Section, section_at, sections_for

TEMPLATE_DIR: Final = Path(__file__).parent / "templates"
STATIC_DIR: Final = Path(__file__).parent / "static"
STATIC_PREFIX: Final = "/static"


def _locale(context: Context) -> Locale:
    language: Language = context["language"]
    return language.locale


@pass_context
def _gettext(context: Context, message: str) -> str:
    return str(context["translations"].gettext(message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(context["translations"].ngettext(singular, plural, n))


@pass_context
def _pgettext(context: Context, msgctxt: str, message: str) -> str:
    return str(context["translations"].pgettext(msgctxt, message))


FORMAT_CACHE_SIZE: Final = 65_536
"""Formatted dates and numbers kept per process: a patient page writes hundreds of them, most seen before."""


@lru_cache(maxsize=FORMAT_CACHE_SIZE)
def date_text(value: dt.date, format: str, locale: Locale) -> str:
    """``value`` as ``locale`` writes dates in ``format`` (cached: pages repeat the same days)."""
    return str(dates.format_date(value, format=format, locale=locale))


@lru_cache(maxsize=FORMAT_CACHE_SIZE)
def decimal_text(value: float | int, pattern: str | None, locale: Locale) -> str:
    """``value`` with ``locale``'s grouping and decimal signs (``pattern``: Babel's; None its default; cached)."""
    return str(numbers.format_decimal(value, format=pattern, locale=locale))


@pass_context
def format_date(context: Context, value: dt.date | None, format: str = "medium") -> str:
    """A date as the page's language writes it (``medium``: 4 Dec 2026 / 2026年12月4日)."""
    return "" if value is None else date_text(value, format, _locale(context))


@pass_context
def format_datetime(context: Context, value: dt.datetime | None, format: str = "medium") -> str:
    """A timestamp as the page's language writes it, in its own time zone (UTC when it has none).

    ``short`` is the clinical screens' form and never ambiguous: the date with its month in words (Babel's
    ``medium`` date: "5 Dec 2026" / "Dec 5, 2026" / "2026年12月5日", never "12/5/26", which reads as 12 May in
    most of the world), the time on the 24-hour clock and the zone's name ("11:04 UTC").
    """
    if value is None:
        return ""
    zone = value.tzinfo or dt.UTC
    locale = _locale(context)
    if format == "short":
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        day = dates.format_date(moment.date(), format="medium", locale=locale)
        return f"{day} {moment:%H:%M} {moment.tzname() or 'UTC'}"
    return dates.format_datetime(value, format=format, tzinfo=zone, locale=locale)


@pass_context
def format_number(context: Context, value: float | int | None) -> str:
    """A number with the language's grouping and decimal signs."""
    return "" if value is None else decimal_text(value, None, _locale(context))


@pass_context
def format_decimal(context: Context, value: float | None, places: int = 1) -> str:
    """A number with exactly ``places`` decimals."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * places if places > 0 else "")
    return decimal_text(value, pattern, _locale(context))


@pass_context
def format_percent(context: Context, value: float | None, places: int = 0) -> str:
    """A fraction (0.25) as a percentage (25%)."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * places if places > 0 else "") + "%"
    return numbers.format_percent(value, format=pattern, locale=_locale(context))


@pass_context
def core_text(context: Context, text: str | None) -> str:
    """A text of the pure core (a band, a rule, a cohort) in the page's language (:mod:`engraft.web.core_text`)."""
    language: Language = context["language"]
    return "" if text is None else core_wording(language.code)(str(text))


@pass_context
def core_item(context: Context, name: str) -> str:
    """A component's item (a field name such as ``inflammatory_bowel_disease``) as its translated label."""
    language: Language = context["language"]
    if language.code == ENGLISH.code:
        return name
    return core_wording(language.code).item(name)


@cache
def _static_hash(relative: str) -> str:
    path = (STATIC_DIR / relative).resolve()
    if STATIC_DIR.resolve() not in path.parents or not path.is_file():
        raise ValueError(f"static file {relative!r}: expected a file under {STATIC_DIR}")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(relative: str) -> str:
    """URL of a file under ``web/static`` with a hash of its content, so browsers may cache it for long."""
    return f"{STATIC_PREFIX}/{relative}?v={_static_hash(relative)}"


def _build_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, newstyle=True
    )
    environment.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        decimal=format_decimal,
        percent=format_percent,
        core=core_text,
        core_item=core_item,
    )
    environment.globals.update(
        static_url=static_url,
        languages=LANGUAGES,
        version=__version__,
        section_title=section_title,
        section_text=section_text,
    )
    return environment


def catalogue_of(request: Request, template: str | None = None) -> str:
    """Which section's catalogue a page reads first: the template's folder (``patients/list.html``:
    ``patients``), else the section the path is in, else the platform's."""
    if template and "/" in template:
        return template.split("/", 1)[0]
    section = section_at(request.url.path)
    return section.catalogue if section is not None else PLATFORM_CATALOGUE


@pass_context
def section_text(context: Context, section: Section, text: str) -> str:
    """A section's own text (its title, its summary) in the words of the section's own catalogue."""
    language: Language = context["language"]
    return str(translations_for(language.code, section.catalogue).gettext(text)) if text else ""


@pass_context
def section_title(context: Context, section: Section) -> str:
    """A navigation entry's title, in the words of the section's own catalogue."""
    return section_text(context, section, section.title)


def page_context(request: Request, catalogue: str | None = None) -> dict[str, Any]:
    """What every page template gets: principal, language, translations, CSRF token, navigation."""
    principal = principal_of(request)
    language = language_of(request)
    return {
        "request": request,
        "principal": principal,
        "language": language,
        "translations": translations_for(language.code, catalogue or catalogue_of(request)),
        "csrf_token": csrf_token_for(request),
        "sections": sections_for(principal),
        "current_section": section_at(request.url.path),
        "here": here(request),
        "sign_in_path": SIGN_IN_PATH,
        "sign_out_path": SIGN_OUT_PATH,
    }


def language_of(request: Request) -> Language:
    """The language this request is answered in (:func:`engraft.web.i18n.choose_language`), worked out once."""
    language = getattr(request.state, "language", None)
    if isinstance(language, Language):
        return language
    principal = principal_of(request)
    language = choose_language(
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        account=principal.locale if principal is not None else None,
        accept_language=request.headers.get("accept-language"),
    )
    request.state.language = language
    return language


def csrf_token_for(request: Request) -> str:
    """The session's CSRF token, for forms (hidden ``csrf_token`` field) and htmx (``X-CSRF-Token``, sent by
    engraft.js from the ``csrf-token`` meta tag); empty without a session. See :func:`engraft.api.auth.csrf_token`.
    """
    return csrf_token(request) or ""


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with the page context (:func:`page_context`) and ``context`` as an HTML response.

    Texts are translated with the catalogue of the template's folder first (:func:`catalogue_of`).
    """
    values = page_context(request, catalogue_of(request, template))
    if template.endswith((".html", ".xml")):  # autoescaped, as _page_gettext assumes
        values.update(_page_gettext(values["translations"]))
    if context:
        values.update(context)
    html = ENVIRONMENT.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


def _page_gettext(translations: Any) -> dict[str, Callable[..., str]]:
    """``_``, ``gettext``, ``ngettext`` and ``pgettext`` bound to one page's translations, for an autoescaped
    template.

    They do what Jinja's newstyle gettext does there (the translation marked safe, then ``%``-formatted with
    its variables escaped; ``num`` and ``context`` set as Jinja sets them), but they are plain functions:
    Jinja copies the whole template context for every call of a ``pass_context`` function made inside a loop
    or a block, which was a third of the patient page's rendering time."""

    def gettext(message: str, **variables: Any) -> str:
        return Markup(translations.gettext(message)) % variables

    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return Markup(translations.ngettext(singular, plural, num)) % variables

    def pgettext(msgctxt: str, message: str, **variables: Any) -> str:
        variables.setdefault("context", msgctxt)
        return Markup(translations.pgettext(msgctxt, message)) % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "pgettext": pgettext}


def translate(request: Request, message: str) -> str:
    """``message`` in the request's language (for Python code that builds text for a page)."""
    return str(translations_for(language_of(request).code, catalogue_of(request)).gettext(message))


ENVIRONMENT: Final = _build_environment()

__all__ = ["ENVIRONMENT", "Markup", "language_of", "render", "static_url", "translate"]
