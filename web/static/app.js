// Workbench page behaviour: clicking a finding, a transcript line or the
// waveform seeks the player; the waveform cursor and the current transcript
// line follow playback; the scorecard selector applies at once. Everything
// else works without JavaScript.
(function () {
  "use strict";
  // Picking another scorecard version reloads the page with it.
  var pick = document.getElementById("scorecard");
  if (pick && pick.form) {
    pick.addEventListener("change", function () { pick.form.submit(); });
  }

  var player = document.getElementById("player");
  if (!player) return;
  var wave = document.querySelector("#wave svg");
  var duration = wave ? parseFloat(wave.getAttribute("data-duration")) : 0;
  var lines = Array.prototype.slice.call(document.querySelectorAll("#lines .line"));

  function seek(t) {
    if (isNaN(t)) return;
    player.currentTime = t;
    var p = player.play();
    if (p && p.catch) p.catch(function () {});
  }

  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-seek]");
    if (el && (el.closest("#findings") || el.closest("#lines") || el.closest("#wave"))) {
      seek(parseFloat(el.getAttribute("data-seek")));
      var idx = el.getAttribute("data-finding");
      document.querySelectorAll("#findings li.active").forEach(function (li) { li.classList.remove("active"); });
      if (idx !== null) {
        var btn = document.querySelector('#findings [data-finding="' + idx + '"]');
        if (btn) btn.closest("li").classList.add("active");
      }
      return;
    }
    if (wave && e.target.closest("#wave svg") && duration > 0) {
      var box = wave.getBoundingClientRect();
      seek((e.clientX - box.left) / box.width * duration);
    }
  });

  var cursor = wave ? wave.querySelector(".cursor") : null;
  player.addEventListener("timeupdate", function () {
    var t = player.currentTime;
    if (cursor && duration > 0) {
      var x = Math.min(1000, t / duration * 1000).toFixed(2);
      cursor.setAttribute("x1", x);
      cursor.setAttribute("x2", x);
    }
    lines.forEach(function (li) {
      var s = parseFloat(li.getAttribute("data-seek")), en = parseFloat(li.getAttribute("data-end"));
      li.classList.toggle("now", t >= s && t < en);
    });
  });
})();
