const usZipPlusFour = /^(\d{5})-?\d{4}$/u;

// ZIP+4 narrows a ZIP to a block; two addresses in the same ZIP are the same postcode for us.
export function comparablePostcode(postcode: string): string {
  const compact = postcode.replace(/\s+/gu, '').toUpperCase();
  const zip = usZipPlusFour.exec(compact);
  return zip?.[1] ?? compact;
}
