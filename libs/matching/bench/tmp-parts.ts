// Look-up plus decision throughput against a 100,000-person directory, with the linkage model a job learns.
// Run: npx tsx libs/matching/bench/decide-bench.ts [people=100000] [contacts=50000] [--explain] [--prior] [--model]
//
// As the matcher does: the model is learnt by estimateModel on the first 1,000 contacts and their candidates (the
// provider's population given), then every contact is looked up and decided with it (decideMatch with { model }).
// Prints the EM time (fastest of 3 runs), look-up and decision per contact, the decision alone over the same candidate
// lists (warm; the fastest of DECIDE_PASSES, default 3, passes), a digest of every decision (a change meant only to be
// faster must print the same) and how each kind of contact ended. --prior decides with the prior model (no EM);
// --model prints the learnt model; MAX_CANDIDATES=25 sets the directory's candidate cap (default 10).
// For figures close to what the bundled `refinery` command runs (no tsx loader), bundle it first, e.g.
//   mkdir -p /tmp/db/src && ln -sfn "$PWD/libs/nicknames/data" /tmp/db/data &&
//   npx esbuild libs/matching/bench/decide-bench.ts --bundle --platform=node --outfile=/tmp/db/src/decide-bench.js &&
//   node /tmp/db/src/decide-bench.js
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CANONICAL_FIELDS, type ContactFields, standardizeContact } from '@refinery/contacts';
import { DirectoryProvider } from '@refinery/directory-provider';
import { type Candidate, decideMatch, estimateModel, type LinkageModel, type MatchDecision, priorModel, ScoringModel } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';

const [peopleArgument, contactsArgument] = process.argv.slice(2).filter((argument) => !argument.startsWith('--'));
const PEOPLE = Number(peopleArgument ?? 100_000);
const CONTACTS = Number(contactsArgument ?? 50_000);
const BATCH = 100;
// The matcher learns from a job's first LINKAGE_SAMPLE_ROWS rows (@refinery/events).
const SAMPLE_ROWS = 1000;
const EM_RUNS = 3;
const DECIDE_PASSES = Number(process.env.DECIDE_PASSES ?? 3);

// Seeded, so every run measures the same work.
function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(20240601);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const digits = (count: number): string => Array.from({ length: count }, () => Math.floor(random() * 10)).join('');

const FIRST_NAMES = [
  'James',
  'Robert',
  'John',
  'Michael',
  'William',
  'David',
  'Richard',
  'Joseph',
  'Thomas',
  'Charles',
  'Christopher',
  'Daniel',
  'Matthew',
  'Anthony',
  'Mark',
  'Donald',
  'Steven',
  'Paul',
  'Andrew',
  'Joshua',
  'Kenneth',
  'Kevin',
  'Brian',
  'George',
  'Edward',
  'Ronald',
  'Timothy',
  'Jason',
  'Jeffrey',
  'Ryan',
  'Jacob',
  'Gary',
  'Nicholas',
  'Eric',
  'Jonathan',
  'Stephen',
  'Larry',
  'Justin',
  'Scott',
  'Brandon',
  'Benjamin',
  'Samuel',
  'Gregory',
  'Frank',
  'Alexander',
  'Raymond',
  'Patrick',
  'Jack',
  'Dennis',
  'Jerry',
  'Mary',
  'Patricia',
  'Jennifer',
  'Linda',
  'Elizabeth',
  'Barbara',
  'Susan',
  'Jessica',
  'Sarah',
  'Karen',
  'Nancy',
  'Lisa',
  'Margaret',
  'Betty',
  'Sandra',
  'Ashley',
  'Dorothy',
  'Kimberly',
  'Emily',
  'Donna',
  'Michelle',
  'Carol',
  'Amanda',
  'Melissa',
  'Deborah',
  'Stephanie',
  'Rebecca',
  'Laura',
  'Sharon',
  'Cynthia',
  'Kathleen',
  'Amy',
  'Shirley',
  'Angela',
  'Helen',
  'Anna',
  'Brenda',
  'Pamela',
  'Nicole',
  'Samantha',
  'Katherine',
  'Emma',
  'Ruth',
  'Christine',
  'Catherine',
  'Debra',
  'Rachel',
  'Carolyn',
  'Janet',
  'Virginia',
  'José',
  'Zoë',
  'Renée',
];
// The most common US surnames with their share of the population in percent; the rest of the
// population gets invented surnames from a long tail, as real directories have.
const COMMON_SURNAMES: readonly [string, number][] = [
  ['Smith', 1.006],
  ['Johnson', 0.81],
  ['Williams', 0.699],
  ['Jones', 0.621],
  ['Brown', 0.621],
  ['Davis', 0.48],
  ['Miller', 0.424],
  ['Wilson', 0.339],
  ['Moore', 0.312],
  ['Taylor', 0.311],
  ['Anderson', 0.311],
  ['Thomas', 0.311],
  ['Jackson', 0.31],
  ['White', 0.279],
  ['Harris', 0.275],
  ['Martin', 0.273],
  ['Thompson', 0.269],
  ['Garcia', 0.254],
  ['Martinez', 0.234],
  ['Robinson', 0.233],
  ['Clark', 0.231],
  ['Rodriguez', 0.229],
  ['Lewis', 0.226],
  ['Lee', 0.22],
  ['Walker', 0.219],
  ['Hall', 0.2],
  ['Allen', 0.199],
  ['Young', 0.193],
  ['Hernandez', 0.192],
  ['King', 0.19],
];
// Invented surnames for the long tail: varied beginnings and endings, so that phonetic and prefix
// blocks are as mixed as in real directories.
const SURNAME_STARTS = [
  'Al',
  'Bar',
  'Cal',
  'Dor',
  'Ed',
  'Fen',
  'Gar',
  'Hol',
  'Is',
  'Jor',
  'Kel',
  'Lin',
  'Mor',
  'Nor',
  'Ost',
  'Per',
  'Quin',
  'Ros',
  'Sten',
  'Tal',
  'Ul',
  'Ver',
  'Wal',
  'Yor',
  'Zan',
  'Bri',
  'Cro',
  'Dra',
  'Fla',
  'Gre',
  'Har',
  'Kra',
  'Mac',
  'Pra',
  'Sca',
  'Tre',
  'Vas',
  'Win',
  'Abe',
  'Oke',
];
const SURNAME_MIDDLES = ['', 'an', 'ber', 'ca', 'di', 'el', 'ga', 'ri', 'lo', 'me', 'ni', 'ro', 'sa', 'te', 'vi', 'ko', 'ma', 'le', 'zu', 'ho'];
const SURNAME_ENDS = [
  'son',
  'sen',
  'ez',
  'es',
  'er',
  'man',
  'ley',
  'ton',
  'ski',
  'ova',
  'ini',
  'elli',
  'berg',
  'stein',
  'ford',
  'wood',
  'well',
  'ham',
  'by',
  'ard',
  'ot',
  'et',
  'ier',
  'eau',
  'ak',
  'ic',
  'os',
  'as',
  'ia',
  'o',
];
const INVENTED_SURNAMES = SURNAME_STARTS.length * SURNAME_MIDDLES.length * SURNAME_ENDS.length;
const COMMON_SHARE = COMMON_SURNAMES.reduce((sum, [, share]) => sum + share, 0) / 100;

function inventedSurname(): string {
  // Zipf-like: low ranks are reused often, high ranks rarely.
  const rank = Math.floor(random() ** 2.2 * INVENTED_SURNAMES);
  const start = SURNAME_STARTS[rank % SURNAME_STARTS.length] ?? '';
  const middle = SURNAME_MIDDLES[Math.floor(rank / SURNAME_STARTS.length) % SURNAME_MIDDLES.length] ?? '';
  const end = SURNAME_ENDS[Math.floor(rank / (SURNAME_STARTS.length * SURNAME_MIDDLES.length))] ?? '';
  return start + middle + end;
}

function surname(): string {
  if (random() >= COMMON_SHARE) {
    return inventedSurname();
  }
  let threshold = random() * COMMON_SHARE * 100;
  for (const [name, share] of COMMON_SURNAMES) {
    threshold -= share;
    if (threshold <= 0) {
      return name;
    }
  }
  return 'Smith';
}

const PLACES: readonly [string, string, string][] = [
  ['New York', 'NY', '100'],
  ['Los Angeles', 'CA', '900'],
  ['Chicago', 'IL', '606'],
  ['Houston', 'TX', '770'],
  ['Phoenix', 'AZ', '850'],
  ['Philadelphia', 'PA', '191'],
  ['San Antonio', 'TX', '782'],
  ['San Diego', 'CA', '921'],
  ['Dallas', 'TX', '752'],
  ['Austin', 'TX', '787'],
  ['Seattle', 'WA', '981'],
  ['Denver', 'CO', '802'],
  ['Boston', 'MA', '021'],
  ['Portland', 'OR', '972'],
  ['Atlanta', 'GA', '303'],
  ['Miami', 'FL', '331'],
];
const STREET_NAMES = ['Main', 'Oak', 'Pine', 'Maple', 'Cedar', 'Elm', 'Washington', 'Lake', 'Hill', 'Park', 'View', 'Sunset'];
const STREET_TYPES = ['Street', 'Avenue', 'Road', 'Boulevard', 'Drive', 'Lane'];
const COMPANY_WORDS = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Wayne',
  'Wonka',
  'Hooli',
  'Vandelay',
  'Soylent',
  'Cyberdyne',
  'Tyrell',
  'Aperture',
  'Massive',
  'Dynamic',
  'Blue',
  'North',
  'Summit',
  'Pioneer',
  'Apex',
];
const COMPANY_SUFFIXES = ['Inc', 'LLC', 'Corp', 'Ltd', 'Group', 'Partners', 'Labs', 'Systems'];
const TITLES = ['Engineer', 'Manager', 'Director', 'Analyst', 'Consultant', 'Designer', 'Nurse', 'Teacher', 'Sales Lead'];

const COMPANY_PLACES = [
  'Bay',
  'Harbor',
  'Valley',
  'River',
  'Mountain',
  'Coastal',
  'Metro',
  'Prairie',
  'Lakeside',
  'Urban',
  'Atlantic',
  'Pacific',
  'Central',
  'Western',
  'Eastern',
  'Northern',
  'Southern',
  'Capital',
  'Golden',
  'Silver',
];

// About 64,000 distinct employers: sharing one by chance is as rare as it is in life.
function company(): string {
  return `${pick(COMPANY_PLACES)} ${pick(COMPANY_WORDS)} ${pick(COMPANY_WORDS)} ${pick(COMPANY_SUFFIXES)}`;
}

function person(index: number): Candidate {
  const first = pick(FIRST_NAMES);
  const last = surname();
  const [city, state, zip] = pick(PLACES);
  const year = 1950 + Math.floor(random() * 53);
  const fields: ContactFields = {
    first_name: first,
    last_name: last,
    email: `${first}.${last}${index}@example.com`.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, ''),
    phone: `+1${pick(['415', '212', '312', '617', '206', '512', '303'])}${2 + Math.floor(random() * 8)}${digits(6)}`,
    company: company(),
    title: pick(TITLES),
    street: `${1 + Math.floor(random() * 9000)} ${pick(STREET_NAMES)} ${pick(STREET_TYPES)}`,
    city,
    state,
    postcode: `${zip}${digits(2)}`,
    country: 'US',
    birth_date: `${year}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
  };
  return { id: `p${index}`, fields, updatedAt: '2024-05-01' };
}

function typo(name: string): string {
  if (name.length < 4) {
    return `${name}${name.charAt(name.length - 1)}`;
  }
  const at = 1 + Math.floor(random() * (name.length - 2));
  return random() < 0.5 ? name.slice(0, at) + name.charAt(at + 1) + name.charAt(at) + name.slice(at + 2) : name.slice(0, at) + name.slice(at + 1);
}

type Scenario = 'same' | 'old-email' | 'first-typo' | 'nickname' | 'last-typo' | 'moved' | 'look-alike' | 'stranger';
const SCENARIOS: readonly [Scenario, number][] = [
  ['same', 0.25],
  ['old-email', 0.15],
  ['first-typo', 0.1],
  ['nickname', 0.1],
  ['last-typo', 0.1],
  ['moved', 0.1],
  ['look-alike', 0.1],
  ['stranger', 0.1],
];
const nicknames = loadBundledNicknames();

function scenario(): Scenario {
  let threshold = random();
  for (const [name, share] of SCENARIOS) {
    threshold -= share;
    if (threshold <= 0) {
      return name;
    }
  }
  return 'same';
}

function contactFor(source: Candidate, kind: Scenario): ContactFields {
  const f = source.fields;
  const base = { first_name: f.first_name, last_name: f.last_name };
  switch (kind) {
    case 'same':
      return {
        ...base,
        first_name: f.first_name?.toUpperCase(),
        email: f.email,
        phone: `(${f.phone?.slice(2, 5)}) ${f.phone?.slice(5, 8)}-${f.phone?.slice(8)}`,
      };
    case 'old-email':
      return { ...base, email: `old.${f.email}`, street: f.street?.replace('Street', 'St'), city: f.city, state: f.state };
    case 'first-typo':
      return { ...base, first_name: typo(f.first_name ?? ''), company: f.company?.toUpperCase(), title: f.title };
    case 'nickname': {
      const variants = [...nicknames.variantsOf(f.first_name ?? '')];
      const nickname = variants.length > 0 ? pick(variants) : f.first_name;
      return { ...base, first_name: nickname, company: f.company, postcode: f.postcode };
    }
    case 'last-typo':
      return { ...base, last_name: typo(f.last_name ?? '').toLowerCase(), birth_date: f.birth_date?.split('-').reverse().join('.') };
    case 'moved':
      return { ...base, phone: f.phone, street: '1 Elsewhere Road', city: 'Reno', state: 'Nevada' };
    case 'look-alike':
      return { ...base, email: 'someone.else@example.org', city: 'Nowhere', state: 'ND' };
    case 'stranger':
      return { first_name: pick(FIRST_NAMES), last_name: inventedSurname(), email: 'nobody@example.net', company: company() };
  }
}

// --explain prints a few examples of every kind of miss, to see why.
const EXPLAIN = process.argv.includes('--explain');
const PRIOR = process.argv.includes('--prior');
// --model prints the learnt m and u of every level.
const SHOW_MODEL = process.argv.includes('--model');
const explained = new Map<string, number>();

function explain(kind: Scenario, outcome: string, contact: ContactFields, source: Candidate, reason: string): void {
  const key = `${kind} ${outcome}`;
  const count = explained.get(key) ?? 0;
  if (!EXPLAIN || count >= 3) {
    return;
  }
  explained.set(key, count + 1);
  console.log(`[${key}] ${JSON.stringify(contact)}\n    source ${JSON.stringify(source.fields)}\n    ${reason}`);
}

function toCsvCell(value: string | undefined): string {
  const text = value ?? '';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function main(): Promise<void> {
  const people = Array.from({ length: PEOPLE }, (_, index) => person(index));
  const folder = mkdtempSync(join(tmpdir(), 'decide-bench-'));
  const file = join(folder, 'directory.csv');
  const header = ['id', ...CANONICAL_FIELDS, 'updated_at'];
  const lines = people.map((p) => [p.id, ...CANONICAL_FIELDS.map((field) => p.fields[field]), p.updatedAt].map(toCsvCell).join(','));
  writeFileSync(file, `${header.join(',')}\n${lines.join('\n')}\n`);

  let started = performance.now();
  // MAX_CANDIDATES=25 compares another cap with the provider's default.
  const cap = process.env.MAX_CANDIDATES;
  const provider = await DirectoryProvider.fromFile(file, { nicknames, ...(cap === undefined ? {} : { maxCandidates: Number(cap) }) });
  const loadSeconds = (performance.now() - started) / 1000;
  rmSync(folder, { recursive: true, force: true });

  const work = Array.from({ length: CONTACTS }, () => {
    const source = pick(people);
    const kind = scenario();
    return { source, kind, raw: contactFor(source, kind) };
  });
  started = performance.now();
  const contacts = work.map((item) => standardizeContact(item.raw));
  const standardizeMs = performance.now() - started;

  // The job's model: EM on the first contacts and their candidates, as the matcher's learnJobModel does.
  const sampleContacts = contacts.slice(0, SAMPLE_ROWS);
  const sampleLists = await provider.findCandidates(sampleContacts);
  const sample = sampleContacts.map((contact, index) => ({ contact, candidates: sampleLists[index] ?? [] }));
  let model: LinkageModel = { ...priorModel(), population: provider.population };
  const emMs: number[] = [];
  if (!PRIOR) {
    for (let run = 0; run < EM_RUNS; run += 1) {
      started = performance.now();
      model = estimateModel(sample, { nicknames, population: provider.population });
      emMs.push(performance.now() - started);
    }
  }
  const scoring = new ScoringModel(model);

  const outcomes = new Map<Scenario, { right: number; wrong: number; review: number; none: number }>();
  const lists: Candidate[][] = [];
  let lookupMs = 0;
  let candidateCount = 0;
  const cpuBefore = process.cpuUsage();
  started = performance.now();
  for (let offset = 0; offset < contacts.length; offset += BATCH) {
    const batch = contacts.slice(offset, offset + BATCH);
    const lookupStarted = performance.now();
    const found = await provider.findCandidates(batch);
    lookupMs += performance.now() - lookupStarted;
    found.forEach((candidates, position) => {
      const item = work[offset + position];
      const contact = batch[position];
      if (item === undefined || contact === undefined) {
        return;
      }
      lists.push(candidates);
      candidateCount += candidates.length;
      const decision = decideMatch(contact, candidates, nicknames, { model: scoring });
      const tally = outcomes.get(item.kind) ?? { right: 0, wrong: 0, review: 0, none: 0 };
      if (decision.status !== 'matched') {
        if (decision.status === 'review') tally.review += 1;
        else tally.none += 1;
        explain(item.kind, decision.status, item.raw, item.source, decision.reason);
      } else if (decision.candidate.id === item.source.id) {
        tally.right += 1;
        // A look-alike only shares the source person's name: matching it is a false match.
        if (item.kind === 'look-alike') explain(item.kind, 'matched', item.raw, item.source, decision.reason);
      } else {
        tally.wrong += 1;
        explain(item.kind, 'wrong', item.raw, item.source, decision.reason);
      }
      outcomes.set(item.kind, tally);
    });
  }
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;

  // The decision alone, again over the same candidate lists (warm: comparable forms are cached); the fastest of
  // DECIDE_PASSES passes, the steadier figure on a shared machine.
  let decisions: MatchDecision[] = [];
  let decideOnlyMs = Number.POSITIVE_INFINITY;
  let decideOnlyCpuMs = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < DECIDE_PASSES; pass += 1) {
    decisions = [];
    const passCpu = process.cpuUsage();
    started = performance.now();
    contacts.forEach((contact, index) => {
      decisions.push(decideMatch(contact, lists[index] ?? [], nicknames, { model: scoring }));
    });
    decideOnlyMs = Math.min(decideOnlyMs, performance.now() - started);
    const used = process.cpuUsage(passCpu);
    decideOnlyCpuMs = Math.min(decideOnlyCpuMs, (used.user + used.system) / 1000);
  }
  {
    const { scoreCandidates, comparableContact, compareRecords, comparableCandidate, explainDecision } =
      require('@refinery/matching/src/parts-export') as any;
    const time = (label: string, work: () => void) => {
      let best = Infinity;
      for (let p = 0; p < 3; p += 1) {
        const t = performance.now();
        work();
        best = Math.min(best, performance.now() - t);
      }
      console.log(label, ((best * 1000) / CONTACTS).toFixed(2), 'µs per contact');
    };
    time('comparable subject (cached)', () => {
      for (const c of contacts) comparableContact(c);
    });
    time('compareRecords only', () => {
      contacts.forEach((c, i) => {
        const s = comparableContact(c);
        for (const cand of lists[i] ?? []) compareRecords(s, comparableCandidate(cand), cand, nicknames);
      });
    });
    time('scoreCandidates', () => {
      contacts.forEach((c, i) => {
        scoreCandidates(comparableContact(c), lists[i] ?? [], nicknames, scoring);
      });
    });
    time('weightFor only', () => {
      contacts.forEach((c, i) => {
        const s = comparableContact(c);
        for (const cand of lists[i] ?? []) scoring.weightFor(compareRecords(s, comparableCandidate(cand), cand, nicknames).levels, s);
      });
    });
  }
  {
    const P = require('@refinery/matching/src/parts-export') as any;
    const time = (label: string, work: (c: any, i: number) => void) => {
      let best = Infinity;
      for (let p = 0; p < 3; p += 1) {
        const t = performance.now();
        contacts.forEach(work);
        best = Math.min(best, performance.now() - t);
      }
      console.log(label.padEnd(28), ((best * 1000) / CONTACTS).toFixed(2), 'µs per contact');
    };
    const clones = [0, 1, 2, 3, 4, 5].map(() => contacts.map((c) => ({ ...c })));
    let round = 0;
    time('clone only', (c) => ({ ...c }));
    time('comparable build (fresh)', (c, i) => {
      if (i === 0) round += 1;
      P.comparableContact(clones[round]![i]);
    });
    time('look-up (warm subject)', (c) => (provider as any).index.candidatesFor(c));
  }
  // Every decision in one digest: a change meant only to be faster must print the same.
  const digest = createHash('sha256');
  for (const decision of decisions) {
    digest.update(`${decision.status}|${decision.status === 'unmatched' ? '' : decision.candidate.id}|${decision.score}|${decision.reason}\n`);
  }

  const perContact = (ms: number): string => ((ms * 1000) / CONTACTS).toFixed(1);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
  console.log(`directory: ${provider.size.toLocaleString('en-US')} people loaded from CSV in ${loadSeconds.toFixed(2)} s`);
  console.log(`standardize: ${perContact(standardizeMs)} µs per contact`);
  if (PRIOR) console.log('model: the prior (--prior), population from the directory');
  else {
    const sorted = [...emMs].sort((a, b) => a - b);
    console.log(
      `model: EM on the first ${sample.length} contacts (${model.trainedOn.pairs} pairs, ${model.trainedOn.randomPairs} random pairs, ` +
        `${model.trainedOn.iterations} iterations) in ${sorted.map((ms) => ms.toFixed(0)).join(' / ')} ms (${EM_RUNS} runs, fastest first); ` +
        `match rate ${model.matchRate.toFixed(3)}`,
    );
  }
  if (SHOW_MODEL) {
    for (const [name, { m, u }] of Object.entries(model.comparisons)) {
      console.log(`  ${name.padEnd(14)} m ${m.map((x) => x.toFixed(4)).join(' ')}  u ${u.map((x) => x.toExponential(1)).join(' ')}`);
    }
  }
  console.log(
    `look-up + decision: ${CONTACTS.toLocaleString('en-US')} contacts in ${(totalMs / 1000).toFixed(2)} s = ` +
      `${Math.round(CONTACTS / (totalMs / 1000)).toLocaleString('en-US')} per second, ${perContact(totalMs)} µs each`,
  );
  console.log(
    `  of which look-up ${perContact(lookupMs)} µs, decision ${perContact(totalMs - lookupMs)} µs, ` +
      `${(candidateCount / CONTACTS).toFixed(1)} candidates per contact`,
  );
  // CPU time includes garbage collection on helper threads; on a busy machine it is the steadier figure.
  console.log(`  process CPU time: ${perContact(cpuMs)} µs per contact`);
  console.log(
    `decision alone (same candidates, fastest of ${DECIDE_PASSES} passes): ${perContact(decideOnlyMs)} µs per contact, ` +
      `${((decideOnlyMs * 1000) / Math.max(1, candidateCount)).toFixed(2)} µs per candidate (process CPU time ${perContact(decideOnlyCpuMs)} µs per contact)`,
  );
  console.log(`decisions digest: ${digest.digest('hex').slice(0, 16)}`);
  // Look-alikes (the source's name, nothing else of theirs) and strangers are right only when not matched.
  console.log('outcomes (matched the source person / matched someone else / review / unmatched; look-alikes and strangers should not match):');
  for (const [kind] of SCENARIOS) {
    const tally = outcomes.get(kind) ?? { right: 0, wrong: 0, review: 0, none: 0 };
    const cells = [tally.right, tally.wrong, tally.review, tally.none].map((count) => String(count).padStart(6));
    console.log(`  ${kind.padEnd(11)} ${cells.join(' ')}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
