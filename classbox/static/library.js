// Library: instant search results from /api/library as the pupil types (the form works without it); an ES module.
import { _, el } from "./toolkit.js";

var form = document.getElementById("lib-search");
var box = document.getElementById("results");
var list = document.getElementById("results-list");
var sections = document.getElementById("sections");
var timer = null, seq = 0;

function item(r) {
  var li = el("li", { "class": "res" });
  li.appendChild(el("a", { href: r.url })).appendChild(el("span", { "class": "res-title" }, r.title));
  li.appendChild(el("span", { "class": "res-meta" }, [r.kind_label, r.level ? r.level_label : "",
    r.subject ? r.subject_label : ""].filter(Boolean).join(" · ")));
  return li;
}

function run() {
  var params = new URLSearchParams(new FormData(form));
  var empty = !params.get("q") && !params.get("subject") && !params.get("kind");
  if (empty) { box.hidden = true; sections.hidden = false; return; }
  var mine = ++seq;
  fetch("/api/library?" + params.toString(), {headers: {"Accept": "application/json"}})
    .then(function (r) { return r.json(); })
    .then(function (body) {
      if (mine !== seq) { return; }
      list.textContent = "";
      (body.items || []).forEach(function (r) { list.appendChild(item(r)); });
      if (!body.items || !body.items.length) {
        list.appendChild(el("li", {}, _("Aucune ressource ne correspond.")));
      }
      box.hidden = false;
      sections.hidden = true;
    })
    .catch(function () { /* keep the current results; the form still works */ });
}

if (form) {
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 200);
  });
}
