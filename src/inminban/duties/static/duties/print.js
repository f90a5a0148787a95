// A button marked data-print prints the page (a script file, not an inline handler: the CSP allows no inline code).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () {
    window.print();
  });
});
