// Three disjoint domain lists. Keeping them apart guarantees that an outdated address or a stranger's
// address can never equal a directory person's current address, whatever the names.

/** Personal domains of directory people (their current addresses). */
export const CURRENT_DOMAINS: readonly (readonly [string, number])[] = [
  ['gmail.com', 45],
  ['yahoo.com', 16],
  ['outlook.com', 12],
  ['hotmail.com', 9],
  ['icloud.com', 9],
  ['live.com', 4],
  ['me.com', 3],
];

/** Older providers, used for the outdated addresses of stale book rows. */
export const LEGACY_DOMAINS: readonly string[] = [
  'aol.com',
  'earthlink.net',
  'juno.com',
  'att.net',
  'sbcglobal.net',
  'verizon.net',
  'bellsouth.net',
  'comcast.net',
  'msn.com',
  'cox.net',
  'charter.net',
  'netzero.net',
];

/** Personal domains of people outside the directory (strangers, look-alikes, invalid rows). */
export const OUTSIDE_DOMAINS: readonly string[] = [
  'proton.me',
  'fastmail.com',
  'gmx.com',
  'mail.com',
  'zoho.com',
  'ymail.com',
  'hey.com',
  'pm.me',
  'tutanota.com',
  'yandex.com',
  'rocketmail.com',
  'inbox.com',
];
