// The field app: setup and unlock, then four screens (register, queue, desk, counter).
import { has, language, preferredLanguage, t, useLanguage } from "./i18n.js";
import * as queue from "./queue.js";
import * as vault from "./vault.js";
import { collect, fill, resetForm, startForm } from "./register.js";
import { showDesk } from "./desk.js";
import { showCounter } from "./counter.js";
import { slipCode } from "./slip.js";
import { startSheet, templateFor } from "./sheet.js";

const $ = (selector) => document.querySelector(selector);
const SCREENS = ["setup", "unlock", "register", "queue", "desk", "counter"];
const session = { secrets: null, config: {}, fixing: null };
const LABELS = ["member.", "member.document_", "register.", "wg."];

function say(key, values) {
  const box = $("#message");
  box.hidden = !key;
  box.textContent = key ? t(key, values) : "";
}

function show(name) {
  for (const screen of SCREENS) $(`#screen-${screen}`).hidden = screen !== name;
  $("#nav").hidden = !session.secrets;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.hash === `#${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  say(null);
  if (name === "queue") renderQueue();
  if (name === "desk") showDesk(session, say);
  if (name === "counter") showCounter(session, say);
}

function takeOfferedKey() {
  const offered = new URLSearchParams(location.hash.slice(1)).get("device");
  if (offered) {
    $("#setup-key").value = offered; // from the QR code's link; the fragment never reaches a server
    history.replaceState(null, "", "/app/#setup");
  }
}

async function route() {
  takeOfferedKey();
  if (!(await vault.isSetUp())) return show("setup");
  if (!session.secrets) return show("unlock");
  const wanted = location.hash.slice(1);
  show(SCREENS.includes(wanted) && wanted !== "unlock" ? wanted : "register");
}

function network() {
  $("#network").textContent = t(navigator.onLine ? "network.online" : "network.offline");
  $("#network").className = navigator.onLine ? "network online" : "network offline";
}

async function sendNow() {
  if (!session.secrets || !navigator.onLine) return;
  await queue.sendWaiting(session.secrets.device_key, language(), renderQueue);
  await followPlacements();
}

async function followPlacements() {
  for (const record of await queue.all()) {
    if (record.status !== "accepted" || record.placement?.complete) continue;
    try {
      const answer = await fetch(`/v1/arrivals/${record.arrival_id}/placement`, {
        headers: { "X-API-Key": session.secrets.device_key },
      });
      if (answer.ok) await queue.remember(record, { placement: await answer.json() });
    } catch {
      return; // offline again: next round
    }
  }
  renderQueue();
}

// no place to show: given up, no consent to housing, or the record erased
const PLACELESS = {
  released: "queue.released",
  not_housed: "queue.not_housed",
  erased: "queue.erased",
};

function placementText(placement, personId) {
  const found = placement?.people?.find((person) => person.person_id === personId);
  if (!found || found.status === "pending") return t("queue.placement_pending");
  if (found.status === "waiting") return t("queue.waitlisted");
  if (Object.hasOwn(PLACELESS, found.status)) return t(PLACELESS[found.status]);
  const until = found.hold_until ? new Date(found.hold_until).toLocaleString(language()) : "";
  // housing publishes no names, only the short codes operators post at the door; a place with
  // no code (a host's home) is shown by the start of its id (the desk there knows it)
  const shelter = found.shelter_code ?? (found.shelter_id ?? "").slice(0, 8);
  const unit = found.unit_code ?? (found.unit_id ?? "").slice(0, 8);
  const place = { shelter, unit, bed: found.bed_number, until };
  return t(found.status === "checked_in" ? "queue.checked_in" : "queue.placed", place);
}

function reasonsOf(problem) {
  const errors = problem.errors?.length ? problem.errors : [{ pointer: "", detail: problem.detail }];
  return errors.map((error) => {
    const parts = (error.pointer || "").split("/");
    const field = parts.at(-1);
    const person = parts[1] === "members" ? t("queue.person_n", { n: Number(parts[2]) + 1 }) : "";
    // the nearest named field: #/members/0/documents/0/number is the document's number
    const named = [...parts].reverse().find((part) => LABELS.some((prefix) => has(prefix + part)));
    const label = named ? t(LABELS.map((prefix) => prefix + named).find(has)) : "";
    return [person, label, error.detail].filter(Boolean).join(" · ");
  });
}

async function renderQueue() {
  if (!session.secrets) return;
  const records = await queue.all();
  const counts = Object.fromEntries(["waiting", "sent", "accepted", "refused"].map(
    (status) => [status, records.filter((r) => r.status === status).length]));
  $("#queue-summary").textContent = t("queue.summary", counts);
  const list = $("#queue-list");
  list.replaceChildren();
  for (const record of records.slice().reverse()) {
    const item = document.createElement("li");
    item.className = `entry ${record.status}`;
    item.dataset.status = record.status;
    const head = document.createElement("p");
    head.textContent = `№${record.id} · ${t("queue.people", { n: record.members })} · ${t(`status.${record.status}`)}`;
    item.append(head);
    if (record.status === "accepted") {
      for (const personId of record.person_ids) {
        const line = document.createElement("p");
        line.className = "slip";
        line.textContent = `${t("queue.slip_code")} ${slipCode(personId)} — ${placementText(record.placement, personId)}`;
        item.append(line);
      }
    }
    if (record.status === "accepted") addSlipButton(item, record);
    if (record.status === "refused") await addRefusal(item, record);
    list.append(item);
  }
}

function addSlipButton(item, record) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = t("queue.slip");
  button.addEventListener("click", async () => {
    const answer = await fetch(`/v1/arrivals/${record.arrival_id}/slip`, {
      headers: { "X-API-Key": session.secrets.device_key, "Accept-Language": language() },
    }).catch(() => null);
    if (!answer?.ok) return say("network.needed");
    item.append(slipCard(await answer.json()));
    button.remove();
  });
  item.append(button);
}

function slipCard(slip) {
  const card = document.createElement("section");
  card.className = "slip-card";
  card.setAttribute("aria-label", slip.title);
  const title = document.createElement("h3");
  title.textContent = slip.title;
  const note = document.createElement("p");
  note.textContent = slip.note;
  card.append(title, note);
  for (const person of slip.people) {
    const code = document.createElement("p");
    code.className = "slip";
    code.textContent = `${slip.code_label}: ${person.code}`;
    // the QR code is drawn by intake (segno) and holds the slip code alone (the counter scans it)
    const qr = new DOMParser().parseFromString(person.qr_svg, "image/svg+xml").documentElement;
    qr.setAttribute("role", "img");
    qr.setAttribute("aria-label", `${slip.code_label} ${person.code}`);
    card.append(code, document.importNode(qr, true));
  }
  return card;
}

async function addRefusal(item, record) {
  const { problem, body } = await queue.opened(record);
  const reasons = document.createElement("ul");
  for (const reason of reasonsOf(problem)) {
    const line = document.createElement("li");
    line.textContent = reason;
    reasons.append(line);
  }
  const fix = document.createElement("button");
  fix.type = "button";
  fix.className = "secondary";
  fix.textContent = t("queue.fix");
  fix.addEventListener("click", () => {
    session.fixing = { id: record.id };
    fill(body);
    location.hash = "#register";
  });
  item.append(reasons, fix);
}

async function onSetup(event) {
  event.preventDefault();
  const form = event.target;
  const deviceKey = form.device_key.value.trim().toUpperCase().replace(/[^0-9A-Z]/g, "");
  if (deviceKey.length !== 24) return say("setup.bad_key");
  if (form.pin.value.length < 6 || !/^\d+$/.test(form.pin.value)) return say("setup.bad_pin");
  if (form.pin.value !== form.pin_again.value) return say("setup.pins_differ");
  session.secrets = {
    device_key: deviceKey, shelter_id: form.shelter_id.value.trim(),
    staff_key: form.staff_key.value.trim(), site_id: form.site_id.value.trim(),
    site_key: form.site_key.value.trim(),
  };
  await vault.setUp(form.pin.value, session.secrets);
  form.reset();
  location.hash = "#register";
  await route();
}

async function onUnlock(event) {
  event.preventDefault();
  const secrets = await vault.unlock(event.target.pin.value);
  event.target.reset();
  if (!secrets) return say("unlock.wrong_pin");
  session.secrets = secrets;
  await route();
  sendNow();
}

async function onSave(event) {
  event.preventDefault();
  const { body, missing } = collect();
  if (missing.length) return say("register.missing", { fields: missing.map((key) => t(key)).join(", ") });
  await queue.save(body, session.fixing);
  session.fixing = null;
  resetForm();
  say("register.saved");
  sendNow();
}

async function boot() {
  // the page carries the addresses of housing and aid: no round trip before the first screen
  const config = JSON.parse($("#config").textContent);
  await useLanguage(preferredLanguage());
  $("#language").value = language();
  templateFor(language());
  $("#language").addEventListener("change", async (e) => {
    await useLanguage(e.target.value);
    templateFor(language());
    network();
    route();
  });
  session.config = config;
  startForm();
  startSheet(session);
  $("#setup-form").addEventListener("submit", onSetup);
  $("#unlock-form").addEventListener("submit", onUnlock);
  $("#register-form").addEventListener("submit", onSave);
  $("#send-now").addEventListener("click", sendNow);
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { network(); sendNow(); });
  window.addEventListener("offline", network);
  setInterval(sendNow, 5000);
  network();
  await route();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" });
  document.body.dataset.ready = "true";
  performance.mark("ready"); // the browser test reads when the first screen became usable
}

boot();
