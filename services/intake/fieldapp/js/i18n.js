// Message catalogues (i18n/ru.json, kk.json, en.json): every text a volunteer reads. The page
// carries the catalogue of the language the browser asked for (no round trip before the first
// screen); another language is fetched when chosen (from the service worker's cache offline).
const LANGUAGES = ["ru", "kk", "en"];
const inline = document.getElementById("catalogue");
const loaded = inline ? { [inline.dataset.language]: JSON.parse(inline.textContent) } : {};
let messages = {};
let current = "ru";

export function language() {
  return current;
}

export async function useLanguage(wanted) {
  current = LANGUAGES.includes(wanted) ? wanted : "ru";
  if (!loaded[current]) loaded[current] = await (await fetch(`/app/i18n/${current}.json`)).json();
  messages = loaded[current];
  localStorage.setItem("language", current); // a choice of language is not personal
  document.documentElement.lang = current;
  translate(document);
}

export function preferredLanguage() {
  const saved = localStorage.getItem("language");
  if (saved) return saved;
  if (inline) return inline.dataset.language; // intake chose it from the browser's languages
  const browser = (navigator.language || "ru").slice(0, 2);
  return LANGUAGES.includes(browser) ? browser : "ru";
}

export function has(key) {
  return key in messages;
}

export function t(key, values = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function translate(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-aria-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nAriaLabel));
  }
}
