// The food counter: find the person by the code on their arrival slip (typed, or scanned from the
// slip's QR code, which holds that code and nothing else), issue an item, and on a refusal show
// the rule and when they may come back. No names: aid knows none.
import { language, t } from "./i18n.js";
import { scan, stop } from "./scanner.js";

const $ = (selector) => document.querySelector(selector);

function headers(session) {
  return {
    "Content-Type": "application/json", "X-API-Key": session.secrets.site_key,
    "Accept-Language": language(),
  };
}

function show(lines, kind) {
  const box = $("#counter-result");
  box.className = `result ${kind}`;
  box.replaceChildren(...lines.map((line) => {
    const p = document.createElement("p");
    p.textContent = line;
    return p;
  }));
}

const SLIP_CODE = /^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/;

// The person behind a slip code, as aid knows them (a pseudonymous id), or null with the reason shown.
async function lookUp(code, session) {
  const { aid_url: aid } = session.config;
  const found = await fetch(`${aid}/v1/slips/${encodeURIComponent(code)}`, { headers: headers(session) }).catch(() => null);
  if (!found) return show([t("network.needed")], "refused");
  if (!found.ok) return show([t("counter.unknown_code", { code })], "refused");
  return (await found.json()).person_id;
}

async function issue(event, session) {
  event.preventDefault();
  const { aid_url: aid } = session.config;
  const code = event.target.code.value.trim().toUpperCase();
  const personId = await lookUp(code, session);
  if (!personId) return;
  const answer = await fetch(`${aid}/v1/distributions`, {
    method: "POST", headers: { ...headers(session), "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify({ person_id: personId, item: event.target.item.value, site_id: session.secrets.site_id, quantity: 1 }),
  }).catch(() => null);
  if (!answer) return show([t("network.needed")], "refused");
  const result = await answer.json();
  const item = t(`item.${event.target.item.value}`);
  if (answer.status === 201) return show([t("counter.issued", { item, code })], "issued");
  const lines = [t("counter.refused", { item })];
  if (result.rule) lines.push(t(`rule.${result.rule}`));
  if (result.next_eligible_at) {
    lines.push(t("counter.next", { time: new Date(result.next_eligible_at).toLocaleString(language()) }));
  }
  show(lines, "refused");
}

async function onScan(session) {
  const video = $("#counter-video");
  $("#counter-scan").disabled = true; // one scan at a time: Stop ends it
  $("#counter-scanner").hidden = false;
  $("#counter-result").replaceChildren();
  let text = null;
  try {
    text = await scan(video);
  } catch {
    show([t("counter.no_camera")], "refused");
  } finally {
    $("#counter-scanner").hidden = true;
    $("#counter-scan").disabled = false;
  }
  if (text === null) return;
  const code = text.trim().toUpperCase();
  if (!SLIP_CODE.test(code)) return show([t("counter.not_a_slip")], "refused");
  $("#counter-code").value = code;
  if (await lookUp(code, session)) show([t("counter.found", { code })], "found");
}

let wired = false;

export function showCounter(session, say) {
  if (!session.secrets.site_key || !session.secrets.site_id) say("counter.not_set_up");
  if (wired) return;
  wired = true;
  $("#counter-form").addEventListener("submit", (event) => issue(event, session));
  $("#counter-scan").addEventListener("click", () => onScan(session));
  $("#counter-scan-stop").addEventListener("click", stop);
  window.addEventListener("hashchange", stop); // leaving the counter turns the camera off
}
