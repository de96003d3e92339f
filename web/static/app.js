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

  // Overturning needs a reason: said at once, on the finding (the server
  // says the same when scripts are off).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f.classList || !f.classList.contains("review")) return;
    var b = e.submitter;
    if (!b || b.value !== "overturn" || f.comment.value.trim() !== "") return;
    e.preventDefault();
    var msg = f.parentNode.querySelector(".form-error");
    if (!msg) {
      msg = document.createElement("p");
      msg.className = "err form-error";
      msg.setAttribute("role", "alert");
      f.parentNode.insertBefore(msg, f);
    }
    msg.textContent = "推翻时请填写理由";
    f.comment.focus();
  });

  var player = document.getElementById("player");
  if (!player) return;
  // A recording that cannot be played says why instead of 0:00/0:00: the
  // server's status for it (HEAD is not a listen in the audit trail).
  var playerError = document.getElementById("player-error");
  player.addEventListener("error", function () {
    if (!playerError) return;
    playerError.hidden = false;
    var why = {404: "录音文件不存在", 422: "录音无法解码", 401: "会话已过期，请重新登录", 403: "无权收听"};
    fetch(player.currentSrc || player.src, {method: "HEAD", credentials: "same-origin"}).then(function (r) {
      playerError.textContent = "录音无法播放：" + (why[r.status] || (r.ok ? "浏览器无法解码，请刷新页面重试" : "服务器错误 " + r.status));
    }, function () {
      playerError.textContent = "录音无法播放：网络中断，请刷新页面重试";
    });
  });

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
