// A spreadsheet of arrivals, uploaded as it is (POST /v1/arrival-imports): a result per row.
// Online only: the file stays on the phone's disk, never in the app's storage.
import { language, t } from "./i18n.js";

const $ = (selector) => document.querySelector(selector);

function lines(texts) {
  return texts.map((text) => {
    const p = document.createElement("p");
    p.textContent = text;
    return p;
  });
}

async function upload(event, session) {
  event.preventDefault();
  const file = event.target.file.files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  const answer = await fetch("/v1/arrival-imports", {
    method: "POST", body: form,
    headers: { "X-API-Key": session.secrets.device_key, "Accept-Language": language() },
  }).catch(() => null);
  const box = $("#import-result");
  if (!answer) return box.replaceChildren(...lines([t("network.needed")]));
  const result = await answer.json();
  if (!answer.ok) return box.replaceChildren(...lines([result.title, result.detail]));
  const refused = result.rows.filter((row) => row.status === "refused").flatMap(
    (row) => row.errors.map((error) => t("import.row", { row: row.row, column: error.column ?? "", detail: error.detail })));
  box.replaceChildren(...lines([t("import.counts", result.counts), ...refused]));
}

export function startSheet(session) {
  $("#import-form").addEventListener("submit", (event) => upload(event, session));
}

export function templateFor(lang) {
  $("#template-link").href = `/v1/arrival-imports/template?lang=${lang}&format=xlsx`;
}
