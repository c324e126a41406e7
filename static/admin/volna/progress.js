/* Follow a background job (a check run or an export): poll its JSON status (same origin), show the
   percent (and rows, when the page has a rows line), reload when it ends.
   Without JavaScript the page refreshes itself through a <noscript> meta refresh. */
"use strict";
(function () {
  var root = document.querySelector("[data-status-url]");
  if (!root || root.dataset.finished === "1") {
    return;
  }
  var bar = root.querySelector("progress");
  var percent = root.querySelector("[data-volna-progress]");
  var status = root.querySelector("[data-volna-status]");
  var rows = root.querySelector("[data-volna-rows]");

  function show(state) {
    bar.value = state.progress;
    bar.setAttribute("aria-valuenow", String(state.progress));
    percent.textContent = state.progress + "%";
    status.textContent = state.status_label;
    if (rows && rows.dataset.template) {
      rows.textContent = rows.dataset.template
        .replace("__done__", String(state.rows_done))
        .replace("__total__", String(state.rows_total));
    }
  }

  function poll() {
    fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
