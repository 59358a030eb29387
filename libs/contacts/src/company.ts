import { foldName } from './text';

// Legal forms say nothing about who the employer is: "Acme, Inc." and "ACME Corporation" are one company.
const legalSuffixes = new Set([
  'inc',
  'incorporated',
  'llc',
  'llp',
  'lp',
  'pllc',
  'pc',
  'ltd',
  'limited',
  'corp',
  'corporation',
  'co',
  'company',
  'plc',
  'gmbh',
  'mbh',
  'ag',
  'kg',
  'kgaa',
  'ug',
  'se',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'nv',
  'bv',
  'ab',
  'asa',
  'oy',
  'oyj',
  'pty',
  'pte',
  'bhd',
  'sdn',
  'kk',
  'lda',
  'sl',
  'sro',
  'doo',
]);
const trailingConnectors = new Set(['and']);

export function comparableCompany(company: string): string {
  const folded = foldName(company.includes('&') ? company.replace(/&/gu, ' and ') : company);
  if (folded === '') {
    return '';
  }
  const words = folded.split(' ');
  let start = words[0] === 'the' && words.length > 1 ? 1 : 0;
  let end = words.length;
  while (end - start > 1 && (legalSuffixes.has(words[end - 1] ?? '') || trailingConnectors.has(words[end - 1] ?? ''))) {
    end -= 1;
  }
  if (end <= start) {
    start = 0;
  }
  return words.slice(start, end).join(' ');
}
