/* The hold's countdown to expires_at (the server's clock, whatever the device's says). When
   it runs out the page says so and offers to pick seats again; the server refuses a late
   payment anyway. Screen readers hear it at the start, at one minute and at the end. */
(function () {
  "use strict";
  var box = document.getElementById("countdown");
  if (!box) { return; }
  var expires = Date.parse(box.dataset.expiresAt);
  var skew = Date.parse(box.dataset.now) - Date.now();
  var timer = document.getElementById("countdown-timer");
  var status = document.getElementById("countdown-status");
  var minuteSaid = false;

  // Rounded up: the page never says "expired" before the server would.
  function left() { return Math.max(0, Math.ceil((expires - (Date.now() + skew)) / 1000)); }
  function clock(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }
  function expire() {
    window.clearInterval(interval);
    timer.textContent = "0:00";
    status.textContent = box.dataset.textExpired;
    document.getElementById("expired-panel").hidden = false;
    var pay = document.getElementById("pay-panel");
    if (pay) {
      pay.querySelectorAll("button, input").forEach(function (control) { control.disabled = true; });
    }
  }
  function tick() {
    var seconds = left();
    timer.textContent = clock(seconds);
    box.classList.toggle("is-low", seconds < 60);
    if (seconds <= 60 && seconds > 0 && !minuteSaid) {
      minuteSaid = true;
      status.textContent = box.dataset.textMinute;
    }
    if (seconds === 0) { expire(); }
  }
  var interval = window.setInterval(tick, 1000);
  status.textContent = box.dataset.textLeft.replace("%(time)s", clock(left()));
  tick();
})();
