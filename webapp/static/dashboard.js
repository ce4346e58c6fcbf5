/* NerveTrack dashboards: draw every figure shipped as JSON in <script type="application/json">.
   No inline scripts anywhere (CSP script-src 'self'); plotly.js is served from our own domain. */
(function () {
  "use strict";

  function drawFigure(target) {
    var source = document.getElementById(target.getAttribute("data-figure"));
    if (!source) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(target, figure.data || [], figure.layout || {}, figure.config || {});
  }

  function drawAll() {
    if (!window.Plotly) {
      return; /* the tables below each chart still carry every number */
    }
    var targets = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < targets.length; i += 1) {
      drawFigure(targets[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
}());
