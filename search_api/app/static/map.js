// Review map: the commune outline, the detected QPV and its neighbouring QPVs, from the reference
// GeoJSON (no tile server).
(function () {
  "use strict";
  var box = document.getElementById("carte");
  if (!box || typeof L === "undefined") { return; }
  var params = new URLSearchParams();
  if (box.dataset.qpv) { params.set("qpv", box.dataset.qpv); }
  if (box.dataset.commune) { params.set("commune", box.dataset.commune); }
  fetch("/api/places/carte?" + params.toString(), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      var map = L.map(box, { attributionControl: false, zoomControl: true, keyboard: true });
      var bounds = null;
      var extend = function (layer) {
        var b = layer.getBounds();
        if (b.isValid()) { bounds = bounds ? bounds.extend(b) : b; }
      };
      if (data.commune) {
        extend(L.geoJSON(data.commune, { style: { color: "#555", weight: 2, dashArray: "4 3", fillColor: "#ddd", fillOpacity: 0.35 } })
          .bindTooltip("Commune : " + (data.commune.properties.nom || "")).addTo(map));
      }
      var neighbours = L.geoJSON(data.neighbours, {
        style: { color: "#8a6d00", weight: 1, fillColor: "#f5d76e", fillOpacity: 0.35 },
        onEachFeature: function (f, layer) { layer.bindTooltip("QPV voisin : " + f.properties.lib_qp + " (" + f.properties.code_qp + ")"); }
      }).addTo(map);
      if (data.qpv) {
        var qpv = L.geoJSON(data.qpv, { style: { color: "#000091", weight: 3, fillOpacity: 0.3 } })
          .bindTooltip("QPV : " + data.qpv.properties.lib_qp + " (" + data.qpv.properties.code_qp + ")").addTo(map);
        extend(qpv);
      }
      if (!bounds) { extend(neighbours); }
      if (bounds) { map.fitBounds(bounds, { padding: [10, 10] }); }
      box.dataset.loaded = "1";
      box.dataset.layers = [data.commune ? "commune" : "", data.qpv ? "qpv" : "", "voisins:" + data.neighbours.features.length].join(" ").trim();
    })
    .catch(function () { box.textContent = "Carte indisponible (contours de référence introuvables)."; });
})();
