// The service worker keeps the app's shell so every screen opens with no network. It caches the
// app's own files only: API answers (personal data) never enter the cache.
const CACHE = "resettle-field-v3";
const SHELL = [
  "/app/", "/app/app.css", "/app/manifest.webmanifest", "/app/icons/icon.svg",
  "/app/config.json", "/app/js/app.js", "/app/js/i18n.js", "/app/js/vault.js",
  "/app/js/queue.js", "/app/js/register.js", "/app/js/desk.js", "/app/js/counter.js",
  "/app/js/slip.js", "/app/js/sheet.js", "/app/i18n/ru.json", "/app/i18n/kk.json", "/app/i18n/en.json",
];

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
      .catch(() => caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || caches.match("/app/"))),
  );
});
