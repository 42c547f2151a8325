/* briefgen: start Pagefind's search UI on the search page. Optional: every
   page reads without JavaScript, and the search page lists topics without it. */
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("search");
    if (!box) return;
    // Opened from the disk (file://), the browser will not load the index: say so, list the topics.
    if (typeof window.PagefindUI !== "function" || window.location.protocol === "file:") {
      var note = document.getElementById("search-unavailable");
      if (note) note.hidden = false;
      return;
    }
    var ui = new window.PagefindUI({
      element: "#search",
      showSubResults: true,
      showImages: false,
      showMetadata: true,
      resetStyles: false
    });
    // Pagefind labels its input with a title only; give it a real accessible name.
    var input = box.querySelector("input");
    if (input && !input.hasAttribute("aria-label")) input.setAttribute("aria-label", "Search the briefings");
    var q = new URLSearchParams(window.location.search).get("q");
    if (q && ui.triggerSearch) ui.triggerSearch(q);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
