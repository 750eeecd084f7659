// Message catalogues (i18n/ru.json, kk.json, en.json): every text a volunteer reads.
const LANGUAGES = ["ru", "kk", "en"];
let messages = {};
let current = "ru";

export function language() {
  return current;
}

export async function useLanguage(wanted) {
  current = LANGUAGES.includes(wanted) ? wanted : "ru";
  const answer = await fetch(`/app/i18n/${current}.json`);
  messages = await answer.json();
  localStorage.setItem("language", current); // a choice of language is not personal
  document.documentElement.lang = current;
  translate(document);
}

export function preferredLanguage() {
  const saved = localStorage.getItem("language");
  if (saved) return saved;
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
