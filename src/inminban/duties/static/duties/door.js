// Door to door: a tap on a household's card posts in the background and the server's new card takes the old one's
// place, so the list neither reloads nor moves, and the confirmation (with its undo button) appears where the thumb
// is. Without this script the same forms post normally and the page comes back at the card's anchor.
(function () {
  "use strict";
  var list = document.querySelector("[data-door-list]");
  if (!list || !window.fetch || !window.FormData) {
    return;
  }
  var live = document.getElementById("door-live");

  function say(text) {
    if (live) {
      live.textContent = "";
      live.textContent = text;
    }
  }

  function failed(card, form) {
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = false;
    });
    var note = card.querySelector(".door-message");
    if (!note) {
      note = document.createElement("p");
      note.tabIndex = -1;
      card.insertBefore(note, card.children[1] || null);
    }
    note.className = "door-message error";
    note.textContent = list.getAttribute("data-failed");
    say(note.textContent);
  }

  function put(card, html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var fresh = template.content.querySelector("[data-door-card]");
    var summary = template.content.querySelector("#door-summary");
    if (!fresh) {
      return false;
    }
    var top = card.getBoundingClientRect().top;
    card.replaceWith(fresh);
    // The card keeps its place on the screen even if it grew or shrank.
    var moved = fresh.getBoundingClientRect().top - top;
    if (moved) {
      window.scrollBy(0, moved);
    }
    // A card that grew past the bottom of the screen is brought just into view, never further.
    var box = fresh.getBoundingClientRect();
    if (box.bottom > window.innerHeight && box.height < window.innerHeight) {
      window.scrollBy(0, box.bottom - window.innerHeight + 8);
    }
    var oldSummary = document.getElementById("door-summary");
    if (summary && oldSummary) {
      oldSummary.replaceWith(summary);
    }
    var message = fresh.querySelector(".door-message");
    if (message) {
      say(message.textContent);
      message.focus({ preventScroll: true });
    }
    return true;
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-door]")) {
      return;
    }
    var card = form.closest("[data-door-card]");
    event.preventDefault();
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = true;
    });
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (response.headers.get("X-Door-Card") !== "1") {
          // Not a card (the session ended, the page is gone): let the browser show what the server says.
          form.submit();
          return null;
        }
        return response.text().then(function (html) {
          if (!put(card, html)) {
            failed(card, form);
          }
        });
      })
      .catch(function () {
        failed(card, form);
      });
  });
})();
