// Light progressive enhancement: every page works without this file.
(function () {
  "use strict";
  // A confirmation shown once: its ?ok= (and counts) leave the address, so a reload does not repeat it.
  if (document.getElementById("flash") && window.history.replaceState) {
    var here = new URL(window.location.href);
    ["ok", "n", "echecs"].forEach(function (key) { here.searchParams.delete(key); });
    window.history.replaceState(window.history.state, "", here.pathname + here.search + here.hash);
  }
  // Facet checkboxes submit their form on change.
  document.querySelectorAll("input.auto-submit").forEach(function (box) {
    box.addEventListener("change", function () { box.form.requestSubmit(); });
  });
  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" && !/^(checkbox|radio)$/.test(t.type) || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
  }
  // Any form field focused (checkboxes and radios included) or a link/button focused.
  function inField(event) {
    var t = event.target;
    return t && /^(INPUT|TEXTAREA|SELECT|BUTTON|A|SUMMARY)$/.test(t.tagName);
  }
  function modified(event) { return event.ctrlKey || event.metaKey || event.altKey; }
  function go(id) { var a = document.getElementById(id); if (a) { window.location.href = a.href; } }

  // Labelling screen: o/n initiative, q cycles in-QPV, 1-5 types, l place, Enter saves.
  var form = document.getElementById("form-annotation");
  if (form) {
    document.addEventListener("keydown", function (event) {
      if (modified(event)) { return; }
      if (typing(event)) { if (event.key === "Escape") { event.target.blur(); } return; }
      var key = event.key.toLowerCase();
      var t = event.target;
      // Entrée on a link or a button does what the link or button does, never "save".
      if (key === "enter" && t && /^(A|BUTTON|SUMMARY)$/.test(t.tagName)) { return; }
      var click = function (id) { var el = document.getElementById(id); if (el) { el.click(); } };
      if (key === "o") { click("l-oui"); }
      else if (key === "n") { click("l-non"); }
      else if (key === "q") {
        var order = ["q-oui", "q-non", "q-nsp"];
        var current = order.findIndex(function (id) { return document.getElementById(id).checked; });
        click(order[(current + 1) % order.length]);
      } else if (/^[1-5]$/.test(key)) { click("t-" + key); }
      else if (key === "l") { event.preventDefault(); document.getElementById("l-lieu").focus(); }
      else if (key === "enter") { event.preventDefault(); form.requestSubmit(); }
      else { return; }
    });
  }

  // Review item: v validates, r focuses the rejection reason, c opens the correction form, n/p move
  // through the filtered queue. Off while any field has the focus or the correction form is open.
  var validate = document.getElementById("btn-valider");
  var correction = document.getElementById("corriger");
  if (validate) {
    document.addEventListener("keydown", function (event) {
      if (modified(event)) { return; }
      if (correction && correction.open) {
        if (event.key === "Escape" && !typing(event)) { correction.open = false; correction.querySelector("summary").focus(); }
        return;
      }
      if (inField(event)) { if (event.key === "Escape") { event.target.blur(); } return; }
      var key = event.key;
      if (key === "v") { validate.click(); }
      else if (key === "r") { event.preventDefault(); document.getElementById("reason").focus(); }
      else if (key === "c") { event.preventDefault(); correction.open = true; document.getElementById("c-name").focus(); }
      else if (key === "n") { go("suivant"); }
      else if (key === "p") { go("precedent"); }
    });
  }

  // Review queue: "select all" ticks every row of the page; the legend counts the ticked rows.
  var all = document.getElementById("select-all");
  if (all) {
    var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("input.row-select")); };
    var counter = document.getElementById("selection-count");
    var recount = function () {
      var n = rows().filter(function (b) { return b.checked; }).length;
      if (counter) { counter.textContent = n ? "(" + n + " cochée" + (n > 1 ? "s" : "") + ")" : ""; }
      all.checked = n > 0 && n === rows().length;
      all.indeterminate = n > 0 && n < rows().length;
    };
    all.addEventListener("change", function () { rows().forEach(function (b) { b.checked = all.checked; }); recount(); });
    document.addEventListener("change", function (event) { if (event.target.classList.contains("row-select")) { recount(); } });
  }

  // Place pickers: suggestions from /api/places/* fill the input's datalist as one types.
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last || /\u2014|\(/.test(q)) { return; }
      last = q;
      clearTimeout(timer);
      timer = setTimeout(function () {
        var url = input.dataset.suggest + "?limit=15&q=" + encodeURIComponent(q);
        fetch(url, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (data) {
            list.textContent = "";
            data.items.forEach(function (it) {
              var opt = document.createElement("option");
              opt.value = it.label;
              list.appendChild(opt);
            });
            input.dataset.suggested = String(data.items.length);
          })
          .catch(function () { /* the field still accepts a typed name or code */ });
      }, 150);
    });
  });
})();
