// accord crisis room: refresh the shared timeline every 10 s without reloading the page, so
// forms being filled in keep their input. The fragment is server-rendered and escaped.
(function () {
  "use strict";
  var panel = document.getElementById("timeline");
  if (!panel || !panel.dataset.src) {
    return;
  }
  window.setInterval(function () {
    fetch(panel.dataset.src, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { panel.innerHTML = html; } })
      .catch(function () { /* offline for a moment: try again next time */ });
  }, 10000);
})();
