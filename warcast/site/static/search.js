/* warcast search page: full-text search over the public transcripts with no server.
   The index is a Pagefind bundle made by `warcast publish`; each result links to the
   episode page at the moment the words are spoken (?t=SECONDS). */
(function () {
  "use strict";
  var script = document.currentScript;
  var bundle = new URL(script.getAttribute("data-bundle"), window.location.href).href;
  var root = new URL(script.getAttribute("data-root"), window.location.href);
  var merge = script.getAttribute("data-merge");
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("status");
  var list = document.getElementById("results");
  var engine = null;

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }

  /* An excerpt as DOM nodes: only <mark> is kept, everything else is shown as text. */
  function excerpt(html) {
    var box = document.createElement("p");
    var parts = String(html).split(/(<mark>|<\/mark>)/);
    var marked = false;
    var decoder = document.createElement("textarea");
    parts.forEach(function (part) {
      if (part === "<mark>") { marked = true; return; }
      if (part === "</mark>") { marked = false; return; }
      decoder.innerHTML = part.replace(/</g, "&lt;");
      var node = document.createTextNode(decoder.value);
      if (marked) { var m = document.createElement("mark"); m.appendChild(node); box.appendChild(m); }
      else { box.appendChild(node); }
    });
    return box;
  }

  function clock(seconds) {
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    var ss = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
  }

  /* "/episodes/slug/#t754" -> the page at ?t=754 (absolute, on this host). */
  function moment(url) {
    var target = new URL(url, root);
    var match = /^#t(\d+)$/.exec(target.hash);
    target.hash = "";
    if (match) { target.search = "?t=" + match[1]; }
    return { href: target.href, seconds: match ? parseInt(match[1], 10) : null };
  }

  async function load() {
    if (!engine) {
      engine = await import(bundle);
      await engine.options({ baseUrl: root.pathname, excerptLength: 24 });
      await engine.init();
      if (merge) {   /* the archive of older episodes, indexed apart */
        await engine.mergeIndex(new URL(merge, window.location.href).pathname,
                                { baseUrl: root.pathname });
      }
    }
    return engine;
  }

  async function run(query) {
    list.textContent = "";
    if (!query.trim()) { status.textContent = ""; return; }
    status.textContent = "Searching…";
    var pf;
    try { pf = await load(); }
    catch (e) { status.textContent = "Search is not available on this copy of the site."; return; }
    var found = await pf.search(query);
    var results = await Promise.all(found.results.slice(0, 20).map(function (r) { return r.data(); }));
    var count = 0;
    results.forEach(function (data) {
      var title = (data.meta && data.meta.title) || data.url;
      var subs = (data.sub_results || []).filter(function (s) { return /#t\d+$/.test(s.url); });
      if (!subs.length) { subs = [{ url: data.url, excerpt: data.excerpt }]; }
      subs.slice(0, 3).forEach(function (sub) {
        var where = moment(sub.url);
        var item = document.createElement("li");
        var link = text("a", title);
        link.href = where.href;
        item.appendChild(link);
        if (where.seconds !== null) { item.appendChild(text("span", " · " + clock(where.seconds), "meta")); }
        item.appendChild(excerpt(sub.excerpt || ""));
        list.appendChild(item);
        count += 1;
      });
    });
    status.textContent = count ? count + (count === 1 ? " result" : " results") + " for “" + query + "”"
      : "No results for “" + query + "”";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value;
    window.history.replaceState(null, "", "?q=" + encodeURIComponent(query));
    run(query);
  });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; run(initial); }
})();
