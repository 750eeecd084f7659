// The offline queue: each saved arrival waits here, sealed, with the Idempotency-Key made when
// it was first saved; sent in the order saved; once accepted, only ids and the placement stay.
import { seal, stored, unseal } from "./vault.js";

const OPEN = ["waiting", "sent"];
let sending = false;

export async function all() {
  const records = await stored("queue", "readonly", (s) => s.getAll());
  return records.sort((a, b) => a.id - b.id);
}

const put = (record) => stored("queue", "readwrite", (s) => s.put(record));

export async function save(body, previous = null) {
  // A fixed refusal goes with a new key. Intake keeps a domain refusal with its key (a retry
  // of the same body gets the same refusal), so the fixed body under the old key would be
  // refused as "key reused" forever. A new key cannot double anything: the refused request
  // was answered, and it created nothing.
  const idempotencyKey = crypto.randomUUID();
  const record = {
    status: "waiting", saved: new Date().toISOString(), members: body.members.length,
    sealed: await seal({ idempotencyKey, body }),
  };
  if (previous) record.id = previous.id;
  return put(record);
}

export async function opened(record) {
  return unseal(record.sealed);
}

async function sendOne(record, deviceKey, language) {
  const { idempotencyKey, body } = await unseal(record.sealed);
  await put({ ...record, status: "sent" });
  let answer;
  try {
    answer = await fetch("/v1/arrivals", {
      method: "POST",
      headers: {
        "Content-Type": "application/json", "X-API-Key": deviceKey,
        "Idempotency-Key": idempotencyKey, "Accept-Language": language,
      },
      body: JSON.stringify(body),
    });
  } catch {
    await put({ ...record, status: "waiting" }); // the network went: the same key goes again
    return false;
  }
  if (answer.status === 201) {
    const accepted = await answer.json();
    // the personal data leaves the phone for good: only ids stay, for the placement
    await put({
      id: record.id, status: "accepted", saved: record.saved, members: record.members,
      sealed: null, arrival_id: accepted.arrival_id, person_ids: accepted.person_ids,
    });
    return true;
  }
  if (answer.status === 422 || answer.status === 409) {
    const problem = await answer.json();
    const sealed = await seal({ idempotencyKey, body, problem });
    await put({ ...record, status: "refused", sealed });
    return true;
  }
  await put({ ...record, status: "waiting" }); // busy, limited or not allowed now: later
  return false;
}

export async function sendWaiting(deviceKey, language, changed) {
  if (sending || !deviceKey) return;
  sending = true;
  try {
    for (const record of await all()) {
      if (!OPEN.includes(record.status)) continue;
      const went = await sendOne(record, deviceKey, language);
      changed();
      if (!went) break; // keep the order: nothing overtakes a request still waiting
    }
  } finally {
    sending = false;
  }
}

export async function remember(record, fields) {
  await put({ ...record, ...fields });
}

export async function drop(record) {
  await stored("queue", "readwrite", (s) => s.delete(record.id));
}
