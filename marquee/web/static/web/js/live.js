/* The live seat channel, in one place: the seat picker's only contact with it.

   MarqueeLive.connect(options) opens a Server-Sent Events stream at options.liveUrl
   (`?since=<version>`; the page says which version it was rendered at) and calls
   options.onChanges(seats) for each `seats` event ([{id, status}], only the seats that
   changed). On a `reset` event (the client is too far behind) it fetches the whole map from
   options.mapUrl, calls options.onSnapshot(seats) and reconnects from the version the reset
   named. EventSource reconnects by itself after a network error, sending Last-Event-ID.
   Without a live URL, or when the stream is refused (closed for good), it polls the map
   every options.pollSeconds while the page is visible: the picker stays right, only slower. */
(function () {
  "use strict";

  function connect(options) {
    var source = null;
    var pollTimer = null;

    function snapshot() {
      return fetch(options.mapUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) { throw new Error("seat map: " + response.status); }
          return response.json();
        })
        .then(function (body) {
          options.onSnapshot(body.seats.map(function (seat) {
            return { id: seat.id, status: seat.status };
          }));
        });
    }

    function poll() {
      if (pollTimer !== null || !(options.pollSeconds > 0)) { return; }
      pollTimer = window.setInterval(function () {
        if (document.visibilityState === "visible") { snapshot().catch(function () {}); }
      }, options.pollSeconds * 1000);
    }

    function open(since) {
      if (!options.liveUrl || !window.EventSource) { poll(); return; }
      var separator = options.liveUrl.indexOf("?") < 0 ? "?" : "&";
      source = new EventSource(options.liveUrl + separator + "since=" + encodeURIComponent(since));
      source.addEventListener("seats", function (event) {
        var data = JSON.parse(event.data);
        options.onChanges(data.seats || []);
      });
      source.addEventListener("reset", function (event) {
        var data = JSON.parse(event.data);
        source.close();
        source = null;
        var reopen = function () { open(data.version); };
        snapshot().then(reopen, reopen);
      });
      source.addEventListener("error", function () {
        if (source !== null && source.readyState === EventSource.CLOSED) {
          source = null;
          poll();
        }
      });
    }

    open(options.version === "" || options.version == null ? "0" : options.version);
    return {
      live: function () { return source !== null && source.readyState === EventSource.OPEN; },
      close: function () {
        if (source !== null) { source.close(); }
        if (pollTimer !== null) { window.clearInterval(pollTimer); }
      },
    };
  }

  window.MarqueeLive = { connect: connect };
})();
