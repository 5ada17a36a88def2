/* Teacher dashboard: find a library resource by its title (GET /api/library) and fill the
   "resource" push form with its id and title, so nobody types an identifier by hand (an ES module). */
import { _, el } from "./toolkit.js";

var search = document.getElementById("resource-search");
var results = document.getElementById("resource-results");
var timer = null;
var asked = 0;

function choose(item) {
  document.getElementById("resource-id").value = item.id;
  document.getElementById("resource-id").dataset.kind = item.kind;  /* an H5P exercise is pushed to be scored */
  document.getElementById("resource-title").value = item.title;
  results.textContent = "";
  document.getElementById("resource-title").focus();
}

function show(items) {
  results.textContent = "";
  if (!items.length) {
    results.appendChild(el("li", {}, _("Aucune ressource trouvée.")));
    return;
  }
  items.forEach(function (item) {
    var button = el("button", { type: "button", "class": "link" }, item.title + " (" + (item.kind_label || item.kind) + ")");
    button.addEventListener("click", function () { choose(item); });
    results.appendChild(el("li")).appendChild(button);
  });
}

function lookup() {
  var query = search.value.trim();
  var mine = ++asked;
  fetch("/api/library?per_page=8&q=" + encodeURIComponent(query), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : { items: [] }; })
    .then(function (body) { if (mine === asked) { show(body.items || []); } })
    .catch(function () { if (mine === asked) { show([]); } });
}

var typed = document.getElementById("resource-id");
if (typed) { typed.addEventListener("input", function () { delete typed.dataset.kind; }); }

if (search && results) {
  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 200);
  });
}
