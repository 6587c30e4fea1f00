/* The door scanner's service worker (marquee/staff/door.py): keeps the page and its scripts so a
 * phone that reloads or reopens the scanner while the network is down still gets it. The page
 * itself keeps the check-in list and the queue of scans (localStorage). API calls are never
 * cached here: the page decides what to do without the network. */
"use strict";
var CACHE = "marquee-door-{{ version }}";
var PAGE = {{ page_json|safe }};
var ASSETS = {{ assets_json|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("marquee-door-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE) {
    // The page: fresh from the network when it answers, the last copy when it does not.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(PAGE);
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname).then(function (cached) {
      return cached || fetch(request);
    }));
  }
});
