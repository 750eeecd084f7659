// What the phone keeps, in IndexedDB, readable only with the volunteer's PIN: the keys and
// every queued arrival are sealed with AES-GCM under a key derived from the PIN (PBKDF2). The
// derived key lives in memory only; a lost phone shows ciphertext, ids and statuses.
const DB = "resettle-field";
const ITERATIONS = 310000;
let key = null;

function opened() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("meta", { keyPath: "name" });
      request.result.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function stored(storeName, mode, work) {
  const db = await opened();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const result = work(tx.objectStore(storeName));
    tx.oncomplete = () => {
      db.close();
      resolve(result && "result" in result ? result.result : result);
    };
    tx.onerror = () => reject(tx.error);
  });
}

const bytes = (text) => new TextEncoder().encode(text);
const b64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function derive(pin, salt) {
  const material = await crypto.subtle.importKey("raw", bytes(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", salt, iterations: ITERATIONS, hash: "SHA-256" },
    material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"],
  );
}

export async function seal(value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, bytes(JSON.stringify(value)));
  return { iv: b64(iv), data: b64(sealed) };
}

export async function unseal(box) {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(box.iv) }, key, unb64(box.data));
  return JSON.parse(new TextDecoder().decode(plain));
}

export async function isSetUp() {
  return Boolean(await stored("meta", "readonly", (s) => s.get("secrets")));
}

export function isUnlocked() {
  return key !== null;
}

export async function setUp(pin, secrets) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  key = await derive(pin, salt);
  const sealed = await seal(secrets);
  await stored("meta", "readwrite", (s) => s.put({ name: "secrets", salt: b64(salt), sealed }));
}

export async function unlock(pin) {
  const record = await stored("meta", "readonly", (s) => s.get("secrets"));
  const candidate = await derive(pin, unb64(record.salt));
  const previous = key;
  key = candidate;
  try {
    return await unseal(record.sealed);
  } catch {
    key = previous;
    return null; // a wrong PIN does not open the box
  }
}

export async function forget() {
  key = null;
  await stored("meta", "readwrite", (s) => s.clear());
  await stored("queue", "readwrite", (s) => s.clear());
}
