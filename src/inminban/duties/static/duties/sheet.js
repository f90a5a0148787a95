// The attendance sheet: a search box that filters persons and households by name or number, and "Whole household
// present" ticking every member of working age at once. Without this script the search box stays hidden and the
// "whole household" button saves the sheet with that household's members of working age marked present.
(function () {
  "use strict";
  var form = document.querySelector("form[data-sheet]");
  if (!form) {
    return;
  }
  var counter = form.querySelector("[data-count]");

  function count() {
    if (counter) {
      counter.textContent = String(form.querySelectorAll("input[name=person]:checked").length);
    }
  }

  form.addEventListener("change", count);

  form.querySelectorAll("[data-whole]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var household = button.closest("[data-household]");
      household.querySelectorAll(".check input[name=person]").forEach(function (box) {
        // Only those offered directly: anyone outside the working ages still needs their own tick and reason.
        if (!box.disabled && !box.closest(".sheet-outside")) {
          box.checked = true;
        }
      });
      count();
    });
  });

  var field = form.querySelector("[data-search-field]");
  var search = form.querySelector("[data-search]");
  var none = form.querySelector("[data-search-none]");
  if (!field || !search) {
    return;
  }
  field.hidden = false;
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault(); // searching is not saving
    }
  });
  search.addEventListener("input", function () {
    var words = search.value.trim().toLocaleLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    form.querySelectorAll("[data-household]").forEach(function (household) {
      var any = false;
      household.querySelectorAll("[data-person]").forEach(function (person) {
        var text = (person.getAttribute("data-name") || "").toLocaleLowerCase();
        var match = words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
        person.hidden = !match;
        any = any || match;
      });
      household.hidden = !any;
      shown += any ? 1 : 0;
    });
    if (none) {
      none.hidden = shown > 0;
    }
  });
})();
