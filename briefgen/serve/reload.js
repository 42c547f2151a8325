/* briefgen serve: live reload for the preview. Served by `briefgen serve` only,
   never written into the site. Reloads this page when its file changed, swaps
   stylesheets when only CSS changed, keeps the scroll position across reloads,
   reconnects after a server restart and shows build errors as an overlay. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.EventSource) return;
  var page = me.dataset.page;
  var server = me.dataset.server;
  var version = Number(me.dataset.version);
  var scrollKey = "briefgen-scroll:" + location.pathname;
  var reloading = false;

  function restoreScroll() {
    var saved = null;
    try { saved = sessionStorage.getItem(scrollKey); } catch (e) { return; }
    if (saved === null) return;
    var xy = saved.split(",").map(Number);
    var put = function () { window.scrollTo(xy[0], xy[1]); };
    put();
    window.addEventListener("load", function () {
      put();
      try { sessionStorage.removeItem(scrollKey); } catch (e) { /* private mode */ }
    });
  }

  function reload() {
    if (reloading) return;
    reloading = true;
    try { sessionStorage.setItem(scrollKey, window.scrollX + "," + window.scrollY); } catch (e) { /* private mode */ }
    location.reload();
  }

  /* static/style.0123456789.css -> static/style.css: the name without its content hash */
  function logical(path) {
    return path.replace(/^\/+/, "").replace(/\.[0-9a-f]{10}(\.[a-z0-9]+)$/, "$1");
  }

  function swapStylesheets(newPaths) {
    var links = document.querySelectorAll('link[rel~="stylesheet"]');
    var swapped = 0;
    Array.prototype.forEach.call(links, function (link) {
      var current = new URL(link.href, location.href);
      if (current.origin !== location.origin) return;
      newPaths.forEach(function (path) {
        if (logical(current.pathname) !== logical(path)) return;
        var fresh = link.cloneNode();
        fresh.href = "/" + path;
        fresh.addEventListener("load", function () { link.remove(); });
        fresh.addEventListener("error", function () { link.remove(); });
        link.after(fresh);
        swapped += 1;
      });
    });
    return swapped;
  }

  function showProblems(problems) {
    var old = document.getElementById("briefgen-problems");
    if (old) old.remove();
    if (!problems || !problems.length) return;
    var box = document.createElement("div");
    box.id = "briefgen-problems";
    box.setAttribute("role", "alert");
    box.style.cssText = "all:initial;position:fixed;z-index:2147483647;left:0;right:0;bottom:0;max-height:60vh;" +
      "overflow:auto;background:#2b0b0e;color:#ffe9e9;border-top:4px solid #e5484d;padding:12px 16px;" +
      "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;box-shadow:0 -4px 16px rgba(0,0,0,.4)";
    var title = document.createElement("strong");
    title.textContent = "briefgen: the last save did not build; this is the last good version.";
    title.style.cssText = "display:block;margin-bottom:6px;font:inherit;font-weight:bold;color:#fff";
    box.appendChild(title);
    /* errors stopped the build and come first, marked; warnings only advise */
    var errors = problems.filter(function (p) { return p.severity !== "warning"; });
    var warnings = problems.filter(function (p) { return p.severity === "warning"; });
    errors.concat(warnings).forEach(function (p) {
      var error = p.severity !== "warning";
      var line = document.createElement("div");
      line.className = "briefgen-problem briefgen-problem--" + (error ? "error" : "warning");
      line.style.cssText = "white-space:pre-wrap;font:inherit;margin:2px 0;" +
        (error ? "font-weight:bold;color:#fff;border-left:4px solid #e5484d;padding-left:8px" : "opacity:.8;padding-left:12px");
      var where = p.line ? p.path + ":" + p.line : p.path;
      line.textContent = (error ? "error (stopped the build): " : "warning: ") + where + ": " + p.message +
        (p.hint ? " (" + p.hint + ")" : "");
      box.appendChild(line);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Hide";
    close.style.cssText = "position:absolute;top:8px;right:12px;font:12px sans-serif;cursor:pointer";
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    (document.body || document.documentElement).appendChild(box);
  }

  function onBuilt(d) {
    version = d.version;
    window.briefgenLive = { version: version };
    showProblems([]);
    var mine = d.changed.indexOf(page) !== -1 || d.removed.indexOf(page) !== -1;
    if (mine || d.reload_all) { reload(); return; }
    if (d.css.length && swapStylesheets(d.css) === 0 && d.changed.length) reload();
  }

  function connect() {
    /* the page says which file it shows, so that a rebuild can render the open pages first */
    var source = new EventSource("/__briefgen/events?page=" + encodeURIComponent(page));
    source.addEventListener("hello", function (e) {
      var d = JSON.parse(e.data);
      /* another server run, or builds we missed while disconnected: this page may be stale */
      if (d.server !== server || d.version !== version) { reload(); return; }
      window.briefgenLive = { version: version }; /* connected and current (tests wait for this) */
      showProblems(d.problems);
    });
    source.addEventListener("built", function (e) { onBuilt(JSON.parse(e.data)); });
    source.addEventListener("failed", function (e) { showProblems(JSON.parse(e.data).problems); });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, 1000);
      }
    });
  }

  restoreScroll();
  connect();
})();
