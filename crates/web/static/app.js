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
