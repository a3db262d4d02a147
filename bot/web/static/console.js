// Agenda and hand-off queue: refresh every 15 s while the page is visible and no one is typing.
(function () {
  "use strict";
  setInterval(function () {
    var typing = document.activeElement && /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName);
    if (document.visibilityState === "visible" && !typing) { window.location.reload(); }
  }, 15000);
})();
