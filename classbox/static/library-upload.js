// Admin page: send a pack as the request body with its progress shown and announced (the form works
// without it); an ES module.
import { _, say as show } from "./toolkit.js";

var form = document.getElementById("pack-form");
if (form && window.XMLHttpRequest) { start(form); }

function start(form) {
  var input = document.getElementById("pack-file");
  var line = document.getElementById("pack-progress-line");
  var bar = document.getElementById("pack-progress");
  var status = document.getElementById("pack-status");
  var button = form.querySelector("button[type=submit]");
  var busy = false, announced = -1;

  function say(text) { show(status, text); }

  function done(ok, message) {
    busy = false;
    button.removeAttribute("aria-disabled");
    line.hidden = true;
    say(message);
    if (ok) {
      input.value = "";
      refreshList();
    }
  }

  function refreshList() {  // the table of packs, from a fresh /admin (no reload: focus stays put)
    fetch(window.location.pathname, {credentials: "same-origin"}).then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("#panel-library table");
        var table = document.querySelector("#panel-library table");
        if (fresh && table) { table.replaceWith(fresh); }
      })["catch"](function () { /* the list updates at the next visit */ });
  }

  function megabytes(bytes) {
    return Math.round(bytes / 1048576).toLocaleString(document.documentElement.lang || "fr");
  }

  function progress(event) {
    if (!event.lengthComputable) { bar.removeAttribute("value"); return; }
    var percent = Math.floor(event.loaded * 100 / event.total);
    bar.value = percent;
    if (percent >= announced + 10 && percent < 100) {  // every 10 %: a screen reader is not flooded
      announced = percent - percent % 10;
      say(_("Envoi : %(done)s Mo sur %(total)s Mo", {done: megabytes(event.loaded), total: megabytes(event.total)}));
    }
  }

  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (!file) { return; }  // the browser says the field is required
    event.preventDefault();
    if (busy) { return; }
    if (file.size > Number(form.dataset.maxBytes)) {
      say(_("Ce fichier dépasse la taille maximale d'un paquet (%(limit)s Mo).", {limit: form.dataset.maxMb}));
      return;
    }
    busy = true;
    announced = -1;
    button.setAttribute("aria-disabled", "true");  // not `disabled`: the focus stays on the button
    bar.value = 0;
    line.hidden = false;
    say(_("Envoi de %(name)s…", {name: file.name}));
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.upload + "?name=" + encodeURIComponent(file.name));
    xhr.setRequestHeader("X-CSRFToken", form.dataset.csrf);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", progress);
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value");  // indeterminate while the box checks and stores the pack
      say(_("Fichier envoyé, import en cours…"));
    });
    xhr.addEventListener("load", function () {
      var body;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (body && typeof body.ok === "boolean") { done(body.ok, body.message); return; }
      done(false, _("L'envoi a été refusé : rechargez la page et recommencez."));
    });
    xhr.addEventListener("error", function () {
      done(false, _("L'envoi a échoué : vérifiez la connexion et recommencez."));
    });
    xhr.send(file);
  });
}
