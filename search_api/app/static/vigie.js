// Light progressive enhancement: every page works without this file.
(function () {
  "use strict";
  // Facet checkboxes submit their form on change.
  document.querySelectorAll("input.auto-submit").forEach(function (box) {
    box.addEventListener("change", function () { box.form.requestSubmit(); });
  });
  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" && !/^(checkbox|radio)$/.test(t.type) || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
  }
  // Labelling screen: o/n initiative, q cycles in-QPV, 1-5 types, l place, Enter saves.
  var form = document.getElementById("form-annotation");
  if (form) {
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (typing(event)) { if (event.key === "Escape") { event.target.blur(); } return; }
      var key = event.key.toLowerCase();
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
  // Review item: v validates, r focuses the rejection reason, c opens the correction form.
  var validate = document.getElementById("btn-valider");
  if (validate) {
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key === "v") { validate.click(); }
      else if (event.key === "r") { event.preventDefault(); document.getElementById("reason").focus(); }
      else if (event.key === "c") { var d = document.getElementById("corriger"); d.open = true; document.getElementById("c-name").focus(); event.preventDefault(); }
    });
  }
})();
