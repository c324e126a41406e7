"""Five identical POSTs of the same page at the same moment, 200 times: one state each time, no 500.

A double click, a browser retrying a POST after a dropped connection, or several tabs all send the
same page again. Each of 200 respondents goes to a page (in turn the first, second, third and last
of the demo) and sends it five times at once from five threads; gunicorn's processes race to save it.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live.respondents import (
    PAGE_FORM_ID,
    Browser,
    Outcome,
    Reply,
    choose_answers,
    read_form,
    respondent_headers,
)

pytestmark = pytest.mark.integration

ROUNDS = 200
COPIES = 5
AT_ONCE = 4  # rounds in flight together (each with its five racing POSTs)
SECTIONS = ["consent_page", "background", "activism", "attitudes"]
# answers of the demo that show follow-up questions, replaced by ones that do not
QUIET = {("return_plan", "conditional"): "no", ("act_after", "rally"): "donate"}
FOLLOW_UPS = {"rally_freq"}  # shown only after "rally": not asked here, so not stored


class Round:
    """One respondent: pages answered normally up to ``raced``, which is then sent five times at once."""

    def __init__(self, stack, slug: str, index: int) -> None:
        self.slug = slug
        self.outcome = Outcome(index=index, marker=f"race-{index}-{random.randrange(1 << 30)}", language="en")
        self.browser = Browser(
            stack.web_port, respondent_headers(index), self.outcome, time.monotonic() + 120
        )
        self.rng = random.Random(index)
        self.raced = SECTIONS[index % len(SECTIONS)]
        self.replies: list[Reply] = []
        self.fields: list[tuple[str, str]] = []
        self.choices: list[str] = []

    def run(self) -> None:
        welcome = self.browser.request("GET", f"/s/{self.slug}/")
        started = self.browser.request(
            "POST", f"/s/{self.slug}/", list(read_form(welcome.body, None).hidden.items())
        )
        assert started.status == 302, started.status
        cookie = next(value for name, value in self.browser.cookies.items() if name.startswith("volna_"))
        self.outcome.response_id = cookie.split(":")[0]
        page = f"/s/{self.slug}/page/"
        while True:
            form = read_form(self.browser.request("GET", page).body, PAGE_FORM_ID)
            section = form.hidden["volna_section"]
            fields = [*self._answers(form), ("volna_action", "next")]
            if section == self.raced:
                self.fields = fields
                self.choices = [*form.choices, *form.checkboxes]
                self._race(page, fields)
                return
            reply = self.browser.request("POST", page, fields)
            assert reply.status == 302, (section, reply.status)
            self.outcome.sections.append(section)

    def _answers(self, form) -> list[tuple[str, str]]:
        # answers that show no new question on submit, so that every one of the five is accepted
        fields = choose_answers(form, self.outcome.marker, self.rng)
        return [(name, QUIET.get((name, value), value)) for name, value in fields]

    def _race(self, page: str, fields: list[tuple[str, str]]) -> None:
        barrier = threading.Barrier(COPIES)
        replies: list[Reply] = []

        def send() -> None:
            barrier.wait()
            replies.append(self.browser.request("POST", page, fields))

        threads = [threading.Thread(target=send) for _ in range(COPIES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.replies = replies


def _row(stack, response_id: str) -> tuple:
    rows = stack.postgres.query(
        "SELECT status, current_section, trail, answers FROM respondents_response WHERE id = %s",
        [response_id],
    )
    assert len(rows) == 1
    return rows[0]


def test_five_identical_posts_at_once_leave_one_state(stack):
    wave = stack.new_wave("Replays")
    rounds = [Round(stack, wave["slug"], index) for index in range(ROUNDS)]

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        list(pool.map(lambda one: one.run(), rounds))
    seconds = time.monotonic() - began

    statuses = Counter(reply.status for one in rounds for reply in one.replies)
    print(f"{ROUNDS} rounds of {COPIES} identical POSTs in {seconds:.1f} s: {dict(statuses)}")
    assert statuses == {302: ROUNDS * COPIES}  # every copy accepted: none refused, none a 500
    for one in rounds:
        last = one.raced == SECTIONS[-1]
        expected_location = "/thanks/" if last else "/page/"
        assert {reply.location.split("/")[-2] for reply in one.replies} == {expected_location.strip("/")}
        status, current, trail, answers = _row(stack, one.outcome.response_id)
        assert trail == [*one.outcome.sections, one.raced]  # the page once in the trail
        if last:
            assert (status, current) == ("completed", one.raced)
        else:
            assert (status, current) == ("in_progress", SECTIONS[SECTIONS.index(one.raced) + 1])
        sent = dict(one.fields)
        assert set(one.choices) - FOLLOW_UPS <= set(answers)  # the raced page's answers are stored...
        for name, value in answers.items():  # ...as they were sent
            assert name not in sent or str(value) == sent[name] or value == [sent[name]], (name, value)
    rows = stack.postgres.query("SELECT count(*) FROM respondents_response WHERE wave_id = %s", [wave["id"]])
    assert rows == [(ROUNDS,)]  # one response per respondent, whatever it sent
