/* warcast edit: correct an episode's transcript against its audio, then save it.
   The page holds the cues (start, end, speaker, timed words); edits change them here, and
   Save sends them to the server, which writes transcript.vtt. */
(function () {
  "use strict";
  var audio = document.getElementById("audio");
  var list = document.getElementById("cues");
  var status = document.getElementById("status");
  var dialog = document.getElementById("rename");
  var cues = [];
  var names = [];
  var dirty = false;
  var stopAt = null;

  function clock(seconds) {
    var tenths = Math.round(seconds * 10), m = Math.floor(tenths / 600);
    var s = (tenths - m * 600) / 10;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(1);
  }

  function say(text) { status.textContent = text; }

  function changed() {
    dirty = true;
    document.body.classList.add("unsaved");
    say("Unsaved changes");
  }

  function load() {
    return fetch("api/transcript").then(function (r) { return r.json(); }).then(function (doc) {
      if (doc.error) { say(doc.error); return; }
      cues = doc.cues;
      names = doc.names;
      render();
    });
  }

  function spread(tokens, start, end) {
    var total = tokens.reduce(function (n, t) { return n + t.length; }, 0) || 1, done = 0;
    return tokens.map(function (t) {
      var a = start + (end - start) * done / total;
      done += t.length;
      return { start: a, end: start + (end - start) * done / total, text: t, suggest: null, unsure: false };
    });
  }

  /* Read what was typed back into the cues; words whose text changed lose their timings
     here (the server aligns them again on save). */
  function sync() {
    Array.prototype.forEach.call(list.querySelectorAll(".cue"), function (el) {
      var cue = cues[+el.dataset.index];
      var tokens = el.querySelector(".text").textContent.split(/\s+/).filter(Boolean);
      var same = tokens.length === cue.words.length && tokens.every(function (t, i) {
        return t === cue.words[i].text;
      });
      if (!same) { cue.words = spread(tokens, cue.start, cue.end); }
    });
  }

  function render() {
    list.textContent = "";
    var datalist = document.getElementById("names");
    datalist.textContent = "";
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      datalist.appendChild(option);
    });
    cues.forEach(function (cue, i) { list.appendChild(cueElement(cue, i)); });
  }

  function cueElement(cue, i) {
    var el = document.createElement("div");
    el.className = "cue";
    el.dataset.index = i;
    var who = document.createElement("div");
    var speaker = document.createElement("button");
    speaker.type = "button";
    speaker.className = "speaker";
    speaker.textContent = cue.speaker || "(no speaker)";
    speaker.addEventListener("click", function () { rename(i); });
    var time = document.createElement("time");
    time.textContent = clock(cue.start) + " – " + clock(cue.end);
    who.append(speaker, time);
    var text = document.createElement("p");
    text.className = "text";
    text.contentEditable = "true";
    text.spellcheck = true;
    cue.words.forEach(function (word, k) {
      if (k) { text.appendChild(document.createTextNode(" ")); }
      var span = document.createElement("span");
      span.className = "word" + (word.suggest ? " suggest" : "") + (word.unsure ? " unsure" : "");
      if (word.unsure) { span.title = "Whisper was unsure of this word"; }
      span.dataset.start = word.start;
      span.dataset.end = word.end;
      if (word.suggest) { span.title = "Glossary: " + word.suggest; }
      span.textContent = word.text;
      text.appendChild(span);
    });
    text.addEventListener("input", changed);
    text.addEventListener("click", function (event) {
      var span = event.target.closest(".word");
      if (span) { hear(+span.dataset.start, +span.dataset.end); }
    });
    var tools = document.createElement("div");
    tools.className = "tools";
    tools.append(button("Split", "split", function () { splitAtCaret(i); }),
                 button("Join next", "join", function () { join(i); }));
    cue.words.forEach(function (word, k) {
      if (!word.suggest) { return; }
      tools.appendChild(button(word.text + " → " + word.suggest, "suggestion", function () {
        sync();
        if (cues[i].words[k] && cues[i].words[k].text === word.text) {
          cues[i].words[k] = Object.assign({}, cues[i].words[k], { text: word.suggest, suggest: null, unsure: false });
          changed();
          render();
        }
      }));
    });
    el.append(who, text, tools);
    return el;
  }

  function button(label, name, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = name;
    b.textContent = label;
    b.addEventListener("click", action);
    return b;
  }

  function hear(start, end) {
    audio.currentTime = Math.max(0, start - 0.05);
    stopAt = end + 0.15;
    var p = audio.play();
    if (p && p.catch) { p.catch(function () {}); }
  }

  audio.addEventListener("timeupdate", function () {
    if (stopAt !== null && audio.currentTime >= stopAt) { audio.pause(); stopAt = null; }
    var t = audio.currentTime;
    Array.prototype.forEach.call(list.querySelectorAll(".word"), function (span) {
      span.classList.toggle("playing", +span.dataset.start <= t && t < +span.dataset.end);
    });
  });

  /* The cue's words split before the word the caret is in (or after). */
  function splitAtCaret(i) {
    sync();
    var el = list.querySelector('.cue[data-index="' + i + '"] .text');
    var k = caretWord(el);
    var cue = cues[i];
    if (k <= 0 || k >= cue.words.length) { say("Put the caret inside the cue, after its first word"); return; }
    var at = cue.words[k].start;
    var second = { start: at, end: cue.end, speaker: cue.speaker, words: cue.words.slice(k) };
    cues.splice(i, 1, { start: cue.start, end: at, speaker: cue.speaker, words: cue.words.slice(0, k) }, second);
    changed();
    render();
  }

  function caretWord(el) {
    var selection = window.getSelection();
    if (!selection.rangeCount || !el.contains(selection.anchorNode)) { return -1; }
    var range = document.createRange();
    range.selectNodeContents(el);
    range.setEnd(selection.anchorNode, selection.anchorOffset);
    var before = range.toString(), after = el.textContent.charAt(before.length);
    var count = before.split(/\s+/).filter(Boolean).length;
    if (!before || /\s$/.test(before)) { return count; }   /* at a word's start */
    return !after || /\s/.test(after) ? count : count - 1; /* after a word, or inside one */
  }

  function join(i) {
    sync();
    if (i + 1 >= cues.length) { say("This is the last cue"); return; }
    var a = cues[i], b = cues[i + 1];
    cues.splice(i, 2, { start: a.start, end: b.end, speaker: a.speaker, words: a.words.concat(b.words) });
    changed();
    render();
  }

  function turnOf(i) {
    var who = cues[i].speaker, first = i, last = i;
    while (first > 0 && cues[first - 1].speaker === who) { first--; }
    while (last + 1 < cues.length && cues[last + 1].speaker === who) { last++; }
    return [first, last];
  }

  function rename(i) {
    sync();
    var old = cues[i].speaker;
    var input = document.getElementById("rename-name");
    input.value = old || "";
    document.getElementById("rename-old").textContent = old || "(no speaker)";
    dialog.onclose = function () {
      var name = input.value.trim().replace(/\s+/g, " ");
      if (!name || dialog.returnValue === "cancel" || !dialog.returnValue) { return; }
      if (dialog.returnValue === "all") {
        cues.forEach(function (cue) { if (cue.speaker === old) { cue.speaker = name; } });
      } else {
        var turn = turnOf(i);
        for (var k = turn[0]; k <= turn[1]; k++) { cues[k].speaker = name; }
      }
      if (names.indexOf(name) < 0) { names.push(name); }
      changed();
      render();
    };
    dialog.returnValue = "";
    dialog.showModal();
  }

  function nextToCheck() {
    var t = audio.currentTime + 0.01;
    var spans = Array.prototype.slice.call(list.querySelectorAll(".word.suggest, .word.unsure"));
    var next = spans.filter(function (s) { return +s.dataset.start > t; })[0] || spans[0];
    if (!next) { say("No word to check"); return; }
    audio.currentTime = +next.dataset.start;
    var range = document.createRange();
    range.selectNodeContents(next);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    next.scrollIntoView({ block: "center" });
  }

  function save() {
    sync();
    var body = cues.map(function (cue) {
      return { start: cue.start, end: cue.end, speaker: cue.speaker,
               text: cue.words.map(function (w) { return w.text; }).join(" ") };
    });
    say("Saving…");
    return fetch("api/transcript", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ cues: body })
    }).then(function (r) { return r.json(); }).then(function (answer) {
      if (answer.error) { say("Not saved: " + answer.error); return; }
      dirty = false;
      document.body.classList.remove("unsaved");
      return load().then(function () { say("Saved " + answer.saved + " cues"); });
    }).catch(function (err) { say("Not saved: " + err); });
  }

  document.getElementById("save").addEventListener("click", save);
  document.addEventListener("keydown", function (event) {
    var key = event.key.toLowerCase();
    var handled = true;
    if (event.ctrlKey && key === "s") { save(); }
    else if (event.altKey && key === "p") { if (audio.paused) { audio.play(); } else { audio.pause(); } }
    else if (event.altKey && key === "b") { audio.currentTime = Math.max(0, audio.currentTime - 5); }
    else if (event.altKey && key === "n") { nextToCheck(); }
    else if (event.altKey && key === "s" || event.altKey && key === "j") {
      var el = document.activeElement && document.activeElement.closest(".cue");
      if (el) { (key === "s" ? splitAtCaret : join)(+el.dataset.index); }
    } else { handled = false; }
    if (handled) { event.preventDefault(); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  load();
})();
