// mimamori's web pages: the confirmation before an irreversible action (forms marked
// data-confirm) and the print buttons (data-print). In a file of its own, not inline, so that
// the Content-Security-Policy can forbid inline script.
document.addEventListener('submit', function (e) {
  var msg = e.target && e.target.getAttribute && e.target.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
document.addEventListener('click', function (e) {
  if (e.target && e.target.closest && e.target.closest('[data-print]')) { window.print(); }
});
// The camera map (issue 19, item 11): Leaflet over the tiles the page names, one marker per
// point listed in the map's element (the same points as the page's table).
document.addEventListener('DOMContentLoaded', function () {
  var el = document.getElementById('camera-map');
  if (!el || !window.L) { return; }
  var points = [];
  el.querySelectorAll('li[data-lat]').forEach(function (li) {
    points.push({ lat: parseFloat(li.getAttribute('data-lat')), lon: parseFloat(li.getAttribute('data-lon')), label: li.textContent });
  });
  if (!points.length) { return; }
  el.classList.add('live');
  var map = window.L.map(el, { scrollWheelZoom: false });
  var attribution = el.getAttribute('data-attribution');
  var layer = window.L.tileLayer(el.getAttribute('data-tiles'), { maxZoom: 18 });
  if (attribution) {
    layer.options.attribution = '<a href="https://maps.gsi.go.jp/development/ichiran.html">' + attribution.replace(/[<>&"]/g, '') + '</a>';
  }
  layer.addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    window.L.marker([p.lat, p.lon], { title: p.label, alt: p.label }).addTo(map).bindPopup(document.createTextNode(p.label));
    bounds.push([p.lat, p.lon]);
  });
  map.fitBounds(bounds, { maxZoom: 16, padding: [30, 30] });
});
