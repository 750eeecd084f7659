// The arrival form: one person or a group travelling together, as POST /v1/arrivals takes it.
import { translate } from "./i18n.js";

const $ = (selector) => document.querySelector(selector);
const WASHINGTON_GROUP = [
  ["seeing", "wg.seeing"], ["hearing", "wg.hearing"], ["walking", "wg.walking"],
  ["remembering", "wg.remembering"], ["self_care", "wg.self_care"],
  ["communicating", "wg.communicating"],
];
const ANSWERS = [
  ["", "wg.skip"], ["no_difficulty", "wg.no_difficulty"],
  ["some_difficulty", "wg.some_difficulty"], ["a_lot_of_difficulty", "wg.a_lot_of_difficulty"],
  ["cannot_do_at_all", "wg.cannot_do_at_all"],
];
const TEXT_FIELDS = ["given_name", "family_name", "patronymic", "contact_phone"];
let made = 0;

function today() {
  return new Date().toISOString().slice(0, 10);
}

function questions(box, prefix) {
  for (const [domain, key] of WASHINGTON_GROUP) {
    const label = document.createElement("label");
    label.htmlFor = `${prefix}-wg-${domain}`;
    label.dataset.i18n = key;
    const select = document.createElement("select");
    select.id = label.htmlFor;
    select.dataset.wg = domain;
    for (const [value, answerKey] of ANSWERS) {
      const option = document.createElement("option");
      option.value = value;
      option.dataset.i18n = answerKey;
      select.append(option);
    }
    box.append(label, select);
  }
}

export function addMember() {
  made += 1;
  const prefix = `m${made}`;
  const member = $("#member-template").content.firstElementChild.cloneNode(true);
  for (const input of member.querySelectorAll("[data-name]")) {
    input.name = input.dataset.name;
    input.id = input.type === "checkbox" ? `${prefix}-${input.name}-${input.value}` : `${prefix}-${input.name}`;
    const label = input.type === "checkbox" ? input.nextElementSibling : member.querySelector(`[data-for="${input.name}"]`);
    label.htmlFor = input.id;
  }
  questions(member.querySelector(".wg"), prefix);
  member.querySelector(".remove-member").addEventListener("click", () => {
    member.remove();
    number();
  });
  $("#members").append(member);
  translate(member);
  number();
  return member;
}

function number() {
  const members = [...document.querySelectorAll("#members .member")];
  members.forEach((member, index) => {
    member.querySelector(".member-number").textContent = String(index + 1);
    member.querySelector(".remove-member").hidden = members.length === 1;
    const relation = member.querySelector("[name=relation]");
    if (index === 0) relation.value = "self";
    else if (relation.value === "self") relation.value = "friend";
  });
}

function memberOf(box, missing, index) {
  const value = (name) => box.querySelector(`[name=${name}]`).value.trim();
  const ticked = (name) => [...box.querySelectorAll(`[name=${name}]:checked`)].map((i) => i.value);
  const member = { sex: value("sex"), relation: value("relation"), languages: ticked("languages"), needs: ticked("needs") };
  for (const field of TEXT_FIELDS) if (value(field)) member[field] = value(field);
  for (const field of ["given_name", "family_name"]) if (!member[field]) missing.push(`member.${field}`);
  if (value("birth_date")) member.birth_date = value("birth_date");
  else if (value("age")) member.age = Number(value("age"));
  else missing.push("member.birth_date");
  if (value("document_type")) {
    member.documents = [{ type: value("document_type") }];
    if (value("document_number")) member.documents[0].number = value("document_number");
  }
  const answers = {};
  for (const select of box.querySelectorAll("[data-wg]")) if (select.value) answers[select.dataset.wg] = select.value;
  if (Object.keys(answers).length) member.washington_group = answers;
  return member;
}

export function collect() {
  const form = $("#register-form");
  const missing = [];
  const members = [...document.querySelectorAll("#members .member")].map((box, i) => memberOf(box, missing, i));
  const consents = [["consent_housing", "housing"], ["consent_aid", "aid"], ["consent_statistics", "anonymous_statistics"]]
    .filter(([name]) => form[name].checked).map(([, purpose]) => purpose);
  const body = {
    arrival_date: form.arrival_date.value, crossing_point: form.crossing_point.value.trim(),
    keep_together: form.keep_together.checked, consents, members,
  };
  return { body, missing: [...new Set(missing)] };
}

export function fill(body) {
  resetForm(body.members.length);
  const form = $("#register-form");
  form.arrival_date.value = body.arrival_date;
  form.crossing_point.value = body.crossing_point;
  form.keep_together.checked = body.keep_together;
  form.consent_housing.checked = body.consents.includes("housing");
  form.consent_aid.checked = body.consents.includes("aid");
  form.consent_statistics.checked = body.consents.includes("anonymous_statistics");
  document.querySelectorAll("#members .member").forEach((box, index) => {
    const member = body.members[index];
    const set = (name, value) => { box.querySelector(`[name=${name}]`).value = value ?? ""; };
    for (const field of [...TEXT_FIELDS, "birth_date", "age", "sex", "relation"]) set(field, member[field]);
    set("document_type", member.documents?.[0]?.type);
    set("document_number", member.documents?.[0]?.number);
    for (const input of box.querySelectorAll("[type=checkbox]")) input.checked = (member[input.name] || []).includes(input.value);
    for (const select of box.querySelectorAll("[data-wg]")) select.value = member.washington_group?.[select.dataset.wg] ?? "";
  });
}

export function resetForm(people = 1) {
  const form = $("#register-form");
  form.reset();
  form.arrival_date.value = today();
  $("#members").replaceChildren();
  for (let i = 0; i < people; i += 1) addMember();
}

export function startForm() {
  $("#add-member").addEventListener("click", () => addMember().querySelector("input").focus());
  resetForm();
}
