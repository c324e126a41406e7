/* Volna: same-page conditions. Reads <script type="application/json" id="volna-logic"> ({rules: {name: AST},
   answers: {name: earlier answer}}), evaluates each rule as surveys/expressions does, shows or hides
   [data-volna-question] wrappers as the respondent answers, and keeps input[name=volna_shown] current.
   Without JavaScript the server does the same on submit. */
(function () {
  "use strict";
  var own = Object.prototype.hasOwnProperty, EPOCH = Date.UTC(1970, 0, 1), DAY = 864e5;
  var NUM = /^[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*$/;
  var ISO = /^[ \t\r\n]*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T[0-9:.+\-Z]*)?[ \t\r\n]*$/;
  var INT = /^[+-]?[0-9]+$/, DEC = /^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)$/;
  function Day(days) { this.d = days; }
  function fail(what) { throw new Error(what); }
  function isoDays(text) {
    var m = ISO.exec(text), t = new Date(0);
    if (!m || +m[1] < 1) return null;
    t.setUTCFullYear(+m[1], m[2] - 1, +m[3]);
    if (t.getUTCFullYear() !== +m[1] || t.getUTCMonth() !== m[2] - 1 || t.getUTCDate() !== +m[3]) return null;
    return Math.round((t.getTime() - EPOCH) / DAY);
  }
  function pad(n, width) { return ("000" + n).slice(-width); }
  function num(v) {
    if (typeof v === "number") return v;
    if (typeof v === "boolean") return v ? 1 : 0;
    if (v instanceof Day) return v.d;
    if (typeof v === "string") {
      if (NUM.test(v)) return parseFloat(v);
      var d = isoDays(v);
      return d === null ? NaN : d;
    }
    return NaN;
  }
  function fmt(n) {
    if (isNaN(n)) return "NaN";
    if (!isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
    if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? n.toFixed(0) : String(n);
    var s = String(n);
    return s.indexOf("e") < 0 ? s : n.toFixed(20).replace(/0+$/, "");
  }
  function str(v) {
    if (typeof v === "string") return v;
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") return fmt(v);
    if (v instanceof Day) {
      var t = new Date(EPOCH + v.d * DAY);
      return pad(t.getUTCFullYear(), 4) + "-" + pad(t.getUTCMonth() + 1, 2) + "-" + pad(t.getUTCDate(), 2);
    }
    return "";
  }
  function truthy(v) {
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return v !== 0 && !isNaN(v);
    if (typeof v === "string") return v.length > 0;
    return v != null;
  }
  function equal(a, b) {
    if (typeof a === "boolean" || typeof b === "boolean") return truthy(a) === truthy(b);
    if (typeof a === "number" || typeof b === "number" || a instanceof Day || b instanceof Day) return num(a) === num(b);
    return str(a) === str(b);
  }
  function fromAnswer(a) {  // a stored answer (code, list of codes, number, ISO date, text) to a run-time value
    if (a === null || a === undefined) return "";
    if (Array.isArray(a)) return a.map(function (x) { return str(fromAnswer(x)); }).join(" ");
    if (typeof a === "string" || typeof a === "number" || typeof a === "boolean") return a;
    return fail("answer");
  }
  function toDate(v) {
    if (v instanceof Day) return v;
    if (typeof v === "string") {
      if (!v.trim()) return "";
      var d = isoDays(v);
      return d === null ? fail("date") : new Day(d);
    }
    return typeof v === "boolean" || !isFinite(v) ? fail("date") : new Day(Math.floor(v));
  }
  function codes(v) { var s = str(v).trim(); return s ? s.split(/\s+/) : []; }
  function whole(f) { return function (a) { var n = num(a[0]); return isFinite(n) ? f(n) + 0 : n; }; }
  var FUNCTIONS = {
    "selected": function (a) { return codes(a[0]).indexOf(str(a[1]).trim()) >= 0; },
    "count-selected": function (a) { return codes(a[0]).length; },
    "selected-at": function (a) {
      var c = codes(a[0]), i = num(a[1]);
      return isFinite(i) && i >= 0 && i < c.length ? c[Math.trunc(i)] : "";
    },
    "string-length": function (a) { return Array.from(str(a[0])).length; },
    "regex": function (a) {
      var pattern;
      try { pattern = new RegExp(str(a[1]), "u"); } catch (e) { pattern = new RegExp(str(a[1])); }
      return pattern.test(str(a[0]));
    },
    "coalesce": function (a) { return str(a[0]) !== "" ? a[0] : a[1]; },
    "today": function () {
      var t = new Date();
      return new Day(Math.round((Date.UTC(t.getFullYear(), t.getMonth(), t.getDate()) - EPOCH) / DAY));
    },
    "date": function (a) { return toDate(a[0]); },
    "string": function (a) { return str(a[0]); },
    "number": function (a) { return num(a[0]); },
    "boolean": function (a) { return truthy(a[0]); },
    "not": function (a) { return !truthy(a[0]); },
    "true": function () { return true; },
    "false": function () { return false; },
    "concat": function (a) { return a.map(str).join(""); },
    "contains": function (a) { return str(a[0]).indexOf(str(a[1])) >= 0; },
    "starts-with": function (a) { return str(a[0]).startsWith(str(a[1])); },
    "ends-with": function (a) { return str(a[0]).endsWith(str(a[1])); },
    "normalize-space": function (a) { return str(a[0]).trim().split(/\s+/).join(" "); },
    "int": whole(Math.trunc), "floor": whole(Math.floor), "ceiling": whole(Math.ceil),
    "abs": function (a) { return Math.abs(num(a[0])); },
    "round": function (a) {  // half away from zero on the number as written, like the server
      var n = num(a[0]), places = a.length > 1 ? num(a[1]) : 0;
      if (isNaN(places)) return NaN;
      if (!isFinite(n) || Math.abs(n) >= 1e17) return n;
      places = Math.trunc(Math.max(-20, Math.min(20, places)));
      var scaled = Number(fmt(Math.abs(n)) + "e" + places);
      if (scaled >= 9007199254740992) return n;
      return (n < 0 ? -1 : 1) * Number(Math.round(scaled) + "e" + -places) + 0;
    }
  };
  var ARITHMETIC = {
    "<": function (x, y) { return x < y; }, "<=": function (x, y) { return x <= y; },
    ">": function (x, y) { return x > y; }, ">=": function (x, y) { return x >= y; },
    "+": function (x, y) { return x + y; }, "-": function (x, y) { return x - y; },
    "*": function (x, y) { return x * y; }, "div": function (x, y) { return x / y; },
    "mod": function (x, y) { return x % y; }
  };
  function evaluate(e, values) {
    if (typeof e === "number" || typeof e === "string") return e;
    if (!Array.isArray(e)) return fail("node");
    var tag = e[0];
    if (tag === "ref") return own.call(values, e[1]) ? values[e[1]] : "";
    if (tag === "cur") return "";
    if (tag === "neg") return -num(evaluate(e[1], values));
    if (tag === "op") {
      var op = e[1], left = evaluate(e[2], values);
      if (op === "and") return truthy(left) && truthy(evaluate(e[3], values));
      if (op === "or") return truthy(left) || truthy(evaluate(e[3], values));
      var right = evaluate(e[3], values);
      if (op === "=") return equal(left, right);
      if (op === "!=") return !equal(left, right);
      return own.call(ARITHMETIC, op) ? ARITHMETIC[op](num(left), num(right)) : fail(op);
    }
    if (tag === "call") {
      var args = e.slice(2);
      if (e[1] === "if") return evaluate(args[truthy(evaluate(args[0], values)) ? 1 : 2], values);
      if (!own.call(FUNCTIONS, e[1])) return fail(e[1]);
      return FUNCTIONS[e[1]](args.map(function (x) { return evaluate(x, values); }));
    }
    return fail(tag);
  }
  function isTrue(ast, values) {  // as respondents.flow.is_true: a failing expression is false
    try { return truthy(evaluate(ast, values)); } catch (e) { return false; }
  }
  function runtime(answers) {
    var values = Object.create(null);
    for (var name in answers) if (own.call(answers, name)) values[name] = fromAnswer(answers[name]);
    return values;
  }

  if (typeof module === "object" && module.exports) {  // tests run the evaluator in Node
    module.exports = { isTrue: function (ast, answers) { return isTrue(ast, runtime(answers)); },
      evaluate: function (ast, answers) { return str(evaluate(ast, runtime(answers))); } };
    return;
  }

  var summary = document.getElementById("volna-errors");
  if (summary) summary.focus();
  var block = document.getElementById("volna-logic"), form = block && block.closest("form");
  if (!form) return;
  var logic = JSON.parse(block.textContent), rules = logic.rules || {};
  var units = form.querySelectorAll("[data-volna-question]");
  var shownInput = form.querySelector("input[name=volna_shown]");

  function read(unit, values) {  // this unit's answers as the server would type them
    var ranks = {}, seen = {}, own_name = unit.getAttribute("data-volna-question");
    unit.querySelectorAll("input,select,textarea").forEach(function (c) {
      var name = c.name, colon = name.indexOf(":"), v = c.value.trim();
      if (!name || c.type === "hidden" || c.closest("[data-volna-question]") !== unit) return;
      if (colon > 0) {
        (ranks[name.slice(0, colon)] = ranks[name.slice(0, colon)] || []).push([v, name.slice(colon + 1)]);
      } else if (c.type === "checkbox" || c.type === "radio") {
        if (!seen[name]) values[name] = "";
        seen[name] = 1;
        if (c.checked) values[name] = values[name] ? values[name] + " " + v : v;
      } else if (c.type === "number") {
        values[name] = (c.step === "1" ? INT : DEC).test(v) ? Number(v.replace(",", ".")) : "";
      } else {
        values[name] = v;
      }
    });
    Object.keys(ranks).forEach(function (q) {  // codes by rank, when every option has its own rank
      var list = ranks[q], order = [], complete = true;
      list.forEach(function (pair) { if (/^[0-9]+$/.test(pair[0])) order[+pair[0] - 1] = pair[1]; });
      for (var i = 0; i < list.length; i++) complete = complete && !!order[i];
      values[q] = complete && order.length === list.length ? order.join(" ") : "";
    });
    var other = own_name + "_other";  // "other, specify" counts only when 'other' is chosen
    if (own.call(values, other) && codes(values[own_name]).indexOf("other") < 0) delete values[other];
  }

  function update() {
    var values = runtime(logic.answers || {}), shown = [];
    units.forEach(function (unit) {
      var name = unit.getAttribute("data-volna-question");
      var parent = unit.parentElement.closest("[data-volna-question]");
      var show = !(parent && parent.hidden) && (!own.call(rules, name) || isTrue(rules[name], values));
      unit.hidden = !show;
      if (show) { shown.push(name); read(unit, values); }
    });
    if (shownInput) shownInput.value = shown.join(",");
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
