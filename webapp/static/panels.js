/* NerveTrack patient page: the server-drawn SVG panels are the first view. A panel's
   interactive plotly.js view loads only when the clinician opens it and it is on screen
   (IntersectionObserver), so plotly.js (about 1 MB) never delays the first paint.
   No inline scripts anywhere (CSP script-src 'self'); plotly.js is served from our domain. */
(function () {
  "use strict";

  var root = document.getElementById("panels");
  if (!root) {
    return;
  }
  var loading = null;  /* one request for plotly.js, however many panels open */
  var observer = null;

  function loadPlotly() {
    if (window.Plotly) {
      return Promise.resolve(window.Plotly);
    }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = root.getAttribute("data-plotly-src");
        script.addEventListener("load", function () { resolve(window.Plotly); });
        script.addEventListener("error", function () {
          loading = null;
          reject(new Error("plotly.js did not load"));
        });
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function figureOf(target) {
    var source = document.getElementById(target.getAttribute("data-figure"));
    return JSON.parse(source.textContent);
  }

  function draw(target) {
    if (target.getAttribute("data-state")) {
      return;
    }
    var panel = target.closest("figure.panel");
    target.setAttribute("data-state", "loading");
    target.textContent = "Loading the interactive view…";
    loadPlotly().then(function (Plotly) {
      var figure = figureOf(target);
      target.textContent = "";
      return Plotly.newPlot(target, figure.data || [], figure.layout || {}, figure.config || {});
    }).then(function () {
      target.setAttribute("data-state", "drawn");
    }, function () {
      /* back to the server-drawn chart, which shows the same data */
      panel.classList.remove("is-open");
      target.removeAttribute("data-state");
      target.textContent = "The interactive view could not load; the chart above shows the same data.";
    });
  }

  function watch(target) {
    if (observer) {
      observer.observe(target);
    } else {
      draw(target);
    }
  }

  if ("IntersectionObserver" in window) {
    observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      });
    }, {rootMargin: "200px 0px"});
  }

  function onToggle(event) {
    var details = event.target;
    var panel = details.closest("figure.panel");
    var target = details.querySelector("[data-figure]");
    panel.classList.toggle("is-open", details.open);
    if (details.open && target) {
      watch(target);
    }
    if (window.Plotly && details.open && target.getAttribute("data-state") === "drawn") {
      window.Plotly.Plots.resize(target);
    }
  }

  var all = root.querySelectorAll("details.live");
  for (var i = 0; i < all.length; i += 1) {
    all[i].addEventListener("toggle", onToggle);
  }

  var openAll = document.getElementById("open-all");
  if (openAll && all.length) {
    openAll.parentNode.hidden = false;
    openAll.addEventListener("click", function () {
      var open = openAll.getAttribute("data-open") !== "true";
      openAll.setAttribute("data-open", open ? "true" : "false");
      openAll.textContent = open ? "Close every interactive view" : "Open every interactive view";
      for (var j = 0; j < all.length; j += 1) {
        all[j].open = open;  /* each opened view draws when it scrolls into view */
      }
    });
  }
}());
