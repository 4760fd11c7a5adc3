// Permalinks across the pages of a split topic. A link such as topics/<slug>/#<paper id>
// (or an old link to a page the paper has since moved off) lands on a page without that
// anchor; the topic's anchors.json says which page has it, and we go there.
// Without JavaScript the page still works; the link just shows the topic's first page.
(function () {
  "use strict";

  function follow() {
    var marker = document.querySelector("[data-anchors]");
    var id = decodeURIComponent(location.hash.slice(1));
    if (!marker || !id || document.getElementById(id)) return;
    var map = new URL(marker.getAttribute("data-anchors"), location.href);
    fetch(map)
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (pages) {
        var page = Object.prototype.hasOwnProperty.call(pages, id) ? pages[id] : 0;
        if (!page) return;
        var target = new URL(page === 1 ? "./" : "page-" + page + "/", map);
        target.hash = id;
        if (target.pathname !== location.pathname) location.replace(target.href);
      })
      .catch(function () {});
  }

  // Material's instant navigation swaps pages without reloading: document$ tells us when.
  if (typeof document$ !== "undefined") {
    document$.subscribe(follow);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", follow);
  } else {
    follow();
  }
  window.addEventListener("hashchange", follow);
})();
