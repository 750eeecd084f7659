// The code on a person's arrival slip: the first 12 hex digits of their pseudonymous id, in
// groups of four. The food counter types it; aid finds the person by it.
export function slipCode(personId) {
  const hex = personId.replace(/-/g, "").slice(0, 12).toUpperCase();
  return `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}`;
}
