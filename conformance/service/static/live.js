// The live run page: follow /runs/RUN/events (server-sent events) and update the page in place.
// Without JavaScript the page reloads itself (a <noscript> refresh), so this is only a nicety.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.EventSource) { return; }
  var source = new EventSource(box.getAttribute("data-events"));
  function put(id, text) { var node = document.getElementById(id); if (node) { node.textContent = text; } }
  source.addEventListener("progress", function (event) {
    var p = JSON.parse(event.data);
    put("live-state", p.state);
    put("live-done", p.done + " of " + (p.total || "not yet known"));
    put("live-counts", p.counts.pass + " passed, " + p.counts.fail + " failed, " + p.counts.skip +
        " skipped, " + p.counts.error + " errors");
    put("live-last", p.last);
    put("live-message", p.message);
    if (p.state === "complete" || p.state === "aborted" || p.state === "failed") {
      source.close();
      if (p.state !== "failed") { window.location.assign(box.getAttribute("data-page")); }
    }
  });
}());
