// "Save changes" appears only while the form differs from the saved settings.
//
// Each field's wrapper ([data-field]) carries its saved value (data-saved).  On every change
// this script sends the fields that differ from it (the same patch a save would post) to the
// form's data-diff URL, where the server asks the library's diff(saved, patch); the button is
// shown while that diff is not empty.  On submit, the unchanged fields are disabled, so the
// browser posts only what changed, with the version.  Without JavaScript none of this runs:
// the button is always there and the whole form is posted.
(function () {
  "use strict";

  function current(wrapper) {
    const boxes = wrapper.querySelectorAll('input[type="checkbox"]');
    if (wrapper.tagName === "FIELDSET") {
      return Array.from(boxes).filter((b) => b.checked).map((b) => b.value).sort().join(",");
    }
    if (boxes.length === 1) {
      return boxes[0].checked ? "true" : "false";
    }
    const control = wrapper.querySelector("select, input:not([type=hidden])");
    return control ? control.value : "";
  }

  function changedWrappers(form) {
    return Array.from(form.querySelectorAll("[data-field]")).filter(
      (w) => current(w) !== w.dataset.saved
    );
  }

  function patchBody(form) {
    const names = new Set(changedWrappers(form).map((w) => w.dataset.field));
    const body = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (name === "version" || names.has(name)) {
        body.append(name, value);
      }
    }
    return body;
  }

  // A value as the server's "show" filter writes it: — for none, on / off in the page's
  // language (data-on, data-off), lists comma-separated.
  function show(value, words) {
    if (value === null) return "—";
    if (typeof value === "boolean") return value ? words.on : words.off;
    if (Array.isArray(value)) return value.join(", ") || "—";
    return String(value);
  }

  function setup(form) {
    const button = form.querySelector("[data-save]");
    const summary = form.querySelector("[data-unsaved]");
    let asked = 0;
    if (!form.hasAttribute("data-dirty")) {
      button.hidden = true;
    }

    async function update() {
      const mine = ++asked;
      const response = await fetch(form.dataset.diff, { method: "POST", body: patchBody(form) });
      if (mine !== asked || !response.ok) {
        return;
      }
      const diff = await response.json();
      button.hidden = !diff.changed;
      summary.replaceChildren();
      if (diff.changed) {
        const title = document.createElement("p");
        title.textContent = summary.dataset.label;
        const list = document.createElement("ul");
        for (const c of diff.changes) {
          const item = document.createElement("li");
          item.textContent = `${c.path}: ${show(c.old, summary.dataset)} → ${show(c.new, summary.dataset)}`;
          list.append(item);
        }
        for (const p of diff.problems) {
          const item = document.createElement("li");
          item.textContent = p;
          list.append(item);
        }
        summary.append(title, list);
      }
      form.dataset.diffed = String(mine);
    }

    form.addEventListener("change", update);
    form.addEventListener("input", update);
    form.addEventListener("submit", () => {
      const changed = new Set(changedWrappers(form));
      for (const wrapper of form.querySelectorAll("[data-field]")) {
        if (!changed.has(wrapper)) {
          for (const el of wrapper.querySelectorAll("input, select")) {
            if (!el.disabled) {
              el.disabled = true;
              el.dataset.quiet = "1";
            }
          }
        }
      }
    });
    // Back from the next page (bfcache): the fields disabled for the submit work again.
    window.addEventListener("pageshow", () => {
      for (const el of form.querySelectorAll("[data-quiet]")) {
        el.disabled = false;
        delete el.dataset.quiet;
      }
    });
    update();
  }

  // A digest email is shown whole: its frame as tall as its content (no scripts run in it).
  function fit(frame) {
    const doc = frame.contentDocument;
    if (doc && doc.documentElement) {
      frame.style.height = `${doc.documentElement.scrollHeight + 4}px`;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-diff]").forEach(setup);
    for (const frame of document.querySelectorAll("iframe.email")) {
      frame.addEventListener("load", () => fit(frame));
      fit(frame);
    }
  });
})();
