import { standardizeContact } from '@refinery/contacts';
import { comparableContact, soundex } from '@refinery/matching';
import { deletionKeys, detailKeys, fullNameKey, fullNameKeyFrom, fullNameKeyPrefix, lastNameKeys, phoneticKey } from '../src/block-keys';
import { CORROBORATING, hashText, SLOT, STRIDE, writeFingerprint, writeFingerprintWith } from '../src/fingerprint';
import { initialClass } from '../src/initial-class';

// A look-up builds its keys from parts computed once per first name or once per contact (DirectoryIndex.candidatesFor):
// each key must be the very number the person was filed under, or the look-up would miss the block.
const contacts = [
  { first_name: 'Philip', last_name: 'García-López', postcode: '2134', birth_date: '1961-04-09' },
  { first_name: 'Mary Ann', last_name: "O'Connell", street: '27 Sinclair St', city: 'Burwood', state: 'NSW' },
  { first_name: 'Yvonne', last_name: 'Li' },
  { last_name: 'Harrington', postcode: '80202' },
].map((fields) => comparableContact(standardizeContact(fields)));

describe('block keys from parts computed once', () => {
  it("gives a full-name key from the first name's hash state equal to the one hashed whole", () => {
    for (const first of ['robert', 'bob', 'mary ann', 'é', '']) {
      for (const last of ['smith', 'garcialopez', '']) {
        expect(fullNameKeyFrom(fullNameKeyPrefix(first), last)).toBe(fullNameKey(first, last));
      }
    }
  });

  it('gives the same keys and fingerprint when the initial class and the soundex codes are passed in', () => {
    for (const person of contacts) {
      const initial = initialClass(person.first);
      const lastSoundex = person.lastCompact === '' ? '' : soundex(person.lastCompact);
      expect(detailKeys(person, lastSoundex, soundex(person.first))).toEqual(detailKeys(person));
      expect(lastNameKeys(person, initial)).toEqual(lastNameKeys(person));
      expect(phoneticKey(person.lastCompact, person.first, initial, lastSoundex)).toBe(phoneticKey(person.lastCompact, person.first));
      expect(deletionKeys(person.lastCompact, person.first, initial)).toEqual(deletionKeys(person.lastCompact, person.first));
      const passed = new Int32Array(STRIDE);
      const computed = new Int32Array(STRIDE);
      writeFingerprint(person, passed, 0, lastSoundex, initial);
      writeFingerprint(person, computed, 0);
      expect([...passed]).toEqual([...computed]);
      const hashed = new Int32Array(STRIDE);
      writeFingerprintWith(person, hashed, 0, hashText(person.first), hashText(person.firstToken), hashText(initial), lastSoundex);
      expect([...hashed]).toEqual([...computed]);
    }
  });

  it('writes each corroborating value into its own slot of the fingerprint', () => {
    const [philip, maryAnn] = contacts;
    if (philip === undefined || maryAnn === undefined) throw new Error('no contact');
    for (const person of [philip, maryAnn]) {
      const print = new Int32Array(STRIDE);
      writeFingerprint(person, print, 0);
      CORROBORATING.forEach((field, position) => {
        expect(print[SLOT.corroborating + position]).toBe(hashText(person.corroborating[field]));
      });
    }
    expect(hashText(philip.corroborating.birth_date)).not.toBe(0);
    expect(hashText(maryAnn.corroborating.street)).not.toBe(0);
  });

  it('gives each one-letter-off key as the hash of the key text with that letter left out', () => {
    // FNV-1a of tag, first part, "|", second part, to 30 bits: the key a person is filed under, spelt out.
    const hashOf = (text: string) => {
      let hash = 0x811c9dc5;
      for (let index = 0; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
      return hash & 0x3fffffff;
    };
    for (const last of ['harford', 'harfford', 'aabb', 'garcialopez', 'lí', 'smith']) {
      const spelt = [hashOf(`d${last}|k`)];
      for (let index = 0; index < last.length; index += 1) {
        if (last[index] !== last[index - 1]) spelt.push(hashOf(`d${last.slice(0, index)}${last.slice(index + 1)}|k`));
      }
      expect(deletionKeys(last, 'kate', 'k')).toEqual(last.length < 4 ? [] : spelt);
    }
  });

  it('passes in parts that differ from what the defaults compute, so the comparison above can fail', () => {
    const [philip] = contacts;
    if (philip === undefined) throw new Error('no contact');
    expect(phoneticKey(philip.lastCompact, philip.first, 'x')).not.toBe(phoneticKey(philip.lastCompact, philip.first));
    expect(fullNameKeyFrom(fullNameKeyPrefix('philip'), 'smith')).not.toBe(fullNameKey('phillip', 'smith'));
  });
});
