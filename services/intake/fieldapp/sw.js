// The service worker keeps the app's shell so every screen opens with no network. It caches the
// app's own files only: API answers (personal data) never enter the cache.
const CACHE = "resettle-field-v3";
// the page carries its style, script and the browser's language (intake inlines them); the other
// languages are kept for a change of language offline. The QR decoder (vendor/jsQR.js) is kept
// once the counter has used it: scanning needs aid's network anyway.
const SHELL = [
  "/app/", "/app/manifest.webmanifest", "/app/icons/icon.svg",
  "/app/i18n/ru.json", "/app/i18n/kk.json", "/app/i18n/en.json",
];

// the page varies by Accept-Language; any cached page will do offline (it fetches the catalogue
// it lacks from this cache)
const MATCH = { ignoreSearch: true, ignoreVary: true };

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/app/")) return;
  // network first, so a new version arrives at once; the cache when there is no network
  event.respondWith(
    fetch(event.request)
      .then((answer) => {
        const copy = answer.clone();
        if (answer.ok) caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        return answer;
      })
      .catch(() => caches.match(event.request, MATCH).then((hit) => hit || caches.match("/app/", MATCH))),
  );
});
