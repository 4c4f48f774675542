// The 申报表's edit page (templates/intake/edit.html): nothing typed is lost, and an upload
// answers beside its box. No inline scripts or handlers (CSP): everything is wired here.
//
// - A leave-page warning (beforeunload) while something typed is not yet saved.
// - After each autosave, each refused field is marked with its reason next to it (the answer's
//   #draft-errors carries them by input name); fixed fields are cleared.
// - Uploads: the size checked before sending (the server's limit and message), a progress
//   bar while sending, refusals (400, 409, 413) swapped into the section like a success.
(function () {
  "use strict";

  var dirty = false;
  var typedSince = false; // typed while an autosave was on its way

  function sheet() {
    return document.getElementById("sheet");
  }

  function status(text) {
    var box = document.getElementById("autosave");
    if (box) box.textContent = text;
  }

  function markDirty(event) {
    var form = sheet();
    if (!form || !form.contains(event.target)) return;
    dirty = true;
    typedSince = true;
    status("有尚未保存的修改");
  }
  document.addEventListener("input", markDirty);
  document.addEventListener("change", markDirty);

  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // Saving by the button leaves the page on purpose: no warning for that navigation.
  document.addEventListener("submit", function (event) {
    if (event.target === sheet() && !event.defaultPrevented) dirty = false;
  });

  function inputId(name) {
    return "f-" + name.replace(/[^0-9A-Za-z_-]/g, "-");
  }

  function anchorOf(input) {
    var group = input.closest("[role=radiogroup]");
    return group || input;
  }

  function clearErrors(form) {
    form.querySelectorAll(".is-invalid").forEach(function (el) {
      el.classList.remove("is-invalid");
      el.removeAttribute("aria-invalid");
    });
    form.querySelectorAll(".invalid-feedback").forEach(function (el) {
      var owner = form.querySelector("[aria-describedby='" + el.id + "']");
      if (owner) owner.removeAttribute("aria-describedby");
      el.remove();
    });
  }

  function showErrors(form, errors) {
    Object.keys(errors).forEach(function (name) {
      var inputs = form.querySelectorAll("[name='" + name.replace(/'/g, "\\'") + "']");
      if (!inputs.length) return;
      var id = inputId(name) + "-err";
      inputs.forEach(function (input) {
        input.classList.add("is-invalid");
        input.setAttribute("aria-invalid", "true");
      });
      var anchor = anchorOf(inputs[0]);
      anchor.setAttribute("aria-describedby", id);
      var box = document.createElement("div");
      box.className = "invalid-feedback d-block";
      box.id = id;
      errors[name].forEach(function (message) {
        var line = document.createElement("div");
        line.textContent = message;
        box.appendChild(line);
      });
      anchor.insertAdjacentElement("afterend", box);
    });
  }

  function afterAutosave() {
    var form = sheet();
    var holder = document.getElementById("draft-errors");
    if (!form || !holder) return;
    var errors = {};
    try {
      errors = JSON.parse(holder.getAttribute("data-errors") || "{}");
    } catch (e) {
      errors = {};
    }
    clearErrors(form);
    showErrors(form, errors);
    var summary = document.getElementById("draft-invalid");
    if (summary) summary.remove(); // the status line and the fields now say it
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target === sheet()) typedSince = false;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target !== sheet()) return;
    if (event.detail.successful && !typedSince) dirty = false;
    // Typed while this save was on its way (htmx drops a second request meanwhile): save again.
    if (event.detail.successful && typedSince) {
      window.setTimeout(function () {
        if (window.htmx) window.htmx.trigger(sheet(), "change");
      }, 300);
    }
    if (!event.detail.successful) status("未能自动保存：网络或服务器出错，请点击“保存草稿”。");
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "autosave") afterAutosave();
  });

  // --- uploads -----------------------------------------------------------------------------

  function section() {
    return document.getElementById("attachments");
  }

  function tooLarge(file, maxBytes) {
    return (
      "文件“" + file.name + "”大小为" + (file.size / 1048576).toFixed(1) + " MB，超过上限" +
      Math.floor(maxBytes / 1048576) + " MB，未上传。请压缩或拆分后再上传。"
    );
  }

  function notify(form, level, text) {
    var box = document.getElementById("att-" + form.getAttribute("data-section") + "-notice");
    if (!box) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-" + level + " py-2 mb-2 small";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    box.replaceChildren(alert);
    alert.scrollIntoView({ block: "nearest" });
  }

  function progress(form) {
    return form.querySelector(".qa-upload-progress");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("qa-upload")) return;
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    var holder = section();
    var maxBytes = holder ? parseInt(holder.getAttribute("data-max-bytes"), 10) : 0;
    if (file && maxBytes && file.size > maxBytes) {
      event.preventDefault();
      notify(form, "danger", tooLarge(file, maxBytes));
      return;
    }
    var bar = progress(form);
    if (bar && file && file.size > 256 * 1024) {
      bar.classList.remove("d-none");
      bar.setAttribute("aria-valuenow", "0");
      bar.firstElementChild.style.width = "0%";
    }
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("qa-upload")) return;
    var bar = progress(form);
    if (!bar || !event.detail.total) return;
    var percent = Math.round((100 * event.detail.loaded) / event.detail.total);
    bar.setAttribute("aria-valuenow", String(percent));
    bar.firstElementChild.style.width = percent + "%";
    bar.firstElementChild.textContent = percent + "%";
  });

  // A refusal is an answer to show, not an error to drop: swap it like a success.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "attachments") return;
    var code = event.detail.xhr.status;
    if (code === 400 || code === 409 || code === 413) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After an upload's answer, its notice is where the person looks; bring it in if it is not.
  var uploading = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    uploading = !!(event.target.classList && event.target.classList.contains("qa-upload"));
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!uploading) return;
    uploading = false;
    var holder = section();
    var shown = holder && holder.querySelector(".qa-upload-notice .alert");
    if (!shown) return;
    var box = shown.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) shown.scrollIntoView({ block: "center" });
  });
})();
