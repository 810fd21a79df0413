/* govern: the ranked ballot, made easier with JavaScript.
 *
 * Without this file the ballot is a list of <select> boxes (one number per option) and
 * works as it is. With it, the selects are hidden and a "My order" list appears: add
 * options, move them with the "Up" / "Down" buttons or by dragging, take them off.
 * Every change writes the numbers back into the selects, so the form that is sent is
 * exactly the same. Changes are announced to screen readers in an aria-live region.
 * All words come from data-* attributes on the form (translated by the server).
 */
(function () {
  "use strict";

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match;
    });
  }

  // The visible words come first and the option's name follows, hidden from sight but read out
  // ("Omhoog: Speeltuin"), so the accessible name contains the visible label (WCAG 2.5.3).
  function setText(b, text, name) {
    b.textContent = text;
    if (name) {
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = ": " + name;
      b.appendChild(hidden);
    }
  }

  function button(text, name, className) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "small secondary " + (className || "");
    setText(b, text, name);
    return b;
  }

  function enhance(form) {
    var d = form.dataset;
    var max = parseInt(d.max, 10) || 0;
    var fieldset = form.querySelector(".ballot-options");
    if (!fieldset || !max) return;

    var items = [];
    var byKey = {};
    Array.prototype.forEach.call(form.querySelectorAll(".ballot-row"), function (row) {
      var select = row.querySelector("select.rank-select");
      if (!select) return;
      var item = {
        key: row.dataset.key,
        label: row.dataset.label || row.dataset.key,
        row: row,
        select: select,
        excluded: select.disabled,
        toggle: null
      };
      items.push(item);
      byKey[item.key] = item;
    });

    // The order so far, from the selects (a re-rendered ballot keeps the voter's choices).
    var order = items
      .filter(function (i) { return !i.excluded && /^\d+$/.test(i.select.value); })
      .sort(function (a, b) { return parseInt(a.select.value, 10) - parseInt(b.select.value, 10); })
      .map(function (i) { return i.key; })
      .slice(0, max);

    // --- the "My order" panel
    var panel = document.createElement("div");
    panel.className = "ranker";
    var heading = document.createElement("h2");
    heading.className = "ranker-heading";
    heading.id = form.id ? form.id + "-ranker" : "ranker-heading";
    heading.textContent = d.labelList || "";
    heading.tabIndex = -1;
    var count = document.createElement("p");
    count.className = "ranker-count";
    var empty = document.createElement("p");
    empty.className = "ranker-empty";
    empty.textContent = d.labelEmpty || "";
    var list = document.createElement("ol");
    list.className = "ranker-list";
    list.setAttribute("aria-labelledby", heading.id);
    var live = document.createElement("div");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    live.setAttribute("role", "status");
    panel.appendChild(heading);
    panel.appendChild(count);
    panel.appendChild(empty);
    panel.appendChild(list);
    panel.appendChild(live);
    var help = fieldset.querySelector("#ballot-help");
    fieldset.insertBefore(panel, help ? help.nextSibling : fieldset.firstChild);

    var allHeading = document.createElement("h2");
    allHeading.className = "ranker-heading";
    allHeading.textContent = d.labelChoices || "";
    fieldset.insertBefore(allHeading, fieldset.querySelector(".ballot-list"));

    form.classList.add("js-ranked");

    function announce(text) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }

    function write() {
      items.forEach(function (item) {
        var place = order.indexOf(item.key);
        if (!item.excluded) item.select.value = place >= 0 ? String(place + 1) : "";
      });
    }

    function move(key, to, focusClass) {
      var from = order.indexOf(key);
      if (from < 0 || to < 0 || to >= order.length || to === from) return;
      order.splice(from, 1);
      order.splice(to, 0, key);
      update();
      announce(fill(d.msgMoved, { name: byKey[key].label, n: to + 1 }));
      var li = list.querySelector('[data-key="' + key + '"]');
      var target = li && (li.querySelector("." + focusClass + ":not([disabled])") || li.querySelector("button:not([disabled])"));
      if (target) target.focus();
    }

    function remove(key, focusAfter) {
      var at = order.indexOf(key);
      if (at < 0) return;
      order.splice(at, 1);
      update();
      announce(fill(d.msgRemoved, { name: byKey[key].label }));
      if (focusAfter) {
        var next = list.children[Math.min(at, list.children.length - 1)];
        var target = next ? next.querySelector(".ranker-remove") : heading;
        target.focus();
      }
    }

    function add(key) {
      if (order.indexOf(key) >= 0) return;
      if (order.length >= max) {
        announce(fill(d.msgFull, { n: max }));
        return;
      }
      order.push(key);
      update();
      announce(fill(d.msgAdded, { name: byKey[key].label, n: order.length }));
    }

    function renderList() {
      list.textContent = "";
      order.forEach(function (key, index) {
        var item = byKey[key];
        var li = document.createElement("li");
        li.className = "ranker-item";
        li.dataset.key = key;
        li.draggable = true;
        var place = document.createElement("span");
        place.className = "ranker-place";
        place.setAttribute("aria-hidden", "true");
        place.textContent = String(index + 1);
        var name = document.createElement("span");
        name.className = "ranker-name";
        name.textContent = item.label;
        var tools = document.createElement("span");
        tools.className = "ranker-tools";
        var up = button(d.labelUp, item.label, "ranker-up");
        var down = button(d.labelDown, item.label, "ranker-down");
        var off = button(d.labelRemove, item.label, "ranker-remove");
        up.disabled = index === 0;
        down.disabled = index === order.length - 1;
        up.addEventListener("click", function () { move(key, order.indexOf(key) - 1, "ranker-up"); });
        down.addEventListener("click", function () { move(key, order.indexOf(key) + 1, "ranker-down"); });
        off.addEventListener("click", function () { remove(key, true); });
        tools.appendChild(up);
        tools.appendChild(down);
        tools.appendChild(off);
        li.appendChild(place);
        li.appendChild(name);
        li.appendChild(tools);
        list.appendChild(li);
      });
    }

    function renderToggles() {
      var full = order.length >= max;
      items.forEach(function (item) {
        if (item.excluded) return;
        if (!item.toggle) {
          item.toggle = button("", "", "ranker-toggle");
          item.toggle.addEventListener("click", function () {
            if (order.indexOf(item.key) >= 0) remove(item.key, false);
            else add(item.key);
            item.toggle.focus();
          });
          item.row.querySelector(".ballot-rank").parentNode.appendChild(wrap(item.toggle));
        }
        var place = order.indexOf(item.key);
        if (place >= 0) {
          setText(item.toggle, (place + 1) + " · " + d.labelRemove, item.label);
          item.toggle.setAttribute("aria-pressed", "true");
          item.toggle.removeAttribute("aria-disabled");
          item.row.classList.add("is-chosen");
        } else {
          setText(item.toggle, d.labelAdd, item.label);
          item.toggle.setAttribute("aria-pressed", "false");
          // Not disabled (it would lose focus); a click on a full list explains why instead.
          if (full) item.toggle.setAttribute("aria-disabled", "true");
          else item.toggle.removeAttribute("aria-disabled");
          item.row.classList.remove("is-chosen");
        }
      });
    }

    function wrap(el) {
      var span = document.createElement("span");
      span.className = "ranker-toggle-wrap";
      span.appendChild(el);
      return span;
    }

    function update() {
      write();
      renderList();
      renderToggles();
      empty.hidden = order.length > 0;
      count.textContent = fill(d.msgCount, { n: order.length, max: max });
      count.hidden = !d.msgCount;
    }

    // --- drag and drop (mouse); the buttons do the same for keyboard and touch
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      var li = event.target.closest && event.target.closest(".ranker-item");
      if (!li) return;
      dragged = li.dataset.key;
      li.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      try { event.dataTransfer.setData("text/plain", dragged); } catch (e) { /* old browsers */ }
    });
    list.addEventListener("dragover", function (event) {
      if (dragged === null) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    });
    list.addEventListener("drop", function (event) {
      if (dragged === null) return;
      event.preventDefault();
      var li = event.target.closest && event.target.closest(".ranker-item");
      var to = order.length - 1;
      if (li) {
        to = order.indexOf(li.dataset.key);
        var box = li.getBoundingClientRect();
        var from = order.indexOf(dragged);
        if (event.clientY > box.top + box.height / 2 && to < from) to += 1;
        if (event.clientY < box.top + box.height / 2 && to > from) to -= 1;
      }
      var key = dragged;
      dragged = null;
      move(key, to, "ranker-up");
    });
    list.addEventListener("dragend", function () {
      dragged = null;
      Array.prototype.forEach.call(list.querySelectorAll(".is-dragging"), function (li) { li.classList.remove("is-dragging"); });
    });

    update();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form.ballot[data-ranked]"), enhance);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
