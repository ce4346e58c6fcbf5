/* The printable trial table's Print button (no inline handlers: CSP script-src 'self'). */
(function () {
  "use strict";
  var button = document.getElementById("print-table");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
}());
