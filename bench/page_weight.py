"""Page weight of the respondent pages (DESIGN.md §6): HTML + CSS + JS under 60 KB compressed.

    .venv/bin/python bench/page_weight.py

Walks one respondent through the demo survey in each of its languages with Django's test client (DEBUG
off): the welcome page, every page of the questionnaire (and the background page shown back with
errors), the thanks page. For each page it fetches the stylesheets and scripts the page references, as
a browser would on a first visit, and gzips everything at level 9. It fails when a page is over budget,
when a page or a stylesheet refers to another origin, and when a web font appears anywhere.

Runs on a throw-away SQLite database in a temporary directory: the HTML does not depend on the database.
``measure_demo(client, slug)`` is what tests/respondents/test_page_weight.py calls.
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

BUDGET_BYTES = 60 * 1024
LANGUAGES = ("en", "ru")
FONT_FILE = re.compile(r"\.(?:woff2?|ttf|otf|eot)(?:[?#].*)?$", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
# Answers that take a respondent of the demo from each page to the next (the background page is also
# posted empty once, to weigh the page with its error summary).
DEMO_ANSWERS: dict[str, dict[str, str | list[str]]] = {
    "consent_page": {"consent": "yes"},
    "background": {
        "country": "GE",
        "departure": "spring_2022",
        "gender": "female",
        "birth_year": "1990",
        "education": "higher",
        "sector": "it",
        "finances": "car",
    },
    "activism": {"act_before": ["rally", "petition"], "act_after": ["donate"]},
    "attitudes": {
        "trust_emigrants": "4",
        "trust_stayed": "3",
        "politics_interest": "very",
        "return_plan": "no",
    },
}
# elements whose attribute the browser fetches on load (anchors and form actions are not fetched)
FETCHED = {
    ("link", "href"),
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "src"),
    ("source", "srcset"),
    ("iframe", "src"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
}


@dataclass
class Asset:
    url: str
    kind: str  # "css" or "js"
    raw_bytes: int
    gzip_bytes: int


@dataclass
class Page:
    name: str
    language: str
    html_raw_bytes: int
    html_gzip_bytes: int
    assets: list[Asset] = field(default_factory=list)

    @property
    def css_gzip_bytes(self) -> int:
        return sum(asset.gzip_bytes for asset in self.assets if asset.kind == "css")

    @property
    def js_gzip_bytes(self) -> int:
        return sum(asset.gzip_bytes for asset in self.assets if asset.kind == "js")

    @property
    def total_gzip_bytes(self) -> int:
        return self.html_gzip_bytes + self.css_gzip_bytes + self.js_gzip_bytes


@dataclass
class Report:
    pages: list[Page] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def heaviest(self) -> Page:
        return max(self.pages, key=lambda page: page.total_gzip_bytes)

    @property
    def within_budget(self) -> bool:
        return bool(self.pages) and not self.problems and self.heaviest.total_gzip_bytes < BUDGET_BYTES


class _Markup(HTMLParser):
    """What a page fetches, the inputs of its form, and any inline style (checked for fonts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fetched: list[tuple[str, str, dict[str, str]]] = []  # (tag, url, attributes)
        self.inputs: dict[str, str] = {}
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for name, value in attributes.items():
            if (tag, name) in FETCHED and value:
                for url in value.split(",") if name == "srcset" else [value]:
                    self.fetched.append((tag, url.strip().split(" ")[0], attributes))
            if name == "style":
                self.styles.append(value)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.inputs[attributes["name"]] = attributes.get("value", "")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def gzip_size(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=9, mtime=0))


def measure_demo(client: Any, slug: str, languages: tuple[str, ...] = LANGUAGES) -> Report:
    """Walk the demo wave ``slug`` in each language with ``client`` (a django.test.Client) and weigh it."""
    report = Report()
    for language in languages:
        client.cookies.clear()
        _walk(client, slug, language, report)
    return report


def _walk(client: Any, slug: str, language: str, report: Report) -> None:
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    welcome_url = f"/s/{slug}/"
    welcome = _get(client, welcome_url, headers, report, "welcome", language)
    if welcome is None:
        return
    started = _post(client, welcome_url, {**welcome.inputs, "website": ""}, headers)
    if started.status_code != 302:
        report.problems.append(f"{language}: Start answered {started.status_code}, not a redirect")
        return
    page_url = started["Location"]
    for _page in range(len(DEMO_ANSWERS) + 2):  # bounded: the demo has four pages
        section_page = _get(client, page_url, headers, report, "", language)
        if section_page is None:
            return
        section = section_page.inputs.get("volna_section", "")
        if section not in DEMO_ANSWERS:
            report.problems.append(f"{language}: page {section!r} is not one bench/page_weight.py can answer")
            return
        hidden = {name: value for name, value in section_page.inputs.items() if name != "website"}
        if section == "background":  # the same page once more, with its error summary
            errors = _post(client, page_url, {**hidden, "website": "", "volna_action": "next"}, headers)
            if errors.status_code == 200:
                _weigh(client, errors, page_url, report, "background (errors)", language)
            else:
                report.problems.append(f"{language}: an empty background page answered {errors.status_code}")
        answers = {**hidden, **DEMO_ANSWERS[section], "website": "", "volna_action": "next"}
        posted = _post(client, page_url, answers, headers)
        if posted.status_code != 302:
            report.problems.append(f"{language}: page {section} answered {posted.status_code} to its answers")
            return
        if posted["Location"] != page_url:
            _get(client, posted["Location"], headers, report, "thanks", language)
            return
    report.problems.append(f"{language}: the walk did not reach the thanks page")


def _post(client: Any, url: str, fields: dict[str, Any], headers: dict[str, str]) -> Any:
    """A form post as a browser sends it: URL-encoded (the respondent views refuse anything else)."""
    body = urlencode(fields, doseq=True)
    return client.post(url, body, content_type="application/x-www-form-urlencoded", **headers)


def _get(client: Any, url: str, headers: dict[str, str], report: Report, name: str, language: str) -> Any:
    reply = client.get(url, **headers)
    if reply.status_code != 200:
        report.problems.append(f"{language}: {name} ({url}) answered {reply.status_code}")
        return None
    return _weigh(client, reply, url, report, name, language)


def _weigh(client: Any, reply: Any, url: str, report: Report, name: str, language: str) -> _Markup:
    html = reply.content
    markup, fetched, problems = page_resources(html.decode("utf-8"), url)
    name = name or markup.inputs.get("volna_section", "?")  # a questionnaire page: its section
    page = Page(name=name, language=language, html_raw_bytes=len(html), html_gzip_bytes=gzip_size(html))
    report.pages.append(page)
    where = f"{language} {name}"
    report.problems += [f"{where}: {problem}" for problem in problems]
    page.assets += [_fetch(client, target, kind, where, report) for kind, target in fetched]
    return markup


def page_resources(html: str, url: str) -> tuple[_Markup, list[tuple[str, str]], list[str]]:
    """The page's markup, the (kind, URL) of each stylesheet and script it loads, and what breaks the rules.

    Rules: nothing loaded from another origin, no web font.
    """
    markup = _Markup()
    markup.feed(html)
    fetched: list[tuple[str, str]] = []
    problems = []
    if "@font-face" in html:
        problems.append("a web font (@font-face) in the page")
    page_url = f"http://testserver{url}"
    for style in markup.styles:  # <style> blocks and style attributes
        problems += [f"inline style: {problem}" for problem in stylesheet_problems(style, page_url)]
    for tag, reference, attributes in markup.fetched:
        target = urljoin(page_url, reference)
        if not _same_origin(target):
            problems.append(f"<{tag}> loads {reference} from another origin")
        elif FONT_FILE.search(reference) or attributes.get("as") == "font":
            problems.append(f"<{tag}> loads a web font ({reference})")
        elif (kind := _kind(tag, attributes)) is not None:
            fetched.append((kind, target))
    return markup, fetched, problems


def _kind(tag: str, attributes: dict[str, str]) -> str | None:
    if tag == "script":
        return "js"
    if tag == "link" and "stylesheet" in attributes.get("rel", "").split():
        return "css"
    return None  # images and icons: not part of the HTML + CSS + JS budget (still checked for origin)


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "data" or (parts.scheme == "http" and parts.netloc == "testserver")


def _fetch(client: Any, url: str, kind: str, where: str, report: Report) -> Asset:
    reply = client.get(urlsplit(url).path)
    # reading a streamed file to the end closes it (the test client then fires request_finished itself)
    content = b"".join(reply.streaming_content) if reply.streaming else reply.content
    if reply.status_code != 200:
        report.problems.append(f"{where}: {url} answered {reply.status_code}")
    if kind == "css":
        css = content.decode("utf-8", errors="replace")
        report.problems += [f"{where}: {problem}" for problem in stylesheet_problems(css, url)]
    return Asset(url=urlsplit(url).path, kind=kind, raw_bytes=len(content), gzip_bytes=gzip_size(content))


def stylesheet_problems(css: str, url: str) -> list[str]:
    """What in a stylesheet breaks the rules: a web font, anything it loads from another origin."""
    css = CSS_COMMENT.sub("", css)
    problems = []
    if "@font-face" in css:
        problems.append(f"{url} declares a web font (@font-face)")
    references = [
        next(group for group in match.groups() if group is not None) for match in CSS_URL.finditer(css)
    ]
    references += CSS_IMPORT.findall(css)
    for reference in references:
        target = urljoin(url, reference.strip())
        if not _same_origin(target):
            problems.append(f"{url} refers to {reference[:80]} on another origin")
        elif FONT_FILE.search(reference):
            problems.append(f"{url} refers to a font file {reference[:80]}")
    return problems


def markdown_table(report: Report) -> str:
    rows = [
        "| page | language | HTML | CSS | JS | total (gzip -9) | HTML raw |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for page in report.pages:
        rows.append(
            f"| {page.name} | {page.language} | {_kb(page.html_gzip_bytes)} | {_kb(page.css_gzip_bytes)} "
            f"| {_kb(page.js_gzip_bytes)} | {_kb(page.total_gzip_bytes)} | {_kb(page.html_raw_bytes)} |"
        )
    return "\n".join(rows)


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    import os

    with tempfile.TemporaryDirectory(prefix="volna-weight-") as scratch:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": f"sqlite:///{scratch}/weight.sqlite3",
                "REDIS_URL": "",  # the local-memory cache: nothing to share with a server
                "DEBUG": "0",
                "STATIC_MANIFEST": "0",
                "SECRET_KEY": "volna-bench-only-secret-key",
                "VOLNA_TOKEN_KEY": "volna-bench-only-token-key",
                "ALLOWED_HOSTS": "testserver",
                "VOLNA_PRIVATE_ROOT": f"{scratch}/private",
            }
        )
        import io

        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from surveys.models import Wave

        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_demo", password="volna-bench-only", stdout=io.StringIO())
        wave = Wave.objects.get(survey__slug="emigrants-2022", status=Wave.Status.OPEN)
        report = measure_demo(Client(), wave.slug)
    print(markdown_table(report))
    print()
    heaviest = report.heaviest if report.pages else None
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    if heaviest is not None:
        verdict = "within" if report.within_budget else "OVER"
        print(
            f"Heaviest page: {heaviest.name} ({heaviest.language}), {_kb(heaviest.total_gzip_bytes)} of "
            f"{_kb(BUDGET_BYTES)}: {verdict} budget; no third-party requests, no web fonts: "
            f"{'yes' if not report.problems else 'NO'}"
        )
    return 0 if report.within_budget else 1


if __name__ == "__main__":
    sys.exit(main())
