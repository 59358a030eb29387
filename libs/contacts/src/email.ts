// Deliberately plain: one @, no spaces, a dotted domain of letter/digit/hyphen labels ending in a
// TLD of two or more letters. Enough to reject "bob@", "bob@example" and "bob smith@x.com".
const emailSyntax = /^[^\s@]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}$/u;

export function isValidEmail(email: string): boolean {
  return emailSyntax.test(email) && !email.startsWith('.') && !email.includes('..');
}

export function standardizeEmail(email: string): string {
  return email.toLowerCase();
}
