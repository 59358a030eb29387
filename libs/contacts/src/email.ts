// Deliberately plain: one @, no spaces, a dotted domain of letter/digit/hyphen labels ending in a
// TLD of two or more letters. Enough to reject "bob@", "bob@example" and "bob smith@x.com".
const emailSyntax = /^[^\s@]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}$/u;

// Exports write addresses with their display name or as mail links: "Ada <ada@x.com>", "mailto:ada@x.com".
const bracketedAddress = /<([^<>\s]+@[^<>\s]+)>/u;
const mailtoPrefix = /^mailto:/iu;

export function isValidEmail(email: string): boolean {
  return emailSyntax.test(email) && !email.startsWith('.') && !email.includes('..');
}

export function standardizeEmail(email: string): string {
  const address = bracketedAddress.exec(email)?.[1] ?? email;
  return address.trim().replace(mailtoPrefix, '').toLowerCase();
}
