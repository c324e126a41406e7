"""Simulated respondents: each one answers a wave over HTTP the way a browser without JavaScript does.

A respondent opens the welcome page, presses Start, then on each page reads the form (hidden inputs,
CSRF token, the questions), chooses valid answers and presses Next until the thank-you page. It
keeps its cookies (the CSRF cookie, the signed cookie naming its response) as a browser would, and
types a random marker into every free-text question, so that its row can be found in the database
without the server ever telling it anything a browser is not told.

A 503 (or a dropped connection) is retried after a short pause, as a person pressing Next again
would; everything else that is not the expected answer is recorded as a violation. A page the server
accepted (302) must never come back: that would be a 200 without a commit.
"""

from __future__ import annotations

import http.client
import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

LOOPBACK = "127.0.0.1"
PAGE_FORM_ID = "volna-page"
THANKS_TEXT = "live test"  # in the thank-you text of the waves made by tests/live/ops.py
RETRY_PAUSE = 0.25
REQUEST_TIMEOUT = 30.0
MAX_PAGES = 12


class FormReader(HTMLParser):
    """The fields of one form of a page: hidden and text inputs, radios, checkboxes, selects, textareas.

    Submit buttons are left out: the harness adds ``volna_action`` itself, and a language button
    (``volna_lang``) would switch the language instead of moving on.
    """

    def __init__(self, form_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.hidden: dict[str, str] = {}
        self.text: dict[str, str] = {}  # name -> input type ("text", "number", "date", "textarea")
        self.choices: dict[str, list[str]] = {}  # radio and select options
        self.checkboxes: dict[str, list[str]] = {}
        self.bounds: dict[str, tuple[str | None, str | None]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = self.form_id is None or values.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = values.get("name", "")
        if tag == "input" and name:
            kind = values.get("type", "text")
            if kind == "hidden":
                self.hidden[name] = values.get("value", "")
            elif kind == "radio":
                self.choices.setdefault(name, []).append(values.get("value", ""))
            elif kind == "checkbox":
                self.checkboxes.setdefault(name, []).append(values.get("value", ""))
            elif kind not in ("submit", "button"):
                self.text[name] = kind
                self.bounds[name] = (values.get("min"), values.get("max"))
        elif tag == "textarea" and name:
            self.text[name] = "textarea"
        elif tag == "select" and name:
            self._select = name
            self.choices[name] = []
        elif tag == "option" and self._select and values.get("value"):
            self.choices[self._select].append(values["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Outcome:
    """What one simulated respondent did and saw: compared with the database afterwards."""

    index: int
    marker: str
    language: str
    response_id: str | None = None
    thanked: bool = False
    sections: list[str] = field(default_factory=list)  # pages accepted (302), in order
    posted: dict[str, dict[str, Any]] = field(default_factory=dict)  # section -> fields sent
    statuses: Counter = field(default_factory=Counter)
    retries: int = 0
    requests: int = 0
    unavailable: list[float] = field(default_factory=list)  # time.monotonic() of each 503
    violations: list[str] = field(default_factory=list)


class Browser:
    """One respondent's cookies and identifying headers, over fresh connections (gunicorn closes them)."""

    def __init__(
        self, port: int, headers: dict[str, str], outcome: Outcome, deadline: float, source: str | None = None
    ) -> None:
        self.port = port
        self.source = source
        self.headers = headers
        self.cookies: dict[str, str] = {}
        self.outcome = outcome
        self.deadline = deadline

    def request(self, method: str, path: str, fields: list[tuple[str, str]] | None = None) -> Reply:
        """One request, repeated after a pause while the answer is a 503 or the connection drops."""
        body = urlencode(fields).encode() if fields is not None else None
        while True:
            headers = dict(self.headers)
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            self.outcome.requests += 1
            try:
                reply = self._send(method, path, body, headers)
            except (OSError, http.client.HTTPException) as error:
                self.outcome.statuses[type(error).__name__] += 1
                self._pause(f"{method} {path}: {type(error).__name__}")
                continue
            self.outcome.statuses[reply.status] += 1
            if reply.status == 503:
                self.outcome.unavailable.append(time.monotonic())
                self._pause(f"{method} {path}: 503")
                continue
            return reply

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        connection = http.client.HTTPConnection(
            LOOPBACK,
            self.port,
            timeout=REQUEST_TIMEOUT,
            source_address=(self.source, 0) if self.source else None,
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    jar = SimpleCookie()
                    jar.load(value)
                    self.cookies.update({key: morsel.coded_value for key, morsel in jar.items()})
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        finally:
            connection.close()

    def _pause(self, why: str) -> None:
        if time.monotonic() > self.deadline:
            raise TimeoutError(f"still failing at the deadline: {why}")
        self.outcome.retries += 1
        time.sleep(RETRY_PAUSE + random.random() * RETRY_PAUSE)


def choose_answers(form: FormReader, marker: str, rng: random.Random) -> list[tuple[str, str]]:
    """Valid answers for every question on the page (the demo's required ones included)."""
    fields: list[tuple[str, str]] = list(form.hidden.items())
    for name, options in form.choices.items():
        if name == "consent":
            fields.append((name, "yes"))
        elif options:
            # "other"/"none" lead to follow-up questions or exclusive-choice rules: kept simple
            plain = [option for option in options if option not in ("other", "none")] or options
            fields.append((name, rng.choice(plain)))
    for name, options in form.checkboxes.items():
        plain = [option for option in options if option not in ("other", "none")]
        if plain:
            fields.append((name, rng.choice(plain)))
    for name, kind in form.text.items():
        if name == "website":  # the honeypot stays empty
            fields.append((name, ""))
        elif kind == "number":
            low, high = form.bounds.get(name, (None, None))
            fields.append((name, str(rng.randint(int(low or 1940), int(high or 2005)))))
        elif kind == "date":
            fields.append((name, "2000-01-01"))
        else:
            fields.append((name, marker))
    return fields


def read_form(html: str, form_id: str | None) -> FormReader:
    """The fields of the form ``form_id`` of a page (the page's only form when None)."""
    reader = FormReader(form_id)
    reader.feed(html)
    return reader


class Respondent:
    def __init__(
        self,
        *,
        port: int,
        slug: str,
        outcome: Outcome,
        headers: dict[str, str],
        deadline: float,
        source: str | None = None,
    ) -> None:
        self.slug = slug
        self.outcome = outcome
        self.browser = Browser(port, headers, outcome, deadline, source)
        self.rng = random.Random(outcome.marker)

    def violation(self, text: str) -> None:
        self.outcome.violations.append(text)

    def run(self) -> None:
        try:
            if self._start():
                self._answer_pages()
        except Exception as error:  # recorded, not raised: the harness reports every respondent
            self.violation(f"{type(error).__name__}: {error}")

    def _start(self) -> bool:
        welcome = f"/s/{self.slug}/"
        page = self.browser.request("GET", welcome)
        if page.status != 200:
            self.violation(f"welcome page answered {page.status}")
            return False
        form = read_form(page.body, None)
        started = self.browser.request("POST", welcome, [*form.hidden.items(), ("website", "")])
        if started.status != 302 or not started.location.endswith("/page/"):
            self.violation(f"Start answered {started.status} {started.location}")
            return False
        cookie = self.browser.cookies.get(
            next((n for n in self.browser.cookies if n.startswith("volna_")), "")
        )
        self.outcome.response_id = cookie.split(":", 1)[0] if cookie else None
        return True

    def _answer_pages(self) -> None:
        path = f"/s/{self.slug}/page/"
        for _page in range(MAX_PAGES):
            page = self.browser.request("GET", path)
            if page.status != 200:
                self.violation(f"page answered {page.status} {page.location}")
                return
            form = read_form(page.body, PAGE_FORM_ID)
            section = form.hidden.get("volna_section", "")
            if section in self.outcome.sections:
                self.violation(f"page {section} was accepted (302) but is shown again")
                return
            reply = self._submit(path, form, section)
            if reply is None:
                return
            self.outcome.sections.append(section)
            if reply.location.endswith("/thanks/"):
                self._thanks(reply.location)
                return
        self.violation(f"no thank-you page after {MAX_PAGES} pages")

    def _submit(self, path: str, form: FormReader, section: str) -> Reply | None:
        """POST the page until it is accepted; a page with errors or new questions is filled again."""
        for _attempt in range(3):
            fields = [*choose_answers(form, self.outcome.marker, self.rng), ("volna_action", "next")]
            reply = self.browser.request("POST", path, fields)
            if reply.status == 302 and reply.location.split("?")[0].endswith(("/page/", "/thanks/")):
                if "moved=1" in reply.location:
                    self.violation(f"page {section} was sent elsewhere: {reply.location}")
                    return None
                self.outcome.posted[section] = dict(fields)
                return reply
            if reply.status != 200:
                self.violation(f"POST of {section} answered {reply.status} {reply.location}")
                return None
            form = read_form(reply.body, PAGE_FORM_ID)  # errors or newly shown questions: answer them
        self.violation(f"page {section} not accepted after 3 submits")
        return None

    def _thanks(self, location: str) -> None:
        reply = self.browser.request("GET", location)
        if reply.status == 200 and THANKS_TEXT in reply.body:
            self.outcome.thanked = True
        else:
            self.violation(f"thank-you page answered {reply.status} {reply.location}")


@dataclass
class Run:
    outcomes: list[Outcome]
    seconds: float

    @property
    def requests(self) -> int:
        return sum(outcome.requests for outcome in self.outcomes)

    @property
    def statuses(self) -> Counter:
        total: Counter = Counter()
        for outcome in self.outcomes:
            total.update(outcome.statuses)
        return total

    @property
    def violations(self) -> list[str]:
        return [f"respondent {o.index}: {text}" for o in self.outcomes for text in o.violations]

    @property
    def thanked(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.thanked]

    def summary(self) -> str:
        return (
            f"{len(self.outcomes)} respondents, {len(self.thanked)} thanked, {self.requests} requests "
            f"in {self.seconds:.1f} s, statuses {dict(self.statuses)}, "
            f"retries {sum(o.retries for o in self.outcomes)}"
        )


def respondent_headers(index: int) -> dict[str, str]:
    """What reaches the site from a browser behind its reverse proxy: an address of its own (from the
    benchmarking range of RFC 2544, so that rate limits count each respondent apart), a language, an
    agent."""
    return {
        "X-Forwarded-For": f"198.18.{index // 256 % 256}.{index % 256}",
        "Accept-Language": "ru" if index % 10 < 7 else "en",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) volna-live-harness",
    }


def run_respondents(
    *,
    port: int,
    slug: str,
    count: int,
    concurrency: int | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
    seconds: float = 120.0,
    during: Any = None,
) -> Run:
    """``count`` respondents answering ``slug``, ``concurrency`` at a time (all at once by default).

    ``headers`` replace the per-respondent ones and ``source`` is the address they connect from (any
    of 127.0.0.0/8 works on Linux without configuration). ``during`` (a callable) runs in a thread of
    its own while they answer, to inject a fault; it is given the outcomes, filled in as they go, and
    joined before returning.
    """
    started = time.monotonic()
    deadline = started + seconds
    outcomes = [
        Outcome(index=index, marker=f"mk-{secrets.token_hex(8)}", language="") for index in range(count)
    ]
    queue = list(outcomes)
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                outcome = queue.pop(0)
            sent = headers or respondent_headers(outcome.index)
            outcome.language = sent.get("Accept-Language", "")
            Respondent(
                port=port, slug=slug, outcome=outcome, headers=sent, deadline=deadline, source=source
            ).run()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(concurrency or count)]
    fault_errors: list[BaseException] = []
    fault = None
    if during is not None:

        def inject() -> None:
            try:
                during(outcomes)
            except BaseException as error:  # re-raised in the test's thread below
                fault_errors.append(error)

        fault = threading.Thread(target=inject, daemon=True)
    for thread in threads:
        thread.start()
    if fault is not None:
        fault.start()
    for thread in threads:
        thread.join(timeout=max(deadline - time.monotonic(), 0) + REQUEST_TIMEOUT)
    if fault is not None:
        fault.join(timeout=60)
    if fault_errors:
        raise fault_errors[0]
    return Run(outcomes=outcomes, seconds=time.monotonic() - started)
