// The viewing player (issue 20): recorded footage of one camera inside a recorded viewing,
// fetched chunk by chunk from the API as fragmented MP4 and played through Media Source
// Extensions. The media timeline is the viewing's: currentTime 0 is the range's start, so the
// recording's wall-clock time is start + currentTime. Gaps in the recording stay gaps (shown,
// then skipped). The viewer's name, the viewing's number and the time are drawn over the
// picture and onto every printed still. Every chunk is asked of the server, which checks the
// viewing (person, PC, camera, range, session, live edge) and audits it; what was played is
// reported back, summed per camera.
(function () {
  'use strict';
  var el = document.getElementById('player');
  if (!el || !window.MediaSource) { return; }
  var video = document.getElementById('viewing-video');
  var id = el.getAttribute('data-viewing');
  var camera = el.getAttribute('data-camera');
  var origin = Number(el.getAttribute('data-from'));
  var end = Number(el.getAttribute('data-to'));
  var csrf = el.getAttribute('data-csrf');
  var lang = el.getAttribute('data-lang') === 'en' ? 'en-GB' : 'ja-JP';
  var spans = [];
  try { spans = JSON.parse(el.getAttribute('data-spans') || '[]') || []; } catch (e) { spans = []; }
  var seek = document.getElementById('seek');
  var clock = document.getElementById('wall-clock');
  var errorBox = document.getElementById('player-error');
  var gapNote = el.querySelector('.gap-note');
  var duration = Math.max(0, (end - origin) / 1000);
  var ms = new MediaSource();
  var sb = null;
  var next = origin;        // where the next chunk starts (UTC ms)
  var loading = false;
  var complete = false;
  var generation = 0;       // a seek starts a new generation; older answers are dropped
  var pending = [];
  var sbCodec = null;
  var skipping = null;      // media seconds a skip over a gap is waiting to land at
  var holes = [];           // [from, to) the server had nothing playable in (before a keyframe)
  var playedFrom = null;    // the stretch being played, media seconds
  var lastTime = 0;

  el.setAttribute('data-state', 'loading');
  seek.max = String(duration);
  video.src = URL.createObjectURL(ms);

  function fmt(msTime) {
    return new Date(msTime).toLocaleString(lang, {
      timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit'
    });
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    el.setAttribute('data-state', 'refused');
  }

  // The recorded spans on the timeline; what lies between them is a gap.
  (function timeline() {
    var bar = el.querySelector('.timeline');
    spans.forEach(function (s) {
      var d = document.createElement('span');
      d.className = 'span';
      d.style.left = (100 * (s[0] - origin) / (end - origin)) + '%';
      d.style.width = Math.max(0.2, 100 * (s[1] - s[0]) / (end - origin)) + '%';
      bar.appendChild(d);
    });
  })();

  // The watermark: who, which viewing, the recording's time and now.
  function watermark() {
    var lines = el.querySelectorAll('.wm-line');
    var rec = origin + video.currentTime * 1000;
    if (lines.length === 3) {
      lines[0].textContent = el.getAttribute('data-watermark');
      lines[1].textContent = fmt(rec);
      lines[2].textContent = fmt(Date.now());
    }
    clock.textContent = fmt(rec);
    clock.setAttribute('data-ms', String(Math.round(rec)));
  }

  function load(from) {
    if (loading || complete) { return; }
    loading = true;
    var gen = generation;
    fetch('/api/v1/viewings/' + id + '/media?camera=' + encodeURIComponent(camera) + '&from=' + Math.round(from),
          { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) {
          return r.json().then(function (p) {
            throw new Error((p && (p.detail || p.title)) || el.getAttribute('data-msg-refused'));
          }, function () { throw new Error(el.getAttribute('data-msg-refused')); });
        }
        return r.arrayBuffer().then(function (buf) {
          return {
            buf: buf, codec: r.headers.get('x-codec'),
            start: Number(r.headers.get('x-start-ms')), end: Number(r.headers.get('x-end-ms')),
            complete: r.headers.get('x-complete') === 'true'
          };
        });
      })
      .then(function (c) {
        loading = false;
        if (gen !== generation) { pump(); return; }
        if (!sb) {
          sbCodec = c.codec;
          sb = ms.addSourceBuffer('video/mp4; codecs="' + c.codec + '"');
          sb.addEventListener('updateend', function () {
            flush();
            pump();
            if (!video.paused && video.readyState < 3) { skipGap(); } // stalled at a gap
          });
        }
        // Asked from `from`, served from the keyframe at `c.start`: nothing plays in between.
        if (c.start > from + 40) { holes.push([from, c.start]); }
        next = c.end;
        complete = c.complete;
        pending.push({ buf: c.buf, codec: c.codec });
        flush();
      })
      .catch(function (e) {
        loading = false;
        showError(e.message);
      });
  }

  function flush() {
    if (sb && !sb.updating && pending.length) {
      var p = pending.shift();
      // Each chunk starts with its own initialisation segment; where the camera's codec changed
      // (it began masking at the source, another profile), the buffer is told first.
      if (p.codec && p.codec !== sbCodec && sb.changeType) {
        sb.changeType('video/mp4; codecs="' + p.codec + '"');
        sbCodec = p.codec;
      }
      sb.appendBuffer(p.buf);
    }
    if (el.getAttribute('data-state') === 'loading' && video.buffered.length) {
      el.setAttribute('data-state', 'ready');
    }
  }

  // The end of the buffered range holding t (seconds), or t when none does.
  function bufferedEnd(t) {
    for (var i = 0; i < video.buffered.length; i++) {
      if (video.buffered.start(i) <= t + 0.1 && t < video.buffered.end(i)) { return video.buffered.end(i); }
    }
    return t;
  }

  // Keeps about 20 s buffered ahead.
  function pump() {
    if (!sb || loading || complete || sb.updating) { return; }
    if (bufferedEnd(video.currentTime) - video.currentTime < 20) { load(next); }
  }

  // In a gap: say so and go on to the next recorded footage.
  function skipGap() {
    var t = video.currentTime;
    // Stalled within a frame or so of a buffered range's end counts as at its end.
    if (bufferedEnd(t) - t > 0.3) { gapNote.hidden = true; return; }
    // Only a gap in the recording is skipped — or a hole the server said has nothing playable
    // (before the range's first keyframe) — never footage still loading (a hole of under a
    // second before the next buffered range is stepped over too).
    var at = origin + t * 1000 + 300;
    var wall = origin + t * 1000;
    var recorded = spans.some(function (s) { return s[0] <= at && at < s[1]; }) &&
      !holes.some(function (h) { return h[0] - 300 <= wall && wall < h[1]; });
    for (var i = 0; i < video.buffered.length; i++) {
      if (video.buffered.start(i) > t && (!recorded || video.buffered.start(i) - t < 1)) {
        gapNote.textContent = el.getAttribute('data-msg-gap') + ' ' + fmt(origin + t * 1000) + ' – ' +
          fmt(origin + video.buffered.start(i) * 1000);
        gapNote.hidden = false;
        el.setAttribute('data-gaps', String(Number(el.getAttribute('data-gaps') || 0) + 1));
        video.currentTime = video.buffered.start(i);
        return;
      }
    }
  }

  // Playing into a stretch the recording has no footage for, though the buffer shows none:
  // Chrome joins buffered ranges whose gap is under twice the longest distance between frames it
  // has seen, so after a jittery stretch a gap of a second or two plays as a frozen frame. The
  // recorded spans say where the gaps are: say so and go on to the next span.
  function skipUnrecorded() {
    if (video.paused || video.seeking || !spans.length) { return; }
    if (skipping !== null) {
      if (video.currentTime < skipping - 0.05) { return; } // the chunk after the gap is loading
      skipping = null;
    }
    var wall = origin + video.currentTime * 1000;
    var prev = null;
    var following = null;
    for (var i = 0; i < spans.length; i++) {
      if (spans[i][0] <= wall && wall < spans[i][1] + 200) { return; } // recorded (or its last frame)
      if (spans[i][1] <= wall) { prev = spans[i]; }
      if (spans[i][0] > wall && following === null) { following = spans[i]; }
    }
    if (prev === null || following === null || following[0] - wall < 150) { return; }
    var to = (following[0] - origin) / 1000;
    gapNote.textContent = el.getAttribute('data-msg-gap') + ' ' + fmt(prev[1]) + ' – ' + fmt(following[0]);
    gapNote.hidden = false;
    el.setAttribute('data-gaps', String(Number(el.getAttribute('data-gaps') || 0) + 1));
    if (bufferedEnd(to) > to) { video.currentTime = to; } else { seekTo(to); skipping = to; }
  }

  // What was played is reported in stretches (seconds of the recording), summed by the server.
  function report(force) {
    if (playedFrom === null) { return; }
    var to = lastTime;
    if (!force && to - playedFrom < 10) { return; }
    if (to > playedFrom) {
      fetch('/api/v1/viewings/' + id + '/played', {
        method: 'POST', credentials: 'same-origin', keepalive: true,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ camera: camera, from_ms: Math.round(origin + playedFrom * 1000), to_ms: Math.round(origin + to * 1000) })
      }).catch(function () {});
    }
    playedFrom = video.paused ? null : to;
  }

  ms.addEventListener('sourceopen', function () {
    ms.duration = duration;
    load(origin);
  });
  video.addEventListener('timeupdate', function () {
    var t = video.currentTime;
    if (!video.paused && !video.seeking) {
      if (playedFrom === null || t < lastTime || t - lastTime > 2) { report(true); playedFrom = t; }
      lastTime = t;
      report(false);
    }
    seek.value = String(t);
    watermark();
    skipUnrecorded();
    pump();
  });
  video.addEventListener('waiting', skipGap);
  // A stall the 'waiting' event missed (the next range arrived after it): look twice a second.
  setInterval(function () { if (!video.paused && !video.seeking && video.readyState < 3) { skipGap(); } }, 500);
  video.addEventListener('playing', function () { el.setAttribute('data-state', 'playing'); });
  video.addEventListener('pause', function () { report(true); el.setAttribute('data-state', 'paused'); });
  video.addEventListener('seeked', function () { watermark(); el.setAttribute('data-seeked', String(video.currentTime)); });

  // Seeking: inside what is buffered, at once; elsewhere, the chunk from there first.
  function seekTo(t) {
    skipping = null;
    t = Math.max(0, Math.min(duration, t));
    report(true);
    playedFrom = null;
    if (bufferedEnd(t) > t) { video.currentTime = t; return; }
    generation += 1;
    complete = false;
    loading = false;
    next = origin + t * 1000;
    load(next);
    var wait = function () {
      if (bufferedEnd(t) > t || video.buffered.length && video.buffered.end(video.buffered.length - 1) > t) {
        video.currentTime = t;
        if (bufferedEnd(t) <= t) { skipGap(); }
      } else if (el.getAttribute('data-state') !== 'refused') {
        setTimeout(wait, 50);
      }
    };
    wait();
  }
  seek.addEventListener('change', function () { seekTo(Number(seek.value)); });
  el.seekTo = seekTo; // for tests and keyboard shortcuts

  var play = document.getElementById('play');
  play.addEventListener('click', function () {
    if (video.paused) { video.play(); play.textContent = play.getAttribute('data-pause'); } else { video.pause(); play.textContent = play.getAttribute('data-play'); }
  });
  document.getElementById('frame-back').addEventListener('click', function () { video.pause(); seekTo(video.currentTime - 0.04); });
  document.getElementById('frame-fwd').addEventListener('click', function () { video.pause(); seekTo(video.currentTime + 0.04); });
  document.getElementById('speed').addEventListener('change', function (e) { video.playbackRate = Number(e.target.value); });

  // Printing a still (where the rules allow it): recorded first, then printed with the mark.
  var printButton = document.getElementById('print-still');
  if (printButton) {
    printButton.addEventListener('click', function () {
      video.pause();
      var at = Math.round(origin + video.currentTime * 1000);
      fetch('/api/v1/viewings/' + id + '/prints', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ camera: camera, at_ms: at })
      }).then(function (r) {
        return r.json().then(function (p) { if (!r.ok) { throw new Error(p.detail || p.title); } return p; });
      }).then(function (p) {
        var c = document.createElement('canvas');
        c.width = video.videoWidth;
        c.height = video.videoHeight;
        var g = c.getContext('2d');
        g.drawImage(video, 0, 0);
        var size = Math.max(14, Math.round(c.height / 24));
        g.font = size + 'px sans-serif';
        var lines = [el.getAttribute('data-watermark') + ' · ' + camera, p.recorded_at + ' (' + fmt(at) + ')', p.printed_at];
        g.fillStyle = 'rgba(0,0,0,0.55)';
        g.fillRect(0, c.height - size * 3.6, c.width, size * 3.6);
        g.fillStyle = '#fff';
        lines.forEach(function (line, i) { g.fillText(line, size / 2, c.height - size * (2.6 - 1.1 * i)); });
        g.save();
        g.translate(c.width / 2, c.height / 2);
        g.rotate(-0.35);
        g.globalAlpha = 0.3;
        g.textAlign = 'center';
        g.fillText(el.getAttribute('data-watermark'), 0, 0);
        g.restore();
        var area = document.getElementById('print-area');
        area.textContent = '';
        var img = document.createElement('img');
        img.alt = lines.join(' / ');
        img.src = c.toDataURL('image/png');
        area.appendChild(img);
        document.body.classList.add('print-still');
        window.print();
        document.body.classList.remove('print-still');
      }).catch(function (e) { showError(e.message); });
    });
  }

  window.addEventListener('pagehide', function () { report(true); });
  watermark();
})();
