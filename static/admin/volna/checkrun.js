/* Follow a check run: poll its JSON status (same origin) and reload when it ends.
   Without JavaScript the page refreshes itself through a <noscript> meta refresh. */
"use strict";
(function () {
  var root = document.getElementById("volna-run");
  if (!root || root.dataset.finished === "1") {
    return;
  }
  var bar = root.querySelector("progress");
  var percent = root.querySelector("[data-volna-progress]");
  var status = root.querySelector("[data-volna-status]");

  function show(state) {
    bar.value = state.progress;
    percent.textContent = state.progress + "%";
    status.textContent = state.status_label;
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
