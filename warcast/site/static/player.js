/* warcast episode page: the transcript follows the audio, and a click on a passage seeks.
   Works without this script too: every timestamp is a link to ?t=SECONDS. */
(function () {
  "use strict";
  var audio = document.querySelector("audio");
  var passages = Array.prototype.slice.call(document.querySelectorAll("[data-start]"))
    .filter(function (el) { return el.closest(".transcript"); });
  if (!audio) { return; }
  var starts = passages.map(function (el) { return parseFloat(el.getAttribute("data-start")); });
  var current = null;
  var follow = true;

  function seek(seconds, play) {
    if (!isFinite(seconds) || seconds < 0) { return; }
    audio.currentTime = seconds;
    if (play) { var p = audio.play(); if (p && p.catch) { p.catch(function () {}); } }
  }

  function startFromUrl() {
    var t = new URLSearchParams(window.location.search).get("t");
    if (t === null) { return; }
    var seconds = parseFloat(t);
    if (!isFinite(seconds) || seconds < 0) { return; }
    if (audio.readyState >= 1) { seek(seconds, false); }
    else { audio.addEventListener("loadedmetadata", function () { seek(seconds, false); }, { once: true }); }
    try { audio.currentTime = seconds; } catch (e) { /* before metadata: set again on load */ }
    highlight(seconds, true);
  }

  function indexAt(seconds) {
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= seconds + 0.05) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function highlight(seconds, scroll) {
    var i = indexAt(seconds);
    var el = i >= 0 ? passages[i] : null;
    if (el === current) { return; }
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    current = el;
    if (!el) { return; }
    el.classList.add("current");
    el.setAttribute("aria-current", "true");
    if (scroll && follow) { el.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-seek], .transcript [data-start]");
    if (!target || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) { return; }
    var link = event.target.closest("a");
    if (link && !link.hasAttribute("data-seek") && !link.classList.contains("stamp")) { return; }
    if (window.getSelection && String(window.getSelection()).length > 0 && !link) { return; }
    event.preventDefault();
    var seconds = parseFloat(target.getAttribute("data-seek") || target.getAttribute("data-start"));
    seek(seconds, true);
    highlight(seconds, false);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "?t=" + Math.floor(seconds));
    }
  });

  var box = document.querySelector(".transcript");
  if (box) {
    box.addEventListener("wheel", function () { follow = false; }, { passive: true });
    box.addEventListener("touchmove", function () { follow = false; }, { passive: true });
  }
  audio.addEventListener("play", function () { follow = true; });
  audio.addEventListener("seeked", function () { highlight(audio.currentTime, true); });
  audio.addEventListener("timeupdate", function () { highlight(audio.currentTime, !audio.paused); });
  startFromUrl();
})();
