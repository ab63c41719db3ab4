// The little behaviour the pages need; every feature also works without it.
(function () {
  "use strict";

  // Destructive actions: confirm in a dialog that names the object.
  var dialog = document.getElementById("confirm-dialog");
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var message = form.getAttribute("data-confirm");
    if (!message || form.dataset.confirmed === "1") return;
    e.preventDefault();
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(message)) accept(form);
      return;
    }
    document.getElementById("confirm-message").textContent = message;
    dialog.returnValue = "";
    dialog.onclose = function () {
      if (dialog.returnValue === "ok") accept(form);
    };
    dialog.showModal();
  });
  function accept(form) {
    form.dataset.confirmed = "1";
    var field = form.querySelector("input[name=confirmed]");
    if (field) field.value = "1";
    form.submit();
  }

  // The pencil icon opens the password field in place.
  document.addEventListener("click", function (e) {
    var pencil = e.target.closest("[data-reveal]");
    if (!pencil) return;
    e.preventDefault();
    var target = document.getElementById(pencil.getAttribute("data-reveal"));
    if (!target) return;
    target.hidden = false;
    var wrapper = pencil.closest(".password-static");
    if (wrapper) wrapper.hidden = true;
    var input = target.querySelector("input");
    if (input) { input.disabled = false; input.focus(); }
  });

  // Permission tree: a menu's box checks all its actions; the box reflects its children.
  function syncMenu(fieldset) {
    var toggle = fieldset.querySelector("[data-menu-toggle]");
    var boxes = fieldset.querySelectorAll("input[name=permissions]");
    var checked = 0;
    boxes.forEach(function (b) { if (b.checked) checked++; });
    toggle.checked = checked === boxes.length && boxes.length > 0;
    toggle.indeterminate = checked > 0 && checked < boxes.length;
  }
  document.querySelectorAll("[data-perm-menu]").forEach(function (fieldset) {
    syncMenu(fieldset);
    fieldset.addEventListener("change", function (e) {
      if (e.target.hasAttribute("data-menu-toggle")) {
        fieldset.querySelectorAll("input[name=permissions]").forEach(function (b) {
          b.checked = e.target.checked;
        });
      }
      syncMenu(fieldset);
    });
  });

  // Selects that reload their form (organization pickers).
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-autosubmit]")) e.target.form.submit();
  });

  // Image viewer: a link marked data-viewer opens its image in a dialog instead of a new page;
  // links with the same data-viewer value page through together (arrows, swipe-free buttons).
  // Without script the link simply opens the image.
  var viewer = null;
  var shown = { links: [], index: 0 };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function buildViewer() {
    var d = el("dialog", "viewer");
    d.setAttribute("aria-label", "图片查看");
    var figure = el("figure", "viewer-figure");
    var img = el("img", "viewer-image");
    img.alt = "";
    var caption = el("figcaption", "viewer-caption");
    figure.appendChild(img);
    figure.appendChild(caption);
    var bar = el("div", "viewer-bar");
    var prev = el("button", "btn viewer-prev", "‹ 上一张");
    var next = el("button", "btn viewer-next", "下一张 ›");
    var open = el("a", "btn viewer-open", "查看原图");
    open.target = "_blank";
    open.rel = "noopener";
    var close = el("button", "btn viewer-close", "关闭");
    [prev, next, close].forEach(function (b) { b.type = "button"; });
    bar.appendChild(prev);
    bar.appendChild(next);
    bar.appendChild(open);
    bar.appendChild(close);
    d.appendChild(figure);
    d.appendChild(bar);
    prev.addEventListener("click", function () { step(-1); });
    next.addEventListener("click", function () { step(1); });
    close.addEventListener("click", function () { d.close(); });
    // A click on the backdrop (the dialog itself, outside its content) closes it.
    d.addEventListener("click", function (e) { if (e.target === d) d.close(); });
    d.addEventListener("keydown", function (e) {
      if (e.key === "ArrowLeft") step(-1);
      if (e.key === "ArrowRight") step(1);
    });
    document.body.appendChild(d);
    return d;
  }
  function show() {
    var link = shown.links[shown.index];
    var img = viewer.querySelector(".viewer-image");
    img.src = link.getAttribute("href");
    img.alt = link.getAttribute("title") || "";
    var caption = link.getAttribute("data-caption") || link.getAttribute("title") || "";
    var many = shown.links.length > 1;
    viewer.querySelector(".viewer-caption").textContent =
      many ? caption + "(" + (shown.index + 1) + "/" + shown.links.length + ")" : caption;
    viewer.querySelector(".viewer-open").href = link.getAttribute("href");
    viewer.querySelector(".viewer-prev").hidden = !many;
    viewer.querySelector(".viewer-next").hidden = !many;
  }
  function step(by) {
    var n = shown.links.length;
    shown.index = (shown.index + by + n) % n;
    show();
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest("a[data-viewer]");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    if (!viewer) viewer = buildViewer();
    if (typeof viewer.showModal !== "function") return;
    e.preventDefault();
    var name = link.getAttribute("data-viewer");
    shown.links = Array.prototype.filter.call(
      document.querySelectorAll("a[data-viewer]"),
      function (a) { return a.getAttribute("data-viewer") === name; }
    );
    shown.index = Math.max(0, shown.links.indexOf(link));
    show();
    viewer.showModal();
  });

  // Phones: the menu slides in.
  document.addEventListener("click", function (e) {
    if (!e.target.closest("[data-toggle-menu]")) return;
    var sidebar = document.getElementById("sidebar");
    if (sidebar) sidebar.classList.toggle("open");
  });
})();

// 整改通知书: print button.
document.addEventListener("click", function (e) {
  if (e.target.closest("[data-print]")) window.print();
});

// 企业签字: a pad drawn with finger, pen or mouse; each finished stroke puts the drawing, as a
// PNG, into the form's file input, so it is uploaded like any other file. Without script the
// file input stays visible and a signature image can be chosen instead.
document.querySelectorAll("[data-signature-pad]").forEach(function (pad) {
  "use strict";
  var canvas = pad.querySelector("[data-signature-canvas]");
  var input = pad.querySelector("[data-signature-file]");
  var state = pad.querySelector("[data-signature-state]");
  if (!canvas || !input || !canvas.getContext || typeof DataTransfer !== "function") return;
  input.hidden = true;
  pad.classList.add("ready");
  var ctx = canvas.getContext("2d");
  var drawn = false;
  var last = null;

  // The bitmap follows the pad's width on screen (and the screen's pixel density), so strokes
  // land under the finger; resizing an unsigned pad costs nothing.
  function fit() {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth;
    var height = canvas.clientHeight;
    if (!width || !height) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
  }
  function point(e) {
    var r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }
  function setState(text) { if (state) state.textContent = text; }
  function store() {
    canvas.toBlob(function (blob) {
      if (!blob || !drawn) return;
      var files = new DataTransfer();
      files.items.add(new File([blob], "企业签字.png", { type: "image/png" }));
      input.files = files.files;
      setState("已签字");
    }, "image/png");
  }
  function clear() {
    drawn = false;
    last = null;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    input.value = "";
    setState("未签字");
  }

  fit();
  window.addEventListener("resize", function () { if (!drawn) fit(); });
  canvas.addEventListener("pointerdown", function (e) {
    e.preventDefault();
    if (canvas.setPointerCapture) canvas.setPointerCapture(e.pointerId);
    last = point(e);
    ctx.beginPath();
    ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fill();
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!last) return;
    e.preventDefault();
    var p = point(e);
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
    drawn = true;
  });
  function end() {
    if (!last) return;
    last = null;
    drawn = true;
    store();
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("pointerleave", end);
  var clearButton = pad.querySelector("[data-signature-clear]");
  if (clearButton) clearButton.addEventListener("click", clear);
});

// File pickers: every multiple-file input keeps what was picked across several picks (the
// browser would replace the list each time), lists it with a 移除 button and, for photos, a
// thumbnail; photo inputs get a 拍照 button that opens the camera on a phone (`capture`), while
// the input itself still opens the gallery. The originals go up as taken. Without script (or
// without DataTransfer) the plain input works as before.
document.querySelectorAll("input[type=file][multiple]").forEach(function (input) {
  if (typeof DataTransfer !== "function") return;
  try { new DataTransfer(); } catch (e) { return; }
  var photos = (input.getAttribute("accept") || "").indexOf("image/") >= 0;
  var picked = new DataTransfer();
  var list = document.createElement("ul");
  list.className = "picked";
  input.insertAdjacentElement("afterend", list);
  function key(f) { return f.name + "/" + f.size + "/" + f.lastModified; }
  function add(files) {
    var have = {};
    for (var i = 0; i < picked.files.length; i++) have[key(picked.files[i])] = true;
    for (var j = 0; j < files.length; j++) {
      if (!have[key(files[j])]) picked.items.add(files[j]);
    }
    sync();
  }
  function sync() {
    input.files = picked.files;
    list.textContent = "";
    for (var i = 0; i < picked.files.length; i++) {
      (function (index, file) {
        var li = document.createElement("li");
        if (photos && file.type.indexOf("image/") === 0 && window.URL && URL.createObjectURL) {
          var img = document.createElement("img");
          img.alt = "";
          img.src = URL.createObjectURL(file);
          img.onload = function () { URL.revokeObjectURL(img.src); };
          li.appendChild(img);
        }
        var name = document.createElement("span");
        name.className = "picked-name";
        name.textContent = file.name + "(" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
        li.appendChild(name);
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link-button danger";
        remove.textContent = "移除";
        remove.addEventListener("click", function () {
          var next = new DataTransfer();
          for (var k = 0; k < picked.files.length; k++) {
            if (k !== index) next.items.add(picked.files[k]);
          }
          picked = next;
          sync();
        });
        li.appendChild(remove);
        list.appendChild(li);
      })(i, picked.files[i]);
    }
  }
  input.addEventListener("change", function () {
    // The input now holds only this pick: add it to what was picked before.
    var files = Array.prototype.slice.call(input.files);
    add(files);
  });
  if (photos) {
    var camera = document.createElement("input");
    camera.type = "file";
    camera.accept = "image/*";
    camera.setAttribute("capture", "environment");
    camera.hidden = true;
    camera.setAttribute("aria-hidden", "true");
    camera.tabIndex = -1;
    var shoot = document.createElement("button");
    shoot.type = "button";
    shoot.className = "btn btn-camera";
    shoot.textContent = "拍照";
    shoot.addEventListener("click", function () { camera.click(); });
    camera.addEventListener("change", function () {
      add(Array.prototype.slice.call(camera.files));
      camera.value = "";
    });
    input.insertAdjacentElement("beforebegin", shoot);
    input.insertAdjacentElement("beforebegin", camera);
  }
});

// List filters on a phone: the filter bar folds behind a 筛选 button (which counts the filters in
// use) so the list starts at the top of the screen. Bars that are the page's main control
// (the dashboard's period, an organization picker) carry `data-open` and stay.
(function () {
  if (!window.matchMedia || !window.matchMedia("(max-width: 768px)").matches) return;
  document.querySelectorAll("form.search:not([data-open])").forEach(function (form) {
    var active = 0;
    form.querySelectorAll("input[name], select[name]").forEach(function (field) {
      if (field.type === "hidden" || field.name === "page" || field.name === "size") return;
      if ((field.type === "checkbox" || field.type === "radio") ? field.checked : field.value) active++;
    });
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "btn filter-toggle";
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = active ? "筛选(" + active + ")" : "筛选";
    form.classList.add("folded");
    toggle.addEventListener("click", function () {
      var folded = form.classList.toggle("folded");
      toggle.setAttribute("aria-expanded", folded ? "false" : "true");
    });
    form.insertAdjacentElement("beforebegin", toggle);
  });
})();

// Weak signal. A form marked `data-draft` keeps what is typed in this browser (local storage)
// until it is saved: leaving the page, a dead battery or a dropped connection loses nothing, and
// the form offers the kept text when it is opened again. A submit while the phone has no network
// is held back with a message and a 重试 button instead of ending on the browser's error page.
(function () {
  var store;
  try { store = window.localStorage; store.setItem("anze-probe", "1"); store.removeItem("anze-probe"); }
  catch (e) { return; }
  var PREFIX = "anze-draft:";
  var DAYS = 7;
  function kept(field) {
    if (!field.name || field.disabled) return false;
    if (field.name.charAt(0) === "_") return false;
    return !/^(file|password|hidden|submit|button)$/.test(field.type);
  }
  function read(form) {
    var values = [];
    Array.prototype.forEach.call(form.elements, function (f) {
      if (!kept(f)) return;
      if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked) values.push([f.name, f.value, true]);
      } else if (f.tagName === "SELECT" && f.multiple) {
        Array.prototype.forEach.call(f.selectedOptions, function (o) { values.push([f.name, o.value]); });
      } else {
        values.push([f.name, f.value]);
      }
    });
    return values;
  }
  function write(form, values) {
    var byName = {};
    values.forEach(function (v) { (byName[v[0]] = byName[v[0]] || []).push(v); });
    Array.prototype.forEach.call(form.elements, function (f) {
      if (!kept(f) || !(f.name in byName)) return;
      var mine = byName[f.name];
      if (f.type === "checkbox" || f.type === "radio") {
        f.checked = mine.some(function (v) { return v[1] === f.value; });
      } else if (f.tagName === "SELECT" && f.multiple) {
        Array.prototype.forEach.call(f.options, function (o) {
          o.selected = mine.some(function (v) { return v[1] === o.value; });
        });
      } else {
        f.value = mine[0][1];
      }
    });
  }
  // A page that says a save succeeded ends the drafts it was sent from.
  var saved = document.querySelector(".alert-success");
  for (var i = store.length - 1; i >= 0; i--) {
    var k = store.key(i);
    if (!k || k.indexOf(PREFIX) !== 0) continue;
    try {
      var d = JSON.parse(store.getItem(k));
      if ((saved && d.sent) || Date.now() - d.at > DAYS * 86400000) store.removeItem(k);
    } catch (e) { store.removeItem(k); }
  }
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = PREFIX + form.getAttribute("data-draft");
    var draft = null;
    try { draft = JSON.parse(store.getItem(key)); } catch (e) { draft = null; }
    // A form shown again with errors holds what was sent: nothing to offer then.
    if (draft && draft.values && !form.querySelector(".field-error")) {
      var note = document.createElement("div");
      note.className = "alert alert-warning draft-note";
      note.setAttribute("role", "status");
      var at = new Date(draft.at);
      note.textContent = "已恢复本机保存的未提交内容(" + at.toLocaleString("zh-CN", { hour12: false }) + "),请核对后提交。";
      var drop = document.createElement("button");
      drop.type = "button";
      drop.className = "link-button";
      drop.textContent = "放弃这些内容";
      drop.addEventListener("click", function () { store.removeItem(key); location.reload(); });
      note.appendChild(drop);
      form.insertAdjacentElement("beforebegin", note);
      write(form, draft.values);
    }
    function save(sent) {
      try { store.setItem(key, JSON.stringify({ at: Date.now(), sent: sent, values: read(form) })); }
      catch (e) { /* storage full: the form still works */ }
    }
    form.addEventListener("input", function () { save(false); });
    form.addEventListener("change", function () { save(false); });
    form.addEventListener("submit", function (e) {
      if (navigator.onLine === false) {
        e.preventDefault();
        e.stopImmediatePropagation();
        save(false);
        var old = form.querySelector(".offline-note");
        if (old) old.remove();
        var msg = document.createElement("div");
        msg.className = "alert alert-error offline-note";
        msg.setAttribute("role", "alert");
        msg.textContent = "当前没有网络,未提交。填写的内容已保存在本机,选择的照片也还在;信号恢复后请点击“重试”。";
        var retry = document.createElement("button");
        retry.type = "button";
        retry.className = "btn btn-primary";
        retry.textContent = "重试";
        retry.addEventListener("click", function () {
          msg.remove();
          if (typeof form.requestSubmit === "function") form.requestSubmit(); else form.submit();
        });
        msg.appendChild(retry);
        form.insertAdjacentElement("afterbegin", msg);
        msg.scrollIntoView({ block: "center" });
        return;
      }
      save(true);
    }, true);
  });
})();

// Uploads with a progress bar. A form that sends files goes up in the background so the page can
// show how far the upload is (photos go up as taken, originals of several MB on a phone's
// network), keep the form and every picked file when the connection drops half-way, and offer
// 重试. The server's answer — the next page, or the form again with its errors — then replaces
// this page as a normal submit would. The form's one-time submission key makes a retry after a
// lost answer return the first result instead of saving twice. Without script, or when nothing
// is picked, the form submits as usual.
(function () {
  if (typeof XMLHttpRequest !== "function" || typeof FormData !== "function") return;
  function picked(form) {
    var bytes = 0;
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      if (input.disabled || !input.name || !input.files) return;
      for (var i = 0; i < input.files.length; i++) bytes += input.files[i].size;
    });
    return bytes;
  }
  function size(bytes) {
    if (bytes < 1024 * 1024) return Math.max(1, Math.round(bytes / 1024)) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function buttons(form, disabled) {
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = disabled; });
  }
  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var old = form.querySelector(".upload-progress, .offline-note");
    if (old) old.remove();
    var box = el("div", "upload-progress");
    box.setAttribute("role", "status");
    var bar = el("progress");
    bar.max = 100;
    bar.value = 0;
    var text = el("span", "upload-text", "正在上传…");
    var cancel = el("button", "link-button", "取消");
    cancel.type = "button";
    box.appendChild(bar);
    box.appendChild(text);
    box.appendChild(cancel);
    var actions = form.querySelector(".form-actions");
    if (actions) actions.insertAdjacentElement("beforebegin", box); else form.appendChild(box);
    buttons(form, true);

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.floor(e.loaded * 100 / e.total);
      bar.value = percent;
      text.textContent = "正在上传 " + percent + "%(" + size(e.loaded) + " / " + size(e.total) + ")";
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      text.textContent = "已上传,正在保存…";
      cancel.hidden = true;
    });
    xhr.addEventListener("load", function () {
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") !== 0) {
        failed(form, box, "服务器没有返回页面(" + xhr.status + "),未能确认是否已保存。");
        return;
      }
      var url = xhr.responseURL;
      document.open();
      document.write(xhr.responseText);
      document.close();
      // A save ends on the page it redirected to; a refused form stays where it was opened.
      if (url && url !== form.action) history.replaceState(null, "", url);
    });
    xhr.addEventListener("error", function () {
      failed(form, box, "网络中断,未能提交。填写的内容和选择的照片都还在;信号恢复后请点击“重试”。");
    });
    xhr.addEventListener("timeout", function () {
      failed(form, box, "网络太慢,提交超时。填写的内容和选择的照片都还在,请稍后点击“重试”。");
    });
    xhr.addEventListener("abort", function () {
      box.remove();
      buttons(form, false);
    });
    cancel.addEventListener("click", function () { xhr.abort(); });
    xhr.send(data);

    function failed(form, box, message) {
      box.remove();
      buttons(form, false);
      // The draft kept in this browser is not sent after all.
      form.dispatchEvent(new Event("change"));
      var msg = el("div", "alert alert-error offline-note", message);
      msg.setAttribute("role", "alert");
      var retry = el("button", "btn btn-primary", "重试");
      retry.type = "button";
      retry.addEventListener("click", function () {
        msg.remove();
        if (typeof form.requestSubmit === "function") form.requestSubmit(submitter || undefined);
        else send(form, submitter);
      });
      msg.appendChild(retry);
      form.insertAdjacentElement("afterbegin", msg);
      msg.scrollIntoView({ block: "center" });
    }
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || (form.method || "").toLowerCase() !== "post") return;
    if (form.enctype !== "multipart/form-data" || !picked(form)) return;
    e.preventDefault();
    send(form, e.submitter);
  });
})();
