// Forms with errors (web/_error_summary.html, the GOV.UK pattern): when the page loads, the focus moves to the first
// error summary, so a screen reader announces it and a keyboard starts there; a link in it moves the focus to the
// field it names, opening any <details> around it and scrolling its label into view. The page's title then starts
// with "Error:".
(function () {
  "use strict";

  function reveal(element) {
    for (let node = element; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
  }

  function focusField(target) {
    reveal(target);
    const input = target.matches("input, select, textarea, button")
      ? target
      : target.querySelector("input, select, textarea, button");
    const group = target.closest("fieldset");
    const label = (target.id && document.querySelector('label[for="' + CSS.escape(target.id) + '"]')) ||
      (group && group.querySelector("legend"));
    (input || target).focus({ preventScroll: true });
    (label || target).scrollIntoView({ block: "start" });
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    event.preventDefault();
    focusField(target);
  });

  function focusSummary() {
    const summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    reveal(summary);
    summary.focus();
    // The title says it first, as GOV.UK does: "Error: Log in · Inminban".
    const prefix = summary.dataset.titlePrefix;
    if (prefix && !document.title.startsWith(prefix)) document.title = prefix + " " + document.title;
  }

  // Once the page has loaded, and again after the browser has gone to the form's #anchor (which takes the focus
  // away), unless the person has already moved on to a field.
  document.addEventListener("DOMContentLoaded", focusSummary);
  window.addEventListener("load", function () {
    setTimeout(function () {
      if (document.activeElement === document.body || document.activeElement === null) focusSummary();
    }, 0);
  });
})();
