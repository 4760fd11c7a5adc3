// The explorer (docs/explore.md): every paper, searched and filtered through Pagefind's
// index of the paper pages (papers/<id>/). The index is fetched in fragments, only for what
// a query needs. Every state lives in the query string, so a link reproduces the view.
const here = new URL(import.meta.url);
const root = new URL("../", here); // the site's root, wherever it is served
const PAGE = 50; // results shown at a time
const FIELDS = ["q", "topic", "from", "to", "venue", "org", "tag", "author", "code", "sort"];
const FACETS = { topic: "topic", venue: "venue", org: "organisation", tag: "tag", author: "author" };

let form, count, list, more; // the page's elements (instant navigation makes them anew)

function option(select, value, label) {
  const item = document.createElement("option");
  item.value = value;
  item.textContent = label;
  select.append(item);
}

function fill(facets) {
  for (const select of form.querySelectorAll("select[data-facet]")) {
    const values = Object.keys(facets[select.dataset.facet] || {});
    values.sort((a, b) => (select.dataset.facet === "year" ? b.localeCompare(a) : a.localeCompare(b)));
    for (const value of values) option(select, value, value);
  }
  const authors = document.getElementById("explore-authors");
  for (const name of Object.keys(facets.author || {}).sort()) option(authors, name, name);
}

function read() {
  const state = {};
  for (const name of FIELDS) {
    const field = form.elements.namedItem(name);
    const value = field.type === "checkbox" ? (field.checked ? "1" : "") : field.value.trim();
    if (value) state[name] = value;
  }
  return state;
}

function write(state) {
  for (const name of FIELDS) {
    const field = form.elements.namedItem(name);
    const value = state[name] || "";
    if (field.type === "checkbox") field.checked = value === "1";
    else if (field.tagName === "SELECT") {
      field.value = [...field.options].some((o) => o.value === value) ? value : "";
    } else field.value = value;
  }
}

function stateFromUrl() {
  const params = new URLSearchParams(location.search);
  const state = {};
  for (const name of FIELDS) if (params.get(name)) state[name] = params.get(name);
  return state;
}

function query(state) {
  const params = new URLSearchParams();
  for (const name of FIELDS) if (state[name]) params.set(name, state[name]);
  const text = params.toString();
  return text ? "?" + text : "";
}

function filtersOf(state, years) {
  const filters = {};
  for (const [field, facet] of Object.entries(FACETS)) if (state[field]) filters[facet] = state[field];
  if (state.code) filters.code = "with code";
  if (state.from || state.to) {
    const from = state.from || "0000";
    const to = state.to || "9999";
    filters.year = { any: years.filter((y) => y >= from && y <= to) };
    if (!filters.year.any.length) filters.year = "none";
  }
  return filters;
}

function item(data) {
  const li = document.createElement("li");
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  const title = document.createElement("p");
  title.className = "atlas-result-title";
  title.append(link);
  li.append(title);
  // What the filters and sorts go by, so that a reader sees why a paper is where it is.
  const upvotes = Number(data.meta.upvotes || 0);
  const facts = [
    data.meta.date,
    (data.filters.venue || []).join(", "),
    (data.filters.topic || []).join(", "),
    upvotes ? `${upvotes} upvote${upvotes === 1 ? "" : "s"}` : "",
    (data.filters.code || []).includes("with code") ? "code" : "",
  ].filter(Boolean).join(" · ");
  if (facts) {
    const line = document.createElement("p");
    line.className = "atlas-result-meta";
    line.textContent = facts;
    li.append(line);
  }
  if (data.meta.tldr) {
    const tldr = document.createElement("p");
    tldr.className = "atlas-result-tldr";
    tldr.textContent = data.meta.tldr;
    li.append(tldr);
  }
  return li;
}

// A bare arXiv id ("2403.09631") is searched as the paper pages write it ("arXiv:2403.09631"):
// the index splits a bare one at the dot and would match every id of that month.
function arxivTerm(term) {
  return term.replace(/(^|\s)(?:arxiv:)?(\d{4}\.\d{4,5})(v\d+)?(?=\s|$)/gi, "$1arXiv:$2");
}

let pagefind;
let years = [];
let results = [];
let shown = 0;
let generation = 0;

async function showMore() {
  const mine = generation;
  const next = await Promise.all(results.slice(shown, shown + PAGE).map((r) => r.data()));
  if (mine !== generation) return; // a newer query has started
  for (const data of next) list.append(item(data));
  shown += next.length;
  more.hidden = shown >= results.length;
}

async function run(push) {
  const state = read();
  const mine = ++generation;
  const url = location.pathname + query(state) + location.hash;
  if (url !== location.pathname + location.search + location.hash) {
    history[push ? "pushState" : "replaceState"](state, "", url);
  }
  const options = { filters: filtersOf(state, years) };
  if (state.sort) options.sort = { [state.sort]: "desc" };
  else if (!state.q) options.sort = { date: "desc" };
  const term = state.q ? arxivTerm(state.q) : null;
  const search = term ? pagefind.debouncedSearch(term, options, 120) : pagefind.search(null, options);
  const found = await search;
  if (found === null || mine !== generation) return; // superseded while typing
  results = found.results;
  shown = 0;
  list.replaceChildren();
  await showMore();
  if (mine !== generation) return;
  // Announced once the first results are in the list.
  count.textContent = `${results.length} paper${results.length === 1 ? "" : "s"} found`;
}

// Called by atlas.js on every page that has the explorer's form.
export async function start() {
  form = document.getElementById("atlas-explorer");
  count = document.getElementById("explore-count");
  list = document.getElementById("explore-results");
  more = document.getElementById("explore-more");
  if (!form || form.dataset.started) return;
  form.dataset.started = "1";
  if (!pagefind) {
    pagefind = await import(new URL("pagefind/pagefind.js", root).href);
    await pagefind.options({ baseUrl: root.pathname });
  }
  const facets = await pagefind.filters();
  years = Object.keys(facets.year || {}).sort();
  fill(facets);
  write(stateFromUrl());
  document.querySelector(".atlas-nojs")?.setAttribute("hidden", "");
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(true);
  });
  form.addEventListener("input", (event) => run(event.target.type !== "search" && event.target.name !== "author"));
  more.addEventListener("click", showMore);
  window.addEventListener("popstate", () => {
    if (!document.body.contains(form)) return;
    write(stateFromUrl());
    run(false);
  });
  await run(false);
}


// The header's search dialog (atlas.js): the ten best papers for what the reader types.
export async function searchBox(input, list, status) {
  if (!pagefind) {
    pagefind = await import(new URL("pagefind/pagefind.js", root).href);
    await pagefind.options({ baseUrl: root.pathname });
  }
  let latest = 0;
  input.addEventListener("input", async () => {
    const mine = ++latest;
    const term = input.value.trim();
    if (!term) {
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    const found = await pagefind.debouncedSearch(arxivTerm(term), {}, 80);
    if (found === null || mine !== latest) return;
    const top = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
    if (mine !== latest) return;
    list.replaceChildren(...top.map(item));
    status.textContent = found.results.length
      ? `${found.results.length} paper${found.results.length === 1 ? "" : "s"} found`
      : "No paper found";
  });
  if (input.value.trim()) input.dispatchEvent(new Event("input"));
}
