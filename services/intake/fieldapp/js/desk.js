// The shelter desk: who is expected (held places), who stays, who is due out; check-in and
// check-out with one tap each. Housing answers with ids and slip codes, never names.
import { language, t } from "./i18n.js";
import { slipCode } from "./slip.js";

const $ = (selector) => document.querySelector(selector);

function headers(session) {
  return {
    "Content-Type": "application/json", "X-API-Key": session.secrets.staff_key,
    "Accept-Language": language(),
  };
}

async function act(session, say, what, personId) {
  const { housing_url: housing } = session.config;
  const answer = await fetch(`${housing}/v1/shelters/${session.secrets.shelter_id}/${what}`, {
    method: "POST", headers: { ...headers(session), "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify({ person_id: personId }),
  }).catch(() => null);
  if (!answer) return say("network.needed");
  if (!answer.ok) return say("desk.failed", { detail: (await answer.json()).detail });
  say(what === "check-ins" ? "desk.checked_in" : "desk.checked_out", { code: slipCode(personId) });
  await showDesk(session, () => {});
}

function card(session, say, person, action) {
  const item = document.createElement("li");
  item.className = "card";
  const text = document.createElement("p");
  const until = person.hold_until ? ` · ${t("desk.until", { time: new Date(person.hold_until).toLocaleString(language()) })}` : "";
  text.textContent = `${slipCode(person.person_id)} · ${person.unit} · ${t("desk.place", { n: person.bed_number })}${until}`;
  item.append(text);
  if (action) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t(action === "check-ins" ? "desk.check_in" : "desk.check_out");
    button.setAttribute("aria-label", `${button.textContent} ${slipCode(person.person_id)}`);
    button.addEventListener("click", () => act(session, say, action, person.person_id));
    item.append(button);
  }
  return item;
}

export async function showDesk(session, say) {
  const { shelter_id: shelter, staff_key: key } = session.secrets;
  if (!shelter || !key) return say("desk.not_set_up");
  const answer = await fetch(`${session.config.housing_url}/v1/shelters/${shelter}/desk`, {
    headers: headers(session),
  }).catch(() => null);
  if (!answer) return say("network.needed");
  if (!answer.ok) return say("desk.failed", { detail: (await answer.json()).detail });
  const desk = await answer.json();
  $("#desk-summary").textContent = t("desk.summary", { shelter: desk.name, free: desk.free, held: desk.held, occupied: desk.occupied });
  $("#desk-expected").replaceChildren(...desk.expected.map((p) => card(session, say, p, "check-ins")));
  $("#desk-staying").replaceChildren(...desk.staying.map((p) => card(session, say, p, "check-outs")));
  $("#desk-due").replaceChildren(...desk.due_out.map((p) => card(session, say, p, "check-outs")));
}
