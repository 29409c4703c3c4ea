/** E-mail recipients a partner may have: alerts go to each, so the list is bounded. */
export const MAX_RECIPIENTS_PER_PARTNER = 100;

/**
 * An address alerts can be sent to: `local@domain` within RFC 5321's lengths (64 for the local
 * part, 254 in all), a dot-atom local part, and a domain of at least two letter-digit-hyphen labels.
 */
export function isEmailAddress(address: string): boolean {
  if (address.length > 254) return false;
  const at = address.lastIndexOf('@');
  if (at < 1 || at > 64) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  const labels = domain.split('.');
  return (
    /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local) &&
    labels.length >= 2 &&
    labels.every((l) => label.test(l)) &&
    /[A-Za-z]/.test(labels.at(-1)!)
  );
}
