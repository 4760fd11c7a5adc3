// Action Atlas, in plain JavaScript; every page works without it.
// 1. Permalinks across the pages of a split topic.
// 2. Filters and sorting on topic pages, kept in the query string so a view can be shared.
(function () {
  "use strict";
  // This script's address: the site's assets are beside it, wherever the site is served.
  var ASSETS = new URL("./", document.currentScript ? document.currentScript.src : location.href);

  // --- 1. Permalinks ---------------------------------------------------------------------
  // A link such as topics/<slug>/#<paper id> (or an old link to a page the paper has since
  // moved off) lands on a page without that anchor; the topic's anchors.json says which
  // page has it, and we go there. Without JavaScript the link shows the topic's first page.
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

  // --- 2. Filters and sorting ------------------------------------------------------------
  // The form is in the page, hidden (generator/pages.py: _filters); we show it. The state
  // lives in the controls and is mirrored in the URL: ?code=1&from=2024&to=2025&tag=survey
  // &sort=upvotes (defaults are left out; other parameters, such as search's ?h=, are kept).
  var KEYS = ["code", "from", "to", "tag", "sort"];

  function control(form, name) {
    return form.elements.namedItem(name);
  }

  // Sets a select to value if it offers it (a shared link may name a year this page lacks).
  function choose(select, value) {
    if (!select) return;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) {
        select.selectedIndex = i;
        return;
      }
    }
  }

  function setUpFilters() {
    var form = document.querySelector("form.atlas-filters");
    if (!form || form.hasAttribute("data-ready")) return;
    form.setAttribute("data-ready", "");
    var container = form.parentNode;
    var count = form.querySelector(".atlas-count");
    var onThisPage = document.querySelector("[data-anchors]") ? " on this page" : "";

    // The year groups as built (newest first): each heading with its papers.
    var groups = [];
    var articles = [];
    Array.prototype.forEach.call(container.children, function (el) {
      if (el.tagName === "H2" && el.id.indexOf("year_") === 0) {
        groups.push({ heading: el, articles: [], toc: tocEntries(el.id) });
      } else if (el.tagName === "ARTICLE" && el.classList.contains("paper") && groups.length) {
        groups[groups.length - 1].articles.push(el);
        articles.push(el);
      }
    });
    if (!groups.length) return; // a topic without papers: nothing to filter
    // "Skip to content" leads to the first year heading, which a filter may hide: lead it
    // to the filters instead, just above the papers.
    linksHere("a.md-skip", groups[0].heading.id).forEach(function (link) { link.hash = form.id; });
    var flat = null; // the container of the papers while they are sorted by upvotes

    function state() {
      var tag = control(form, "tag");
      return {
        code: control(form, "code").checked,
        from: control(form, "from").value,
        to: control(form, "to").value,
        tag: tag ? tag.value : "",
        sort: control(form, "sort").value,
      };
    }

    function query(s) {
      var params = new URLSearchParams(location.search);
      KEYS.forEach(function (key) { params.delete(key); });
      if (s.code) params.set("code", "1");
      if (s.from) params.set("from", s.from);
      if (s.to) params.set("to", s.to);
      if (s.tag) params.set("tag", s.tag);
      if (s.sort !== "date") params.set("sort", s.sort);
      var text = params.toString();
      return text ? "?" + text : "";
    }

    function matches(article, s) {
      // Years are four digits, so they compare as text; a reversed range still means the range.
      var low = s.from, high = s.to;
      if (low && high && low > high) { low = s.to; high = s.from; }
      var year = article.getAttribute("data-year");
      var tags = " " + article.getAttribute("data-tags") + " ";
      return (!s.code || article.getAttribute("data-code") === "1")
        && (!low || (year && year >= low))
        && (!high || (year && year <= high))
        && (!s.tag || tags.indexOf(" " + s.tag + " ") >= 0);
    }

    function arrange(sort) {
      if (sort === "upvotes") {
        // One flat list, most upvoted first; ties and papers without upvotes keep date order.
        if (!flat) {
          flat = document.createElement("div");
          flat.className = "atlas-sorted";
          container.insertBefore(flat, groups[0].heading);
        }
        articles
          .map(function (article, index) {
            var votes = article.getAttribute("data-upvotes");
            return { article: article, votes: votes === "" ? -1 : Number(votes), index: index };
          })
          .sort(function (a, b) { return b.votes - a.votes || a.index - b.index; })
          .forEach(function (item) { flat.appendChild(item.article); });
      } else if (flat) {
        // Back under their year headings, in the page's own order.
        groups.forEach(function (group) {
          var after = group.heading;
          group.articles.forEach(function (article) {
            after.parentNode.insertBefore(article, after.nextSibling);
            after = article;
          });
        });
        flat.remove();
        flat = null;
      }
    }

    function update() {
      var s = state();
      var shown = 0;
      articles.forEach(function (article) {
        article.hidden = !matches(article, s);
        if (!article.hidden) shown += 1;
      });
      arrange(s.sort);
      groups.forEach(function (group) {
        var hide = s.sort !== "date" || group.articles.every(function (a) { return a.hidden; });
        group.heading.hidden = hide;
        group.toc.forEach(function (entry) { entry.hidden = hide; });
      });
      var total = articles.length;
      count.textContent = shown + " of " + total + " paper" + (total === 1 ? "" : "s") + " shown" + onThisPage;
      var search = query(s);
      if (search !== location.search) {
        history.replaceState(history.state, "", location.pathname + search + location.hash);
      }
      // Material's instant navigation wrote the query of the page's load into every link:
      // a link within the page must not reload it with an old state. The other pages of a
      // split topic open with the same filters.
      Array.prototype.forEach.call(document.links, function (link) {
        var here = link.origin === location.origin && link.pathname === location.pathname;
        if ((here && link.hash) || link.closest(".atlas-pager")) link.search = search;
      });
    }

    var params = new URLSearchParams(location.search);
    control(form, "code").checked = params.get("code") === "1";
    choose(control(form, "from"), params.get("from") || "");
    choose(control(form, "to"), params.get("to") || "");
    choose(control(form, "tag"), params.get("tag") || "");
    choose(control(form, "sort"), params.get("sort") || "date");
    form.addEventListener("change", update);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.hidden = false;
    update();
  }

  // Links to a place on this page (Material makes every link absolute).
  function linksHere(selector, id) {
    return Array.prototype.filter.call(document.querySelectorAll(selector), function (link) {
      return link.pathname === location.pathname && link.hash === "#" + id;
    });
  }

  // The entries of a year heading in the page's tables of contents (hidden with the heading).
  function tocEntries(id) {
    return linksHere(".md-nav a", id)
      .map(function (link) { return link.parentNode; })
      .filter(function (item) { return item.tagName === "LI"; });
  }

  // --- 3. Names for what Material's templates leave unnamed (axe-core, WCAG 4.1.2) -----
  // The search dialog and the progress bar of instant navigation work only with JavaScript,
  // so naming them here reaches every reader who can use them. The footer's previous/next
  // links get the visible title as their name: Material escapes it once more in the label,
  // and our titles are HTML already (generator/pages.py: front_matter), so "&" read "&amp;".
  function nameUnnamed() {
    var search = document.querySelector('.md-search[role="dialog"]:not([aria-label])');
    if (search) search.setAttribute("aria-label", "Search");
    var progress = document.querySelector('.md-progress[role="progressbar"]:not([aria-label])');
    if (progress) progress.setAttribute("aria-label", "Loading the page");
    document.querySelectorAll(".md-footer__link[aria-label]").forEach(function (link) {
      var direction = link.querySelector(".md-footer__direction");
      var title = link.querySelector(".md-ellipsis");
      if (direction && title) {
        link.setAttribute("aria-label", direction.textContent.trim() + ": " + title.textContent.trim());
      }
    });
  }

  // --- 4. Search: Pagefind, one result per paper ----------------------------------------
  // A search button in the header opens a dialog; explore.js and Pagefind's index
  // fragments are fetched on first use only. Keys "/", "s" and "f" open it too (as in
  // Material). The explorer page (explore/) loads its own module.
  var searchDialog = null;

  function openSearch() {
    if (!searchDialog) {
      searchDialog = document.createElement("dialog");
      searchDialog.className = "atlas-search";
      searchDialog.setAttribute("aria-label", "Search the papers");
      searchDialog.innerHTML =
        '<form method="dialog" class="atlas-search-close"><button type="submit" aria-label="Close search">×</button></form>' +
        '<label class="atlas-search-prompt" for="atlas-search-input">Search titles, authors, arXiv ids, TL;DRs</label>' +
        '<input type="search" id="atlas-search-input" autocomplete="off" spellcheck="false">' +
        '<p class="atlas-count" role="status" aria-live="polite"></p>' +
        '<ol class="atlas-results"></ol>' +
        '<p><a class="atlas-search-more" href="' + new URL("../explore/", ASSETS).pathname + '">Filter and sort every paper in the explorer</a></p>';
      document.body.appendChild(searchDialog);
      var input = searchDialog.querySelector("input");
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          var first = searchDialog.querySelector(".atlas-results a");
          if (first) first.click();
        }
      });
      import(new URL("explore.js", ASSETS).href).then(function (module) {
        return module.searchBox(input, searchDialog.querySelector(".atlas-results"), searchDialog.querySelector(".atlas-count"));
      });
    }
    if (!searchDialog.open) searchDialog.showModal();
    searchDialog.querySelector("input").focus();
  }

  function setUpSearch() {
    var header = document.querySelector(".md-header__inner");
    if (!header || header.querySelector(".atlas-search-button")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "atlas-search-button md-header__button";
    button.setAttribute("aria-label", "Search the papers");
    button.setAttribute("aria-keyshortcuts", "/ s f");
    button.innerHTML = '<span aria-hidden="true">⌕</span><span class="atlas-search-label">Search</span>';
    button.addEventListener("click", openSearch);
    var source = header.querySelector(".md-header__source");
    header.insertBefore(button, source);
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/" || event.key === "s" || event.key === "f") {
      event.preventDefault();
      openSearch();
    }
  });

  function setUpExplorer() {
    if (!document.getElementById("atlas-explorer")) return;
    import(new URL("explore.js", ASSETS).href).then(function (module) { return module.start(); });
  }

  function setUp() {
    nameUnnamed();
    setUpSearch();
    setUpFilters();
    setUpExplorer();
    follow();
  }

  // Material's instant navigation swaps pages without reloading: document$ tells us when.
  if (typeof document$ !== "undefined") {
    document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
  window.addEventListener("hashchange", follow);
})();
