/* The seat picker, enhanced: the hall is a form of checkboxes (one per seat, grouped by row)
   that works without this script. With it: arrow keys move between free seats (one tab stop
   for the whole hall), a running total, bigger or smaller seats, holds posted without leaving
   the page (a 409 marks exactly the taken seats and keeps the rest), and live seat states
   through MarqueeLive (live.js). */
(function () {
  "use strict";
  var root = document.getElementById("picker");
  var form = document.getElementById("seat-form");
  if (!root || !form) { return; }

  var data = root.dataset;
  var inputs = Array.prototype.slice.call(form.querySelectorAll(".seat-input"));
  var byId = {};
  inputs.forEach(function (input) { byId[input.value] = input; });
  var yours = {};
  (data.yours || "").split(",").filter(Boolean).forEach(function (id) { yours[id] = true; });
  var maxSeats = parseInt(data.maxSeats, 10) || 10;
  var countElement = document.getElementById("picker-count");
  var totalElement = document.getElementById("picker-total");
  var alertElement = document.getElementById("picker-alert");
  var holdButton = document.getElementById("hold-button");
  var hallScroll = document.getElementById("hall-scroll");
  var money = null;
  try {
    money = new Intl.NumberFormat(data.language, { style: "currency", currency: data.currency });
  } catch (error) { money = null; }
  var lost = [];
  /* Ticket types (a show with a price card): a select per picked seat replaces the plain
     form's counts; each select offers the types sold in that seat's tier. */
  var typesData = document.getElementById("ticket-types-data");
  var ticketTypes = typesData ? JSON.parse(typesData.textContent) : null;
  var typeList = document.getElementById("ticket-type-list");
  var chosenType = {};
  if (ticketTypes && typeList) {
    var counts = document.getElementById("ticket-type-counts");
    counts.hidden = true;
    counts.disabled = true;
    document.getElementById("ticket-type-seats").hidden = false;
  }
  function typePrice(code, tier) {
    for (var i = 0; ticketTypes && i < ticketTypes.length; i++) {
      if (ticketTypes[i].code === code) { return ticketTypes[i].prices[tier]; }
    }
    return undefined;
  }
  function seatPrice(input) {
    var code = chosenType[input.value];
    var price = code ? typePrice(code, input.dataset.tier) : undefined;
    return price === undefined ? input.dataset.price : price;
  }
  function renderTypes(seats) {
    if (!ticketTypes || !typeList) { return; }
    typeList.textContent = "";
    seats.forEach(function (input) {
      var item = document.createElement("li");
      var label = document.createElement("label");
      var select = document.createElement("select");
      select.name = "type-" + input.value;
      select.id = "type-" + input.value;
      label.htmlFor = select.id;
      label.textContent = seatName(input);
      ticketTypes.forEach(function (type) {
        var price = type.prices[input.dataset.tier];
        if (price === undefined) { return; }
        var option = document.createElement("option");
        option.value = type.code;
        option.textContent = type.name + " (" + formatMoney(Math.round(parseFloat(price) * 100)) + ")";
        option.selected = chosenType[input.value] === type.code;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        chosenType[input.value] = select.value;
        update();
      });
      item.appendChild(label);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(select);
      typeList.appendChild(item);
    });
  }
  function formatMoney(cents) {
    return money ? money.format(cents / 100) : (cents / 100).toFixed(2) + " " + data.currency;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) { return values[key]; });
  }
  function labelOf(input) { return input.nextElementSibling; }
  function statusText(status) {
    return data["text" + status.charAt(0).toUpperCase() + status.slice(1)] || status;
  }
  function seatName(input) {
    var hidden = labelOf(input).querySelector(".vh");
    var words = hidden.textContent;
    var status = hidden.querySelector(".seat-status").textContent;
    return words.slice(0, words.length - status.length).replace(/,\s*$/, "");
  }
  function picked() {
    return inputs.filter(function (input) { return input.checked && !input.disabled; });
  }
  function free() { return inputs.filter(function (input) { return !input.disabled; }); }

  function showAlert(text) {
    alertElement.textContent = "";
    if (!text) { alertElement.hidden = true; return; }
    var paragraph = document.createElement("p");
    paragraph.textContent = text;
    alertElement.appendChild(paragraph);
    alertElement.hidden = false;
  }

  function update() {
    var seats = picked();
    var cents = seats.reduce(function (sum, input) {
      return sum + Math.round(parseFloat(seatPrice(input)) * 100);
    }, 0);
    countElement.textContent = seats.length === 0 ? data.textNone
      : seats.length === 1 ? data.textOne : fill(data.textMany, { count: seats.length });
    var total = formatMoney(cents);
    var shown = typeList ? typeList.querySelectorAll("select").length : 0;
    if (shown !== seats.length || (typeList && !typeList.contains(document.activeElement))) {
      renderTypes(seats);
    }
    totalElement.textContent = seats.length ? fill(data.textTotal, { total: total }) : "";
    holdButton.disabled = seats.length === 0;
  }

  function setStatus(id, status) {
    var input = byId[String(id)];
    if (!input) { return; }
    if (yours[String(id)]) {
      if (status === "available") { delete yours[String(id)]; } else { status = "yours"; }
    }
    var label = labelOf(input);
    if (label.classList.contains("is-" + status)) { return; }
    var wasPicked = input.checked && !input.disabled;
    label.classList.remove("is-available", "is-held", "is-sold", "is-yours", "just-taken");
    label.classList.add("is-" + status);
    label.querySelector(".seat-status").textContent = statusText(status);
    input.disabled = status !== "available";
    if (input.disabled) {
      input.checked = false;
      if (wasPicked) {
        lost.push(seatName(input));
        void label.offsetWidth; // restart the highlight
        label.classList.add("just-taken");
      }
      if (input.tabIndex === 0) { rove(nearest(input)); }
    }
  }

  function settle(message) {
    if (lost.length) {
      showAlert((message ? message + " " : "") + fill(data.textTaken, { seat: lost.join("; ") }));
      lost = [];
    } else if (message) {
      showAlert(message);
    }
    update();
  }

  function applyAll(seats) {
    seats.forEach(function (seat) { setStatus(seat.id, seat.status); });
    settle();
  }

  /* Keyboard: one tab stop for the hall; arrows move by the seats' x/y. */
  function position(input) {
    return { x: parseInt(input.dataset.x, 10), y: parseInt(input.dataset.y, 10) };
  }
  function rove(target) {
    inputs.forEach(function (input) { input.tabIndex = -1; });
    if (target) { target.tabIndex = 0; }
  }
  function nearest(from) {
    var origin = position(from);
    var best = null;
    var bestScore = Infinity;
    free().forEach(function (input) {
      var at = position(input);
      var score = Math.abs(at.x - origin.x) + 2 * Math.abs(at.y - origin.y);
      if (input !== from && score < bestScore) { best = input; bestScore = score; }
    });
    return best;
  }
  function step(from, key) {
    var origin = position(from);
    var seats = free();
    var candidates;
    if (key === "ArrowLeft" || key === "ArrowRight") {
      var sign = key === "ArrowRight" ? 1 : -1;
      candidates = seats.filter(function (input) {
        var at = position(input);
        return at.y === origin.y && (at.x - origin.x) * sign > 0;
      });
      candidates.sort(function (a, b) { return sign * (position(a).x - position(b).x); });
      return candidates[0] || null;
    }
    if (key === "Home" || key === "End") {
      candidates = seats.filter(function (input) { return position(input).y === origin.y; });
      candidates.sort(function (a, b) { return position(a).x - position(b).x; });
      return key === "Home" ? candidates[0] : candidates[candidates.length - 1];
    }
    var down = key === "ArrowDown" ? 1 : -1;
    var rows = seats.map(function (input) { return position(input).y; }).filter(function (y) {
      return (y - origin.y) * down > 0;
    });
    if (!rows.length) { return null; }
    var row = down > 0 ? Math.min.apply(null, rows) : Math.max.apply(null, rows);
    candidates = seats.filter(function (input) { return position(input).y === row; });
    candidates.sort(function (a, b) {
      return Math.abs(position(a).x - origin.x) - Math.abs(position(b).x - origin.x);
    });
    return candidates[0] || null;
  }

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("seat-input")) { return; }
    var keys = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"];
    if (keys.indexOf(event.key) < 0) { return; }
    event.preventDefault();
    var target = step(input, event.key);
    if (target) {
      rove(target);
      target.focus();
      labelOf(target).scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  });
  form.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("seat-input")) { rove(event.target); }
  });
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("seat-input")) { return; }
    if (input.checked && picked().length > maxSeats) {
      input.checked = false;
      showAlert(data.textMax);
    } else {
      showAlert("");
    }
    update();
  });

  /* Holding without leaving the page: a 409 marks exactly the seats someone else took. */
  form.addEventListener("submit", function (event) {
    // A visitor's form is a GET to the login and back: the browser does that best.
    if (!window.fetch || !window.FormData || form.method.toLowerCase() !== "post") { return; }
    event.preventDefault();
    if (!picked().length) { update(); return; }
    holdButton.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (body.redirect) { window.location.assign(body.redirect); return; }
        var error = body.error || {};
        if (error.code === "seats_unavailable") {
          (error.details.seat_ids || []).forEach(function (id) { setStatus(id, "held"); });
        }
        settle(error.message || data.textError);
      })
      .catch(function () {
        HTMLFormElement.prototype.submit.call(form);
      });
  });

  /* Seat size: the hall scrolls inside its box; these make seats bigger or smaller. */
  var seatSize = parseFloat(getComputedStyle(hallScroll).getPropertyValue("--seat")) || 30;
  form.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      seatSize = Math.max(20, Math.min(48, seatSize + 4 * parseInt(button.dataset.zoom, 10)));
      hallScroll.style.setProperty("--seat", seatSize + "px");
    });
  });

  /* Best available for a show with ticket types: the party's size as the counts change, and
     no search for nobody or for more seats than one booking holds. */
  var party = document.getElementById("best-party");
  if (party) {
    var partyTotal = document.getElementById("best-party-total");
    var bestButton = document.getElementById("best-button");
    var partyCounts = Array.prototype.slice.call(party.querySelectorAll(".party-count"));
    var showParty = function () {
      var count = partyCounts.reduce(function (sum, input) {
        return sum + (parseInt(input.value, 10) || 0);
      }, 0);
      partyTotal.textContent = count === 1 ? party.dataset.textOne
        : fill(party.dataset.textMany, { count: count });
      bestButton.disabled = count < 1 || count > maxSeats;
    };
    party.addEventListener("input", showParty);
    showParty();
  }

  // A phone sees the middle of the hall first (the best seats), not its left wall.
  hallScroll.scrollLeft = (hallScroll.scrollWidth - hallScroll.clientWidth) / 2;

  var first = picked()[0] || free()[Math.floor(free().length * 0.6)] || null;
  rove(first);
  update();

  if (window.MarqueeLive) {
    window.MarqueeLive.connect({
      liveUrl: data.liveUrl || "",
      version: data.seatVersion,
      mapUrl: data.mapUrl,
      pollSeconds: parseFloat(data.pollSeconds),
      onChanges: applyAll,
      onSnapshot: applyAll,
    });
  }
})();
