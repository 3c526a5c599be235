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
