"""static/volna/relevant.js agrees with the server: the same answers to the same ASTs, and the same pages
shown and hidden. Runs the script in Node.js (no browser): the evaluator directly, and the page logic on
the real rendered page through a minimal DOM built from its HTML."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from respondents import flow
from respondents.forms import render_page_html
from surveys import expressions
from tests.respondents.conftest import page_form, section_of

NODE = shutil.which("node")
RELEVANT_JS = Path(__file__).resolve().parents[2] / "static" / "volna" / "relevant.js"
pytestmark = [
    pytest.mark.skipif(NODE is None, reason="needs Node.js (`node`) to run static/volna/relevant.js"),
    pytest.mark.usefixtures("fresh_cache", "english"),
]

ANSWERS = {
    "age": 34,
    "height": 1.75,
    "name": "  Ann ",
    "langs": ["uk", "ru"],
    "consent": "yes",
    "born": "1990-05-17",
    "moved": "2022-03-01",
    "zero": 0,
    "flag": True,
    "empty": "",
    "nothing": None,
    "code": "18",
}
EXPRESSIONS = [
    "${age} >= 18",
    "${age} = '34'",
    "${code} = 18",
    "${code} = ${age} - 16",
    "${missing} = ''",
    "${missing} > 3",
    "${missing} != 3",
    "${consent} = 'yes' and selected(${langs}, 'uk')",
    "not(selected(${langs}, 'en')) or ${age} < 10",
    "count-selected(${langs}) = 2",
    "selected-at(${langs}, 1) = 'ru'",
    "selected-at(${langs}, 5)",
    "string-length(${name}) = 6",
    "string-length('Привет') = 6",
    "normalize-space(${name}) = 'Ann'",
    "concat(${name}, 'x', 1.5, true()) = '  Ann x1.5true'",
    "contains(${name}, 'nn') and starts-with('abc', 'ab') and ends-with('abc', 'bc')",
    "${height} * 100 = 175",
    "${age} div 0 > 1000",
    "0 div 0 = 0 div 0",
    "-1 div 0 < 0",
    "${age} mod 5 = 4",
    "-7 mod 3 = -1",
    "7 mod 0 = 7 mod 0",
    "-${age} = -34",
    "if(${age} > 30, 'old', 'young') = 'old'",
    "if(${missing}, 1, 0)",
    "coalesce(${missing}, 'x') = 'x'",
    "coalesce(${consent}, 'x') = 'yes'",
    "regex(${name}, '^ +A')",
    "regex(${consent}, '[')",
    "regex('abc', 'B')",
    "${born} < ${moved}",
    "date(${born}) = date('1990-05-17')",
    "date(${moved}) - date(${born}) > 365 * 30",
    "date('2024-02-30') = 1",
    "date(0) = '1970-01-01'",
    "string(date(19000)) = '2022-01-08'",
    "today() > date('2020-01-01')",
    "today() - ${moved} > 0",
    "number('12') + number(' 3 ') = 15",
    "number('abc') = number('abc')",
    "number('1e3') > 0",
    "boolean('false') and not(boolean(''))",
    "${flag} = true()",
    "${flag} = 'yes'",
    "${zero} = false()",
    "${zero}",
    "${empty} or ${nothing}",
    "true() and not(false())",
    "int(-2.7) = -2 and floor(-2.5) = -3 and ceiling(2.1) = 3 and abs(-4) = 4",
    "round(2.675, 2) = 2.68",
    "round(-2.5) = -3",
    "round(1234.5678, -2) = 1200",
    "round(1.005, 2) = 1.01",
    "string(1 div 3) = '0.3333333333333333'",
    "string(100000000000000000000) = '100000000000000000000'",
    "string(0.0000001) = '0.0000001'",
    "string(${height}) = '1.75'",
    "string(${langs}) = 'uk ru'",
    "1 + 2 * 3 = 7 and (1 + 2) * 3 = 9",
    "'10' < '9'",
    "'b' > 'a'",
]


def _node(script: str, stdin: str, tmp_path: Path) -> Any:
    path = tmp_path / "run.js"
    path.write_text(script, encoding="utf-8")
    finished = subprocess.run(
        [NODE, str(path)], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


def test_the_javascript_evaluator_agrees_with_the_python_one(tmp_path):
    cases = [expressions.to_json(expressions.parse(source)) for source in EXPRESSIONS]
    script = f"""
const relevant = require({json.dumps(str(RELEVANT_JS))});
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(input.cases.map(ast => relevant.isTrue(ast, input.answers))));
"""
    in_javascript = _node(script, json.dumps({"cases": cases, "answers": ANSWERS}), tmp_path)

    in_python = [flow.is_true(ast, ANSWERS) for ast in cases]
    disagreements = [
        (source, python, javascript)
        for source, python, javascript in zip(EXPRESSIONS, in_python, in_javascript, strict=True)
        if python != javascript
    ]
    assert disagreements == []
    assert in_python.count(True) > 20 and in_python.count(False) > 5  # the cases exercise both outcomes


# -- the page logic on a rendered page --------------------------------------------------------------------


class _Tree(HTMLParser):
    """The rendered HTML as a JSON tree [tag, attrs, children]; text is kept only where it is data."""

    VOID = {"input", "br", "meta", "link", "img", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.root: list[Any] = ["#root", {}, []]
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = [tag, {name: "" if value is None else value for name, value in attrs}, []]
        self.stack[-1][2].append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        while len(self.stack) > 1:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack[-1][0] in ("script", "textarea", "option"):
            self.stack[-1][2].append(data)


MINI_DOM = r"""
// Just enough DOM for relevant.js: elements, attributes, closest(), querySelectorAll() with the selectors
// it uses, form control values, hidden, and events.
class El {
  constructor(tag, attrs, parent) {
    this.tagName = tag.toUpperCase(); this.attrs = attrs; this.parentElement = parent; this.children = [];
    this.text = ""; this.handlers = {}; this.hidden = "hidden" in attrs;
    this.name = attrs.name || ""; this.type = attrs.type || (tag === "select" ? "select-one" : "");
    this.step = attrs.step || ""; this.checked = "checked" in attrs; this._value = attrs.value;
  }
  getAttribute(name) { return name in this.attrs ? this.attrs[name] : null; }
  get value() {
    if (this.tagName === "SELECT") {
      const options = this.all().filter(e => e.tagName === "OPTION");
      const chosen = options.find(o => "selected" in o.attrs) || options[0];
      return this._value !== undefined ? this._value : (chosen ? (chosen.attrs.value ?? chosen.text) : "");
    }
    if (this.tagName === "TEXTAREA") return this._value !== undefined ? this._value : this.text;
    return this._value === undefined ? "" : this._value;
  }
  set value(v) { this._value = v; }
  get textContent() { return this.text; }
  all() {
    const out = [];
    const walk = e => e.children.forEach(c => { out.push(c); walk(c); });
    walk(this);
    return out;
  }
  matches(selector) { return selector.split(",").some(s => matchOne(this, s.trim())); }
  closest(selector) {
    for (let e = this; e && e.tagName !== "#ROOT"; e = e.parentElement) if (e.matches(selector)) return e;
    return null;
  }
  querySelectorAll(selector) { return this.all().filter(e => e.matches(selector)); }
  querySelector(selector) { return this.querySelectorAll(selector)[0] || null; }
  addEventListener(type, handler) { (this.handlers[type] = this.handlers[type] || []).push(handler); }
  dispatch(type) {
    for (let e = this; e; e = e.parentElement) (e.handlers[type] || []).forEach(h => h({target: this}));
  }
  focus() { global.focused = this; }
}
function matchOne(el, selector) {
  const m = /^([a-z]*)(?:\[([a-z-]+)(?:(\^?=)'?([^'\]]*)'?)?\])?$/.exec(selector);
  if (!m) throw new Error("selector not supported: " + selector);
  if (m[1] && el.tagName !== m[1].toUpperCase()) return false;
  if (!m[2]) return true;
  const v = el.getAttribute(m[2]);
  if (v === null) return false;
  return !m[3] || (m[3] === "=" ? v === m[4] : v.startsWith(m[4]));
}
function build(node, parent) {
  if (typeof node === "string") { parent.text += node; return; }
  const el = new El(node[0], node[1], parent);
  node[2].forEach(child => build(child, el));
  if (parent) parent.children.push(el);
  return el;
}
"""

HARNESS = r"""
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const root = build(input.tree, null);
global.document = { getElementById: id => root.all().find(e => e.attrs.id === id) || null };
// as a browser runs it: not as a CommonJS module (that path only exports the evaluator)
require("vm").runInThisContext(require("fs").readFileSync(RELEVANT, "utf8"));
const byId = id => root.all().find(e => e.attrs.id === id);
const wrapper = name => root.querySelector(`[data-volna-question=${name}]`);
const states = [];
const record = () => states.push({
  hidden: root.querySelectorAll("[data-volna-question]").filter(e => e.hidden)
    .map(e => e.attrs["data-volna-question"]),
  shown: root.querySelector("input[name=volna_shown]").value,
});
record();
for (const [id, property, value] of input.steps) {
  const el = byId(id);
  if (property === "checked" && el.type === "radio") {
    root.querySelectorAll(`input[name=${el.name}]`).forEach(r => r.checked = false);
  }
  el[property] = value;
  el.dispatch("change");
  record();
}
process.stdout.write(JSON.stringify(states));
"""


def _page_states(form, steps: list[tuple[str, str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    logic = json.dumps(form.logic())
    html = (
        f'<form><input type="hidden" name="volna_shown" value="{form.shown_value}">'
        f'<script id="volna-logic" type="application/json">{logic}</script>{render_page_html(form)}</form>'
    )
    parser = _Tree()
    parser.feed(html)
    script = MINI_DOM + HARNESS.replace("RELEVANT", json.dumps(str(RELEVANT_JS)))
    return _node(script, json.dumps({"tree": parser.root, "steps": steps}), tmp_path)


def test_answers_on_the_page_show_and_hide_questions_as_the_server_would(snapshot, tmp_path):
    chained = copy.deepcopy(snapshot)
    questions = {q["name"]: q for q in section_of(chained)["questions"]}
    questions["height"]["relevant_ast"] = expressions.to_json(expressions.parse("${children} > 2"))
    questions["born"]["relevant_ast"] = expressions.to_json(expressions.parse("${height} >= 1.5"))
    questions["grid"]["items"][1]["relevant_ast"] = expressions.to_json(
        expressions.parse("${grid_a} = 'agree'")
    )
    questions["mood"]["relevant_ast"] = expressions.to_json(
        expressions.parse("selected(${colours}, 'red') and ${colour} = 'other'")
    )
    questions["rank"]["relevant_ast"] = expressions.to_json(expressions.parse("${comment} != ''"))
    form = page_form(chained, answers={"age": 12})

    states = _page_states(
        form,
        [
            ("id_consent_0", "checked", True),  # 1: why_yes appears
            ("id_consent_1", "checked", True),  # 2: and goes again
            ("id_children", "value", "3"),  # 3: height appears, born still hidden
            ("id_height", "value", "1,8"),  # 4: born appears
            ("id_children", "value", "2"),  # 5: height hides, so born hides too
            ("id_grid_a_2", "checked", True),  # 6: the second matrix row appears
            ("id_colours_0", "checked", True),  # 7: mood needs both answers
            ("id_colour", "value", "other"),  # 8: now mood appears
            ("id_comment", "value", "  "),  # 9: blank text is no answer: rank stays hidden
            ("id_comment", "value", "hi"),  # 10: rank appears
        ],
        tmp_path,
    )

    always_hidden = ["adult_only"]
    hidden = [sorted(set(state["hidden"]) - set(always_hidden)) for state in states]
    assert states[0]["shown"] == form.shown_value  # the script starts where the server left off
    assert hidden == [
        ["born", "grid_b", "height", "mood", "rank", "why_yes"],
        ["born", "grid_b", "height", "mood", "rank"],
        ["born", "grid_b", "height", "mood", "rank", "why_yes"],
        ["born", "grid_b", "mood", "rank", "why_yes"],
        ["grid_b", "mood", "rank", "why_yes"],
        ["born", "grid_b", "height", "mood", "rank", "why_yes"],
        ["born", "height", "mood", "rank", "why_yes"],
        ["born", "height", "mood", "rank", "why_yes"],
        ["born", "height", "rank", "why_yes"],
        ["born", "height", "rank", "why_yes"],
        ["born", "height", "why_yes"],
    ]
    assert "adult_only" in states[-1]["hidden"]  # age 12, from an earlier page
    final_shown = states[-1]["shown"].split(",")
    assert "rank" in final_shown and "grid_b" in final_shown and "why_yes" not in final_shown


def test_the_server_agrees_with_the_script_on_what_is_shown(snapshot, tmp_path):
    form = page_form(snapshot, answers={"age": 30})
    states = _page_states(form, [("id_consent_0", "checked", True)], tmp_path)
    posted = page_form(snapshot, {"consent": "yes", "volna_shown": states[-1]["shown"]}, answers={"age": 30})

    posted.is_valid()

    assert states[-1]["shown"] == posted.shown_value
    assert posted.newly_shown() == []
