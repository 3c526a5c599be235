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

// Drafts kept across a session expiry (issue 19, item 6). What a person types into a form is
// kept in this tab's sessionStorage (gone when the tab closes; never sent anywhere but with the
// form), tagged with the person's account. If the session has expired when the form is sent,
// the server answers with the login page, which brings the person back to the form's page;
// there the draft is put back into the empty fields, with a notice and a button to discard it.
// A draft is restored to the same person only, never to someone else who logs in in this tab,
// and every draft is dropped at logout. Passwords, one-time codes, files and the CSRF token are
// never kept.
(function () {
  var PREFIX = 'mimamori-draft:';
  var MAX_AGE_MS = 12 * 3600 * 1000;
  var store;
  try { store = window.sessionStorage; } catch (e) { return; }
  if (!store) { return; }
  function keys() {
    var out = [];
    for (var i = 0; i < store.length; i++) {
      var k = store.key(i);
      if (k && k.indexOf(PREFIX) === 0) { out.push(k); }
    }
    return out;
  }
  function read(k) { try { return JSON.parse(store.getItem(k)); } catch (e) { return null; } }
  function kept(form) {
    var method = (form.getAttribute('method') || '').toLowerCase();
    var action = form.getAttribute('action') || '';
    return method === 'post' && !form.hasAttribute('data-no-draft') &&
      action !== '/login' && action !== '/logout';
  }
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      var type = (el.type || '').toLowerCase();
      var auto = (el.getAttribute('autocomplete') || '').toLowerCase();
      return el.name && el.name !== 'csrf' && el.name !== 'totp' &&
        auto !== 'one-time-code' && auto.indexOf('password') < 0 &&
        ['hidden', 'password', 'file', 'submit', 'button', 'reset'].indexOf(type) < 0;
    });
  }
  function keyOf(form, user) {
    var action = form.getAttribute('action') || location.pathname;
    var same = Array.prototype.filter.call(document.forms, function (f) {
      return (f.getAttribute('action') || location.pathname) === action;
    });
    return PREFIX + user + ':' + location.pathname + ':' + action + ':' + same.indexOf(form);
  }
  function save(form, user, state) {
    var values = {};
    var any = false;
    fields(form).forEach(function (el) {
      var type = (el.type || '').toLowerCase();
      var list = values[el.name] || (values[el.name] = []);
      if (type === 'checkbox' || type === 'radio') {
        if (el.checked) { list.push(el.value); }
        if (el.checked !== el.defaultChecked) { any = true; }
      } else if (el.multiple && el.options) {
        Array.prototype.forEach.call(el.options, function (o) { if (o.selected) { list.push(o.value); } });
        any = true;
      } else {
        list.push(el.value);
        if (el.value !== el.defaultValue && el.value !== '') { any = true; }
      }
    });
    var k = keyOf(form, user);
    if (!any && state === 'typing') { store.removeItem(k); return; }
    try {
      store.setItem(k, JSON.stringify({ user: user, state: state, at: Date.now(), values: values }));
    } catch (e) { /* storage full: the form still works, only the draft is not kept */ }
  }
  function restore(form, draft) {
    var filled = 0;
    var seen = {};
    fields(form).forEach(function (el) {
      var list = draft.values[el.name];
      if (!list) { return; }
      var type = (el.type || '').toLowerCase();
      if (type === 'checkbox' || type === 'radio') {
        var on = list.indexOf(el.value) >= 0;
        if (el.checked !== on) { el.checked = on; filled++; }
      } else if (el.multiple && el.options) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = list.indexOf(o.value) >= 0; });
        filled++;
      } else {
        // The n-th field of this name takes the n-th value kept; a field the server filled
        // (a refused form shown again) keeps the server's value.
        var n = seen[el.name] || 0;
        seen[el.name] = n + 1;
        var v = list[n];
        var untouched = el.value === el.defaultValue && (el.value === '' || el.tagName === 'SELECT');
        if (v !== undefined && v !== '' && untouched && v !== el.value) { el.value = v; filled++; }
      }
    });
    return filled;
  }
  function notice(form, k) {
    var body = document.body;
    var p = document.createElement('p');
    p.className = 'notice draft-restored';
    p.setAttribute('role', 'status');
    p.textContent = body.getAttribute('data-draft-restored') || '';
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.textContent = body.getAttribute('data-draft-discard') || '';
    b.addEventListener('click', function () {
      store.removeItem(k);
      form.reset();
      p.remove();
    });
    p.appendChild(document.createTextNode(' '));
    p.appendChild(b);
    form.parentNode.insertBefore(p, form);
  }
  document.addEventListener('DOMContentLoaded', function () {
    var user = document.body.getAttribute('data-user');
    var onLogin = !!document.querySelector('form[action="/login"]');
    keys().forEach(function (k) {
      var d = read(k);
      if (!d || Date.now() - d.at > MAX_AGE_MS) { store.removeItem(k); return; }
      if (onLogin) {
        // The form was sent and the server asked for a login: the draft waits for it.
        if (d.state === 'sent') { d.state = 'interrupted'; store.setItem(k, JSON.stringify(d)); }
        return;
      }
      if (!user) { return; }
      // Someone else is logged in in this tab, or the server answered the form (done or
      // refused with the values shown again): the draft is not theirs or no longer needed.
      if (d.user !== user || d.state === 'sent') { store.removeItem(k); }
    });
    if (!user) { return; }
    Array.prototype.forEach.call(document.forms, function (form) {
      if (!kept(form)) { return; }
      var k = keyOf(form, user);
      var d = read(k);
      if (d && d.user === user && restore(form, d) > 0) {
        notice(form, k);
        d.state = 'typing';
        store.setItem(k, JSON.stringify(d));
      }
      form.addEventListener('input', function () { save(form, user, 'typing'); });
      form.addEventListener('change', function () { save(form, user, 'typing'); });
    });
  });
  // Registered after the confirmation above, so a cancelled confirmation sends nothing and
  // marks nothing sent. Logging out drops every draft of this tab.
  document.addEventListener('submit', function (e) {
    var f = e.target;
    var user = document.body.getAttribute('data-user');
    if (!f || !f.getAttribute || e.defaultPrevented) { return; }
    if (f.getAttribute('action') === '/logout') {
      keys().forEach(function (k) { store.removeItem(k); });
    } else if (user && kept(f)) {
      save(f, user, 'sent');
    }
  });
})();
