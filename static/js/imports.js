/* The Imports page: drag-and-drop, one upload per file with its own progress bar, then polling of the JSON API
   (GET /api/v1/orgs/<slug>/imports/<id>/) every second until the batch succeeded or failed; the history's running
   rows and the batch page follow the same way. Without JavaScript the form posts normally and the page reloads. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var root = document.querySelector("[data-imports]");
  if (!root) return;
  var textsNode = document.getElementById("imports-i18n");
  var T = textsNode ? JSON.parse(textsNode.textContent) : {};

  function t(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(values[name]));
    });
    return text.split("%%").join("%");
  }

  function num(n) {
    return typeof n === "number" ? n.toLocaleString(document.documentElement.lang || undefined) : n;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function link(href, text, download) {
    var a = el("a", null, text);
    a.href = href;
    if (download) a.setAttribute("download", "");
    return a;
  }

  /* ---- progress bars ---------------------------------------------------------------------------------------- */

  function progressBlock() {
    var wrap = el("div", "import-progress");
    wrap.setAttribute("data-progress", "");
    var bar = el("div", "progress");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.appendChild(el("span"));
    wrap.appendChild(bar);
    var text = el("span", "progress-text");
    text.setAttribute("data-progress-text", "");
    wrap.appendChild(text);
    return wrap;
  }

  function setBar(wrap, fraction, text, status) {
    if (!wrap) return;
    var bar = wrap.querySelector(".progress");
    var fill = bar.querySelector("span");
    wrap.className = "import-progress" + (status ? " is-" + status : "");
    if (fraction === null || fraction === undefined) {
      bar.classList.add("indeterminate");
      bar.removeAttribute("aria-valuenow");
      fill.style.width = "0%";
    } else {
      var percent = Math.round(fraction * 100);
      bar.classList.remove("indeterminate");
      bar.setAttribute("aria-valuenow", String(percent));
      fill.style.width = percent + "%";
      text = text ? text + " · " + percent + " %" : percent + " %";
    }
    wrap.querySelector("[data-progress-text]").textContent = text || "";
  }

  function progressText(batch) {
    var p = batch.progress || {};
    if (p.total) return t("rows", {done: num(p.done || 0), total: num(p.total)});
    if (batch.status === "pending") return t("waiting");
    if (batch.status === "running") return p.done ? t("rows_done", {done: num(p.done)}) : t("reading");
    return "";
  }

  /* ---- polling one batch ------------------------------------------------------------------------------------ */

  var polling = {};  // url -> listeners: one request a second per batch, whoever shows it

  function poll(url, onUpdate) {
    if (polling[url]) { polling[url].push(onUpdate); return; }
    polling[url] = [onUpdate];
    function tick() {
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (batch) {
          var listeners = polling[url] || [];
          var finished = batch.status === "succeeded" || batch.status === "failed";
          if (finished) delete polling[url];
          listeners.forEach(function (listener) { listener(batch); });
          if (!finished) setTimeout(tick, POLL_MS);
        })
        .catch(function () { setTimeout(tick, POLL_MS * 3); });
    }
    tick();
  }

  /* ---- history rows and the batch page follow their running batches ----------------------------------------- */

  function statusTag(node, status) {
    var tag = node.querySelector("[data-status-label]");
    if (!tag) return;
    tag.className = "tag status-tag status-" + status;
    tag.textContent = t(status);
  }

  var followed = {};  // api url -> true while the rows showing that batch are followed

  function updateRows(url, batch) {
    document.querySelectorAll("[data-api]").forEach(function (row) {
      if (row.getAttribute("data-api") !== url) return;
      row.setAttribute("data-status", batch.status);
      statusTag(row, batch.status);
      var cell = row.querySelector("[data-status-cell]");
      var wrap = cell && cell.querySelector("[data-progress]");
      if (cell && !wrap) { wrap = progressBlock(); cell.appendChild(wrap); }
      setBar(wrap, batch.progress ? batch.progress.fraction : null, progressText(batch), batch.status);
    });
  }

  function followRows(scope) {
    scope.querySelectorAll("[data-poll]").forEach(function (row) {
      var url = row.getAttribute("data-poll");
      if (followed[url]) return;
      followed[url] = true;
      poll(url, function (batch) {
        updateRows(url, batch);
        if (batch.status === "succeeded" || batch.status === "failed") {
          delete followed[url];
          if (document.querySelector("[data-reload][data-api='" + url + "']")) { window.location.reload(); return; }
          refreshHistory();
        }
      });
    });
  }

  var refreshTimer = null;

  function refreshHistory() {
    var history = document.querySelector("[data-history]");
    if (!history) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("[data-history]");
          if (!fresh) return;
          history.innerHTML = fresh.innerHTML;
          followRows(history);
        });
    }, 150);
  }

  /* ---- the upload form ---------------------------------------------------------------------------------------- */

  var form = root.querySelector("[data-upload-form]");
  if (form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-dropzone]");
    var summary = form.querySelector("[data-file-summary]");
    var formMessage = form.querySelector("[data-form-message]");
    var button = form.querySelector("[data-upload-button]");
    var queue = root.querySelector("[data-upload-queue]");

    var showSelection = function () {
      var files = Array.prototype.slice.call(input.files || []);
      summary.textContent = files.length ? t("selected", {count: files.length}) + ": " +
        files.map(function (f) { return f.name; }).join(", ") : "";
      zone.classList.toggle("has-files", files.length > 0);
    };
    input.addEventListener("change", showSelection);

    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        if (event.target === zone) zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        showSelection();
      }
    });

    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return; // the plain form post
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files || []);
      formMessage.textContent = "";
      if (!files.length) { formMessage.textContent = t("no_files"); return; }
      var base = new FormData(form);
      base.delete("files");
      button.disabled = true;
      var items = files.map(function (file) { return queueItem(file); });
      var next = 0;
      (function uploadNext() {
        if (next >= files.length) {
          button.disabled = false;
          input.value = "";
          showSelection();
          var mapping = items.filter(function (item) { return item.mappingUrl; });
          if (files.length === 1 && mapping.length === 1) window.location.href = mapping[0].mappingUrl;
          return;
        }
        var i = next++;
        upload(files[i], base, items[i], uploadNext);
      })();
    });

    function queueItem(file) {
      var li = el("li", "upload-item");
      li.setAttribute("data-upload", file.name);
      var head = el("div", "upload-item-head");
      head.appendChild(el("strong", "upload-name", file.name));
      var status = el("span", "tag status-tag status-pending", t("pending"));
      status.setAttribute("data-status-label", "");
      head.appendChild(status);
      li.appendChild(head);
      var wrap = progressBlock();
      li.appendChild(wrap);
      var message = el("p", "upload-message muted");
      li.appendChild(message);
      var links = el("p", "upload-links");
      li.appendChild(links);
      queue.insertBefore(li, queue.firstChild);
      setBar(wrap, null, "", "pending");
      return {li: li, wrap: wrap, message: message, links: links, status: status};
    }

    function finish(item, batch, result) {
      var failed = batch.status === "failed";
      statusTag(item.li, batch.status);
      item.li.setAttribute("data-status", batch.status);
      setBar(item.wrap, failed ? (batch.progress && batch.progress.fraction) || 0 : 1, progressText(batch), batch.status);
      item.message.textContent = batch.message || (result && result.message) || "";
      item.message.classList.toggle("down", failed);
      item.links.textContent = "";
      item.links.appendChild(link(result.batch.detail_url, t("details")));
      if (batch.errors_total || (batch.errors && batch.errors.length)) {
        item.links.appendChild(document.createTextNode(" · "));
        item.links.appendChild(link(result.batch.errors_url, t("error_report"), true));
      }
      refreshHistory();
    }

    function upload(file, base, item, done) {
      var data = new FormData();
      base.forEach(function (value, key) { data.append(key, value); });
      data.append("files", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var percent = Math.round(event.loaded / event.total * 100);
        setBar(item.wrap, null, t("uploading", {percent: percent}), "pending");
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 403) {
          failItem(item, t("refused"));
        } else if (xhr.status === 400 && body && body.errors) {
          failItem(item, Object.keys(body.errors).map(function (k) { return body.errors[k].join(" "); }).join(" "));
        } else if (xhr.status >= 200 && xhr.status < 300 && body && body.results && body.results.length) {
          handleResult(item, body.results[0]);
        } else {
          failItem(item, t("network"));
        }
        done();
      });
      xhr.addEventListener("error", function () { failItem(item, t("network")); done(); });
      xhr.send(data);
    }

    function failItem(item, message) {
      item.status.className = "tag status-tag status-failed";
      item.status.textContent = t("failed");
      item.li.setAttribute("data-status", "failed");
      setBar(item.wrap, 0, "", "failed");
      item.message.textContent = message;
      item.message.classList.add("down");
    }

    function handleResult(item, result) {
      if (result.outcome === "error") { failItem(item, result.message); return; }
      if (result.outcome === "mapping") {
        item.status.className = "tag status-tag status-mapping";
        item.status.textContent = t("map_link");
        item.li.setAttribute("data-status", "mapping");
        setBar(item.wrap, 0, "", "pending");
        item.message.textContent = result.message;
        item.links.appendChild(link(result.mapping_url, t("map_link") + " →"));
        item.mappingUrl = result.mapping_url;
        return;
      }
      var batch = result.batch;
      item.li.setAttribute("data-batch", batch.id);
      item.message.textContent = result.outcome === "duplicate" ? t("duplicate") : "";
      statusTag(item.li, batch.status);
      setBar(item.wrap, batch.progress ? batch.progress.fraction : null, progressText(batch), batch.status);
      poll(batch.api_url, function (fresh) {
        if (fresh.status === "succeeded" || fresh.status === "failed") {
          finish(item, fresh, result);
        } else {
          statusTag(item.li, fresh.status);
          setBar(item.wrap, fresh.progress ? fresh.progress.fraction : null, progressText(fresh), fresh.status);
        }
      });
    }
  }

  /* ---- confirm before deleting a template ------------------------------------------------------------------- */

  root.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) event.preventDefault();
  });

  followRows(document);
})();
