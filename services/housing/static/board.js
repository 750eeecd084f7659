// Occupancy board: fetches /v1/board every 5 s with the operator key in X-API-Key.
// The key comes from the URL fragment (#key=..., never sent to the server) or a form, is kept
// in sessionStorage (this tab only) and never put in a URL. Only counts are shown.
"use strict";
(function () {
  const STORE = "housing.board.operatorKey";
  const POLL_MS = 5000;
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let lastOk = null;

  function keyFromFragment() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const key = params.get("key");
    if (key) {
      sessionStorage.setItem(STORE, key);
      params.delete("key");
      const rest = params.toString();
      history.replaceState(null, "", window.location.pathname + window.location.search + (rest ? "#" + rest : ""));
    }
  }

  function setStatus(text, error) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("error", Boolean(error));
  }

  function showLogin(message) {
    if (timer) { clearTimeout(timer); timer = null; }
    $("board").hidden = true;
    $("login").hidden = false;
    setStatus(message || "Enter the operator key.", Boolean(message));
    $("key").focus();
  }

  const fmt = (n) => Number(n).toLocaleString("en-US");
  const time = (d) => d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

  function card(shelter) {
    const node = $("shelter-card").content.firstElementChild.cloneNode(true);
    node.classList.add(shelter.status);
    node.dataset.shelter = shelter.name;
    node.querySelector(".name").textContent = shelter.name;
    const status = shelter.status === "open" ? "" : " · " + shelter.status;
    node.querySelector(".meta").textContent = shelter.district + " · " + shelter.kind.replace(/_/g, " ") + status;
    for (const field of ["free", "held", "occupied", "places"]) {
      node.querySelector('[data-field="' + field + '"]').textContent = fmt(shelter[field]);
    }
    const places = Math.max(shelter.places, 1);
    node.querySelector(".bar .occupied").style.width = (100 * shelter.occupied / places) + "%";
    node.querySelector(".bar .held").style.width = (100 * shelter.held / places) + "%";
    return node;
  }

  function render(data) {
    $("arrivals-today").textContent = fmt(data.arrivals_today);
    $("waitlist").textContent = fmt(data.waitlist);
    $("total-free").textContent = fmt(data.totals.free);
    $("total-held").textContent = fmt(data.totals.held);
    $("total-occupied").textContent = fmt(data.totals.occupied);
    $("shelters").replaceChildren(...data.shelters.map(card));
    $("day").textContent = "Local day " + data.local_day + " in Oral (UTC+5). Arrivals today: " + data.arrivals_today_counts + ".";
    $("login").hidden = true;
    $("board").hidden = false;
  }

  async function poll() {
    const key = sessionStorage.getItem(STORE);
    if (!key) { showLogin(); return; }
    try {
      const answer = await fetch("/v1/board", { headers: { "X-API-Key": key, Accept: "application/json" }, cache: "no-store" });
      if (answer.status === 401 || answer.status === 403) {
        sessionStorage.removeItem(STORE);
        showLogin("That key was refused. Enter the operator key.");
        return;
      }
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      render(await answer.json());
      lastOk = new Date();
      setStatus("Updated " + time(lastOk) + " · every 5 s", false);
    } catch (error) {
      setStatus("No connection" + (lastOk ? " · last update " + time(lastOk) : "") + " · retrying", true);
    }
    timer = setTimeout(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    keyFromFragment();
    $("login").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("key").value.trim();
      if (!key) return;
      sessionStorage.setItem(STORE, key);
      $("key").value = "";
      poll();
    });
    window.addEventListener("hashchange", () => { keyFromFragment(); if (!timer) poll(); });
    poll();
  });
})();
