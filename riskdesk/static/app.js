// Progressive enhancement only: every page works without this file (CSP allows scripts from 'self' only).
(function () {
  "use strict";

  // Land on the error summary (or an action's error) so keyboard and screen-reader users hear it first.
  function focusFirstProblem() {
    if (document.querySelector("[autofocus]")) return;
    var summary = document.getElementById("error-summary") || document.getElementById("action-error");
    if (summary) summary.focus();
  }

  // A link in the error summary moves the focus to its field, not only the scroll position.
  function linkSummaryToFields() {
    document.querySelectorAll("#error-summary a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) return;
        event.preventDefault();
        var control = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
        target.scrollIntoView({block: "center"});
        (control || target).focus();
      });
    });
  }

  // Ask before a decision that needs care: approving over a legal prohibition (the server checks too).
  function confirmDecisions() {
    var form = document.querySelector("#decision form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      var status = form.querySelector("[name=to_status]");
      var confirmBox = form.querySelector("[name=confirm_prohibition]");
      if (confirmBox && confirmBox.checked && status && status.value.indexOf("approved") === 0 &&
          !window.confirm("A legal prohibition applies. Record this approval anyway?")) {
        event.preventDefault();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstProblem();
    linkSummaryToFields();
    confirmDecisions();
  });
})();
