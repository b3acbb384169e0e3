// Follows a background job: polls its status JSON, updates the progress bar and the status line, and on the job's
// own page reloads once the job has finished so that its result is shown. A separate file: the CSP allows no inline script.
(function () {
  "use strict";
  var section = document.getElementById("job");
  if (!section) { return; }
  var bar = document.getElementById("job-progress");
  var line = document.getElementById("job-state");
  var url = section.getAttribute("data-status-url");
  var finished = function (status) { return status === "succeeded" || status === "failed"; };
  if (finished(section.getAttribute("data-job-status"))) { return; }

  function describe(state) {
    if (state.status === "queued") {
      return state.attempts ? "Waiting for a worker (attempt " + (state.attempts + 1) + " of " + state.max_attempts +
        " after a failure)." : "Waiting for a worker.";
    }
    if (state.status === "running") {
      return "Running: " + state.done + " of " + (state.total || "?") + " proposals done.";
    }
    if (state.status === "succeeded") { return "Finished: " + (state.summary || ""); }
    return "Failed after " + state.attempts + " attempt(s); nothing was changed. " + (state.error || "");
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (state) {
        bar.max = state.total || 1;
        bar.value = state.total ? state.done : 0;
        bar.textContent = state.done + " of " + state.total;
        var text = describe(state);
        if (line.textContent !== text) { line.textContent = text; }
        if (finished(state.status)) {
          if (section.getAttribute("data-reload") === "1") {
            window.setTimeout(function () { window.location.reload(); }, 500);
          }
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
})();
