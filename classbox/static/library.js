// Library: instant search results from /api/library as the pupil types (the form works without it).
(function () {
  "use strict";
  var form = document.getElementById("lib-search");
  if (!form || !window.fetch) { return; }
  var box = document.getElementById("results");
  var list = document.getElementById("results-list");
  var sections = document.getElementById("sections");
  var timer = null, seq = 0;

  function item(r) {
    var li = document.createElement("li");
    li.className = "res";
    var a = document.createElement("a");
    a.href = r.url;
    var t = document.createElement("span");
    t.className = "res-title";
    t.textContent = r.title;
    a.appendChild(t);
    var meta = document.createElement("span");
    meta.className = "res-meta";
    meta.textContent = [r.kind_label, r.level ? r.level_label : "", r.subject ? r.subject_label : ""]
      .filter(Boolean).join(" · ");
    li.appendChild(a);
    li.appendChild(meta);
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
          var li = document.createElement("li");
          li.textContent = _("Aucune ressource ne correspond.");
          list.appendChild(li);
        }
        box.hidden = false;
        sections.hidden = true;
      })
      .catch(function () { /* keep the current results; the form still works */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 200);
  });
})();
