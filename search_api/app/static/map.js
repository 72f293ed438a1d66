// Small QPV map: the contour from the reference GeoJSON on a blank Leaflet map (no tile server).
(function () {
  "use strict";
  var box = document.getElementById("carte");
  if (!box || typeof L === "undefined") { return; }
  fetch("/api/qpv/" + encodeURIComponent(box.dataset.qpv), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (feature) {
      var map = L.map(box, { attributionControl: false, zoomControl: true, keyboard: true });
      var layer = L.geoJSON(feature, { style: { color: "#000091", weight: 2, fillOpacity: 0.2 } }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      box.dataset.loaded = "1";
    })
    .catch(function () { box.textContent = "Contour du QPV indisponible."; });
})();
