/* The door scanner (marquee/staff/door.py). Reads QR codes from the camera (jsQR) or the
 * code field, and asks the door API; when the network is down it judges a code on the device
 * (Ed25519 signature with the published public keys, the check-in list it downloaded), queues
 * the scan and uploads it when the network is back. No rule lives here that the server does
 * not apply again: an upload the server would refuse comes back as a conflict. */
(function () {
  "use strict";

  var root = document.getElementById("door");
  if (!root) return;
  var cfg = root.dataset;
  var STORE = "marquee.door.v1." + cfg.user;
  var SYNC_MS = 15000;
  var SAME_CODE_MS = 4000; // the camera sees one code many times a second
  var FRAME_MS = 150;
  var UNSUPPORTED = "unsupported";

  var $ = function (id) { return document.getElementById(id); };
  // Every sentence shown, in the page's language (door.py's door_messages, as JSON in the page).
  var TEXT = JSON.parse($("door-messages").textContent);
  var REASONS = TEXT.reasons;
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (slot, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : slot;
    });
  }
  var verdictBox = $("door-verdict");
  var undoButton = $("door-undo");
  var net = $("door-net");

  var state = load();
  var keyCache = {};
  var lastCode = "", lastCodeAt = 0, undoable = null, undoTimer = null;
  var networkDown = false, syncing = false;

  function fresh() {
    return {
      device: "", selected: [], mode: "showtime", direction: "entry",
      keys: [], showtimes: {}, tickets: {}, cursor: null, listFor: "",
      queue: [], conflicts: [], syncedAt: null
    };
  }

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(STORE) || "null");
      if (saved && typeof saved === "object") return Object.assign(fresh(), saved);
    } catch (error) { /* a damaged store starts afresh */ }
    return fresh();
  }

  function save() {
    try { window.localStorage.setItem(STORE, JSON.stringify(state)); } catch (error) { /* full */ }
  }

  // --- Encoding and crypto (WebCrypto: Ed25519 and SHA-256) ---------------------------------

  function fromB64url(text) {
    var base = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base.length % 4) base += "=";
    var raw = window.atob(base), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return window.btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function publicKey(keyId) {
    if (keyCache[keyId]) return keyCache[keyId];
    var entry = state.keys.filter(function (k) { return k.key_id === keyId; })[0];
    if (!entry) return Promise.resolve(null);
    keyCache[keyId] = window.crypto.subtle.importKey(
      "raw", fromB64url(entry.public_key), { name: "Ed25519" }, false, ["verify"]
    ).catch(function (error) {
      return error && error.name === "NotSupportedError" ? UNSUPPORTED : null;
    });
    return keyCache[keyId];
  }

  // True or false; null where this browser has no Ed25519 (the list's digest must do).
  function verifySignature(keyId, body, signature) {
    return publicKey(keyId).then(function (key) {
      if (key === UNSUPPORTED) return null;
      if (!key || !/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
      return window.crypto.subtle.verify(
        { name: "Ed25519" }, key, fromB64url(signature), new TextEncoder().encode(body)
      );
    }).catch(function () { return false; });
  }

  function digestOf(ticketId, secret) {
    var data = new TextEncoder().encode(ticketId + "." + secret);
    return window.crypto.subtle.digest("SHA-256", data).then(function (hash) {
      return toB64url(hash).slice(0, 22);
    });
  }

  function newNonce() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return toB64url(bytes);
  }

  // --- The server ---------------------------------------------------------------------------

  function api(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": cfg.csrf }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return window.fetch(url, options).then(function (response) {
      networkDown = false;
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json };
      });
    }, function (error) {
      networkDown = true;
      throw error;
    });
  }

  function online() {
    return navigator.onLine !== false && !networkDown;
  }

  function selection() {
    if (state.mode === "screen") {
      return { screens: unique(state.selected.map(screenOf).filter(Boolean)) };
    }
    return { showtimes: state.selected.slice() };
  }

  function unique(list) {
    return list.filter(function (item, index) { return list.indexOf(item) === index; });
  }

  function screenOf(showtimeId) {
    var box = $("door-showtime-" + showtimeId);
    return box ? Number(box.dataset.screen) : null;
  }

  // The showtimes whose tickets this door may meet: the chosen ones, or in screen mode every
  // listed showtime on their screens.
  function listedShowtimes() {
    if (state.mode !== "screen") return state.selected.slice();
    var screens = selection().screens;
    return Array.prototype.filter.call(
      document.querySelectorAll("input[name=showtime]"),
      function (box) { return screens.indexOf(Number(box.dataset.screen)) >= 0; }
    ).map(function (box) { return Number(box.value); });
  }

  function sync() {
    var ids = listedShowtimes();
    if (!ids.length || syncing) return Promise.resolve();
    syncing = true;
    return upload().then(function () {
      return api("GET", cfg.keysUrl);
    }).then(function (keys) {
      if (keys.status === 200) { state.keys = keys.body.keys; keyCache = {}; }
      var listFor = ids.slice().sort().join(",");
      var query = "?showtimes=" + listFor;
      if (state.cursor && state.listFor === listFor) query += "&since=" + state.cursor;
      return api("GET", cfg.listUrl + query).then(function (list) {
        if (list.status !== 200) return;
        if (list.body.full || state.listFor !== listFor) state.tickets = {};
        state.listFor = listFor;
        state.showtimes = {};
        list.body.showtimes.forEach(function (s) { state.showtimes[s.id] = s; });
        list.body.tickets.forEach(mergeTicket);
        state.cursor = list.body.cursor;
        state.syncedAt = new Date().toISOString();
        save();
      });
    }).catch(function () { /* offline: the next tick tries again */ }).then(function () {
      syncing = false;
      showNet();
    });
  }

  // The server's word on a ticket, unless a scan of it still waits in the queue.
  function mergeTicket(ticket) {
    var waiting = state.queue.some(function (scan) { return scan.ticket === ticket.id; });
    var mine = state.tickets[ticket.id];
    if (waiting && mine) {
      ticket.inside = mine.inside;
      ticket.checked_in_at = mine.checked_in_at || ticket.checked_in_at;
      ticket.last_scan_at = mine.last_scan_at;
      ticket.last_device = mine.last_device;
    }
    state.tickets[ticket.id] = ticket;
  }

  function upload() {
    if (!state.queue.length) return Promise.resolve();
    var batch = state.queue.slice(0, 500);
    var scans = batch.map(function (scan) {
      var item = {
        nonce: scan.nonce, code: scan.code, direction: scan.direction, scanned_at: scan.scanned_at
      };
      if (scan.showtimes) item.showtimes = scan.showtimes;
      if (scan.screens) item.screens = scan.screens;
      return item;
    });
    return api("POST", cfg.uploadUrl, { device: state.device || "door", scans: scans })
      .then(function (response) {
        if (response.status !== 200) return;
        var done = {};
        response.body.results.forEach(function (result) {
          done[result.nonce] = true;
          if (result.result !== "admitted") {
            state.conflicts.unshift({
              nonce: result.nonce, result: result.result, code: result.code,
              details: result.details, scan: result.scan,
              at: new Date().toISOString()
            });
          }
        });
        state.queue = state.queue.filter(function (scan) { return !done[scan.nonce]; });
        state.conflicts = state.conflicts.slice(0, 50);
        save();
        showConflicts();
      });
  }

  // --- Judging a code on the device (offline) -----------------------------------------------

  function localDate(moment, zone) {
    return new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit"
    }).format(moment);
  }

  // The server's rule (marquee/tickets/services.py): the show's local day, or from an hour
  // before it starts until it ends.
  function isShowtimeDay(showtime, now) {
    var starts = new Date(showtime.starts_at), ends = new Date(showtime.ends_at);
    if (localDate(now, showtime.timezone) === localDate(starts, showtime.timezone)) return true;
    return starts.getTime() - 3600000 <= now.getTime() && now.getTime() <= ends.getTime();
  }

  function refusal(code, details) {
    return { ok: false, code: code, details: details || {} };
  }

  function judgeOffline(code, direction) {
    var parts = code.split(".");
    var parsed;
    if (parts[0] === "T1") {
      if (parts.length !== 6 || !/^\d+$/.test(parts[2]) || !/^\d+$/.test(parts[3])) {
        return Promise.resolve(refusal("invalid_ticket_code"));
      }
      parsed = verifySignature(parts[1], parts.slice(0, 5).join("."), parts[5]).then(function (ok) {
        if (ok === false) return null;
        return { id: Number(parts[2]), showtime: Number(parts[3]), secret: parts[4], signed: ok };
      });
    } else if (parts.length === 3 && /^\d+$/.test(parts[0])) {
      // An HMAC code of before: no key here to check it, only the list's digest.
      parsed = Promise.resolve({ id: Number(parts[0]), showtime: null, secret: parts[1], signed: false });
    } else {
      return Promise.resolve(refusal("invalid_ticket_code"));
    }
    return parsed.then(function (ticketCode) {
      if (!ticketCode) return refusal("invalid_ticket_code");
      return digestOf(ticketCode.id, ticketCode.secret).then(function (digest) {
        return judge(ticketCode, digest, direction);
      });
    });
  }

  function judge(code, digest, direction) {
    var ticket = state.tickets[code.id];
    if (ticket) {
      if (ticket.digest !== digest) return refusal("invalid_ticket_code");
      if (code.showtime !== null && code.showtime !== ticket.showtime) {
        return refusal("invalid_ticket_code");
      }
    } else if (!code.signed) {
      return refusal("unknown_offline");
    }
    var showtimeId = ticket ? ticket.showtime : code.showtime;
    var showtime = state.showtimes[showtimeId];
    var wanted = selection();
    if (!showtime) return refusal(wanted.screens ? "wrong_screen" : "wrong_showtime");
    if (wanted.showtimes && wanted.showtimes.indexOf(showtimeId) < 0) {
      return refusal("wrong_showtime", describeShowtime(showtime));
    }
    if (wanted.screens && wanted.screens.indexOf(showtime.screen) < 0) {
      return refusal("wrong_screen", describeShowtime(showtime));
    }
    if (ticket && ticket.status !== "sold") return refusal("ticket_not_valid", { status: ticket.status });
    if (showtime.status === "cancelled") return refusal("showtime_cancelled");
    var inside = ticket ? ticket.inside : false;
    if (direction === "exit") {
      if (!showtime.reentry_allowed) return refusal("reentry_not_allowed");
      if (!inside) return refusal("not_checked_in");
    } else {
      if (!isShowtimeDay(showtime, new Date())) {
        return refusal("wrong_day", { local_starts_at: showtime.local_starts_at });
      }
      if (inside) {
        return refusal("already_checked_in", {
          checked_in_at: ticket.last_scan_at || ticket.checked_in_at, device: ticket.last_device
        });
      }
      if (ticket && ticket.checked_in_at && !showtime.reentry_allowed) {
        return refusal("already_checked_in", { checked_in_at: ticket.checked_in_at });
      }
    }
    if (!ticket) {
      // Sold after the last sync: known from its signature alone. Kept, so a copy is refused.
      ticket = { id: code.id, showtime: showtimeId, digest: digest, seat: null, ticket_type: null,
                 status: "sold", checked_in_at: null, inside: false, last_scan_at: null,
                 last_device: "" };
      state.tickets[code.id] = ticket;
    }
    return { ok: true, ticket: ticket, showtime: showtime };
  }

  function describeShowtime(showtime) {
    return { showtime: showtime.id, movie: showtime.movie, local_starts_at: showtime.local_starts_at,
             screen: showtime.screen_name };
  }

  // --- Scanning -------------------------------------------------------------------------------

  function handleCode(raw) {
    var code = String(raw || "").trim();
    if (!code) return Promise.resolve();
    var now = Date.now();
    if (code === lastCode && now - lastCodeAt < SAME_CODE_MS) return Promise.resolve();
    lastCode = code; lastCodeAt = now;
    if (!state.selected.length) {
      show("refused", TEXT.choose_showtimes, "", "", "", "");
      return Promise.resolve();
    }
    var scan = {
      nonce: newNonce(), code: code, direction: state.direction,
      scanned_at: new Date().toISOString()
    };
    Object.assign(scan, selection());
    if (!online()) return scanOffline(scan);
    var body = Object.assign({ code: code, nonce: scan.nonce, device: state.device || "door",
                               direction: scan.direction }, selection());
    return api("POST", cfg.scanUrl, body).then(function (response) {
      if (response.status === 200) return admittedOnline(response.body);
      if (response.status >= 500) return scanOffline(scan);
      var error = (response.body && response.body.error) || { code: "error", details: {} };
      refused(error.code, error.details || {}, error.message);
    }, function () {
      return scanOffline(scan);
    });
  }

  function admittedOnline(scan) {
    var ticket = state.tickets[scan.ticket.id];
    if (ticket) {
      ticket.inside = scan.direction === "entry";
      ticket.checked_in_at = scan.ticket.checked_in_at;
      ticket.last_scan_at = scan.scanned_at;
      ticket.last_device = scan.device;
      save();
    }
    var showtime = scan.showtime;
    admitted(scan.direction, scan.ticket.seat, scan.ticket.ticket_type,
             showtime.movie + " · " + timeOf(showtime.local_starts_at) + " · " + showtime.screen_name,
             scan.replayed ? TEXT.replayed : "");
    offerUndo({ nonce: scan.nonce, online: true, ticket: scan.ticket.id });
  }

  function scanOffline(scan) {
    if (!window.crypto || !window.crypto.subtle) {
      // WebCrypto exists only on HTTPS (and localhost): no checks on the device without it.
      refused("offline_unavailable", {}, "", true);
      return Promise.resolve();
    }
    return judgeOffline(scan.code, scan.direction).then(function (verdict) {
      if (!verdict.ok) {
        refused(verdict.code, verdict.details, "", true);
        return;
      }
      var ticket = verdict.ticket, before = Object.assign({}, ticket);
      scan.ticket = ticket.id;
      ticket.inside = scan.direction === "entry";
      if (scan.direction === "entry" && !ticket.checked_in_at) ticket.checked_in_at = scan.scanned_at;
      ticket.last_scan_at = scan.scanned_at;
      ticket.last_device = state.device;
      state.queue.push(scan);
      save();
      showNet();
      var showtime = verdict.showtime;
      admitted(scan.direction, ticket.seat, ticket.ticket_type,
               showtime.movie + " · " + timeOf(showtime.local_starts_at) + " · " + showtime.screen_name,
               TEXT.offline_admitted);
      offerUndo({ nonce: scan.nonce, online: false, ticket: ticket.id, before: before });
    });
  }

  // --- Undo -------------------------------------------------------------------------------------

  function offerUndo(scan) {
    undoable = scan;
    undoButton.hidden = false;
    window.clearTimeout(undoTimer);
    undoTimer = window.setTimeout(function () {
      undoButton.hidden = true;
      undoable = null;
    }, Number(cfg.undoSeconds || 120) * 1000);
  }

  function undo() {
    var scan = undoable;
    if (!scan) return;
    undoButton.hidden = true;
    undoable = null;
    lastCode = "";
    var queued = state.queue.some(function (item) { return item.nonce === scan.nonce; });
    if (queued) {
      state.queue = state.queue.filter(function (item) { return item.nonce !== scan.nonce; });
      state.tickets[scan.ticket] = scan.before;
      save();
      showNet();
      show("idle", TEXT.undone, "", "", "", "");
      return;
    }
    api("POST", cfg.undoUrl.replace("NONCE", scan.nonce)).then(function (response) {
      if (response.status !== 200) {
        var error = (response.body && response.body.error) || {};
        show("refused", TEXT.undo_failed, "", "", "", error.message || "");
        return;
      }
      var ticket = state.tickets[scan.ticket];
      if (ticket) {
        ticket.inside = response.body.direction !== "entry";
        ticket.checked_in_at = response.body.ticket.checked_in_at;
        save();
      }
      show("idle", TEXT.undone, "", "", "", "");
    }, function () {
      show("refused", TEXT.undo_no_network, "", "", "", "");
    });
  }

  // --- What the screen says ---------------------------------------------------------------------

  function timeOf(iso) {
    if (!iso) return "";
    var match = /T(\d\d:\d\d)/.exec(iso);
    return match ? match[1] : iso;
  }

  function clock(iso) {
    if (!iso) return "";
    var moment = new Date(iso);
    return isNaN(moment) ? "" : moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function statusText(status) {
    return TEXT.ticket_statuses[status] || status || "";
  }

  function seatText(seat) {
    var text = fill(TEXT.seat, { row: seat.row, number: seat.number });
    return seat.tier !== "standard" ? text + " · " + (TEXT.tiers[seat.tier] || seat.tier) : text;
  }

  function refused(code, details, message, offline) {
    var text = fill(REASONS[code] || message || TEXT.refused, {
      status: statusText(details.status),
      when: (details.local_starts_at || "").replace("T", " ").slice(0, 16),
      movie: details.movie || "",
      time: details.local_starts_at ? timeOf(details.local_starts_at) : clock(details.checked_in_at),
      screen: details.screen || "",
      device: details.device ? ", " + details.device : ""
    });
    show("refused", TEXT.refused, text, "", "", offline ? TEXT.offline_refused : "");
    undoButton.hidden = true;
    undoable = null;
  }

  function admitted(direction, seat, ticketType, showtime, note) {
    var title = direction === "exit" ? TEXT.out : TEXT.admitted;
    show(direction === "exit" ? "exit" : "admitted", title, seat ? seatText(seat) : TEXT.seat_unknown,
         ticketType ? TEXT.ticket_types[ticketType] || ticketType : "", showtime, note);
  }

  function show(kind, title, seat, ticketType, showtime, note) {
    verdictBox.className = "verdict verdict-" + kind;
    $("door-verdict-title").textContent = title;
    $("door-verdict-seat").textContent = seat || "";
    $("door-verdict-type").textContent = ticketType || "";
    $("door-verdict-showtime").textContent = showtime || "";
    $("door-verdict-note").textContent = note || "";
    verdictBox.dataset.kind = kind;
  }

  function showNet() {
    var parts = [online() ? TEXT.online : TEXT.offline];
    var count = Object.keys(state.tickets).length;
    parts.push(count === 1 ? TEXT.list_one : fill(TEXT.list_many, { count: count }));
    if (state.syncedAt) parts.push(fill(TEXT.synced, { time: clock(state.syncedAt) }));
    parts.push(fill(TEXT.to_upload, { count: state.queue.length }));
    net.textContent = parts.join(" · ");
    net.dataset.queue = String(state.queue.length);
    net.dataset.online = online() ? "yes" : "no";
  }

  function showConflicts() {
    var box = $("door-conflicts"), list = $("door-conflict-list");
    list.textContent = "";
    state.conflicts.forEach(function (conflict) {
      var item = document.createElement("li");
      var seat = conflict.scan && conflict.scan.ticket ? conflict.scan.ticket.seat : null;
      var what = seat ? fill(TEXT.conflict_seat, { row: seat.row, number: seat.number })
                      : TEXT.conflict_ticket;
      var details = conflict.details || {};
      item.textContent = what + ": " + fill(REASONS[conflict.code] || conflict.code, {
        status: statusText(details.status), time: clock(details.checked_in_at),
        device: details.device ? ", " + details.device : "", when: "", movie: "", screen: ""
      });
      list.appendChild(item);
    });
    box.hidden = !state.conflicts.length;
  }

  // --- The camera -------------------------------------------------------------------------------

  var video = $("door-video"), canvas = $("door-canvas"), cameraButton = $("door-camera-toggle");
  var stream = null, frameTimer = null;

  // One camera frame to a verdict; also the browser tests' way in with a drawn image.
  function decodeFrame(imageData) {
    if (typeof window.jsQR !== "function") return null;
    var found = window.jsQR(imageData.data, imageData.width, imageData.height,
                            { inversionAttempts: "attemptBoth" });
    if (found && found.data) {
      handleCode(found.data);
      return found.data;
    }
    return null;
  }

  function grabFrame() {
    if (!stream || video.readyState < 2 || !video.videoWidth) return;
    var scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    decodeFrame(context.getImageData(0, 0, canvas.width, canvas.height));
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show("refused", TEXT.no_camera, TEXT.type_instead, "", "", "");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        cameraButton.textContent = TEXT.stop_camera;
        cameraButton.setAttribute("aria-pressed", "true");
        return video.play();
      })
      .then(function () { frameTimer = window.setInterval(grabFrame, FRAME_MS); })
      .catch(function () {
        show("refused", TEXT.camera_failed, TEXT.type_instead, "", "", "");
      });
  }

  function stopCamera() {
    window.clearInterval(frameTimer);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    cameraButton.textContent = TEXT.start_camera;
    cameraButton.setAttribute("aria-pressed", "false");
  }

  // --- Wiring -----------------------------------------------------------------------------------

  function readSetup() {
    var boxes = document.querySelectorAll("input[name=showtime]");
    state.selected = Array.prototype.filter.call(boxes, function (box) { return box.checked; })
      .map(function (box) { return Number(box.value); });
    state.mode = $("door-mode-screen").checked ? "screen" : "showtime";
    state.direction = $("door-direction-exit").checked ? "exit" : "entry";
    state.device = $("door-device").value.trim().slice(0, 64);
    save();
  }

  function writeSetup() {
    Array.prototype.forEach.call(document.querySelectorAll("input[name=showtime]"), function (box) {
      box.checked = state.selected.indexOf(Number(box.value)) >= 0;
    });
    $("door-mode-" + state.mode).checked = true;
    $("door-direction-" + state.direction).checked = true;
    if (!state.device) state.device = fill(TEXT.device, { id: newNonce().slice(0, 4) });
    $("door-device").value = state.device;
    // Showtimes of other days are gone from the page: so are they from the selection.
    state.selected = state.selected.filter(function (id) { return $("door-showtime-" + id); });
  }

  writeSetup();
  save();
  showNet();
  showConflicts();

  function setReentry(box) {
    var url = cfg.policyUrl.replace("/0/policy/", "/" + Number(box.value) + "/policy/");
    api("PUT", url, { reentry_allowed: box.checked }).then(function (response) {
      if (response.status !== 200) throw new Error("refused");
      var showtime = state.showtimes[response.body.showtime];
      if (showtime) showtime.reentry_allowed = response.body.reentry_allowed;
      save();
    }).catch(function () {
      box.checked = !box.checked;
      show("refused", TEXT.reentry_failed, "", "", "", online() ? "" : TEXT.no_network);
    });
  }

  $("door-setup").addEventListener("change", function (event) {
    if (event.target.name === "reentry") {
      setReentry(event.target);
      return;
    }
    readSetup();
    if (event.target.name === "showtime" || event.target.name === "mode") {
      state.cursor = null;
      sync();
    }
  });
  $("door-setup").addEventListener("submit", function (event) { event.preventDefault(); });
  $("door-manual").addEventListener("submit", function (event) {
    event.preventDefault();
    var field = $("door-code");
    lastCode = ""; // a typed code is meant, even if it was just scanned
    handleCode(field.value);
    field.value = "";
  });
  undoButton.addEventListener("click", undo);
  cameraButton.addEventListener("click", function () { if (stream) stopCamera(); else startCamera(); });
  window.addEventListener("online", function () { networkDown = false; showNet(); sync(); });
  window.addEventListener("offline", showNet);
  window.setInterval(function () {
    if (navigator.onLine !== false) sync();
  }, SYNC_MS);
  if (state.selected.length) sync();
  // Keeps the page itself for a reload without the network (the list and queue are above).
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.pageUrl }).catch(function () {});
  }

  window.MarqueeDoor = { decodeFrame: decodeFrame, sync: sync, state: function () { return state; } };
})();
