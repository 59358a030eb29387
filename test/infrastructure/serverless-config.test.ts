import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REDRIVE_WINDOW_DAYS, type ReadDeclaration, type SettingDeclaration } from '@refinery/runtime';
import { bucketNameTemplate, serverlessConfiguration } from '@refinery/serverless-config';
import { requiredSettings } from './lambda-settings';
import { declarationOf, environmentNamesOf, SERVICE_NAMES } from './services';

// Each service's Serverless Framework configuration is generated from its declaration (src/definition.ts) by
// @refinery/serverless-config (whose own tests check what it generates); this checks that every service's
// serverless.js is exactly that, and that the deployment around the services agrees with their declarations:
// serverless-compose.yml passes each one the parameters it needs, and docs/deploy.md explains them.
// cloudformation.test.ts checks the templates they become.

// Serverless Framework's own reader of configuration files (serverless.js, and the platform's serverless.yml).
const readServerlessConfiguration = require('serverless/lib/configuration/read') as (path: string) => Promise<unknown>;

const ROOT = join(__dirname, '..', '..');

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function record(value: unknown, ...path: string[]): Json {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  if (!isRecord(current)) throw new Error(`${path.join('.')} is not an object`);
  return current;
}

/** Every string in a configuration (keys excluded). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  return isRecord(value) ? Object.values(value).flatMap(strings) : [];
}

async function loadConfiguration(relativePath: string): Promise<Json> {
  const configuration = await readServerlessConfiguration(join(ROOT, relativePath));
  if (!isRecord(configuration)) throw new Error(`${relativePath} is not a mapping`);
  return configuration;
}

const configurationPath = (name: string) => (name === 'platform' ? 'services/platform/serverless.yml' : `services/${name}/serverless.js`);

describe('services/<name>/serverless.js', () => {
  it('is, for every service, the configuration generated from its declaration', async () => {
    for (const name of SERVICE_NAMES) {
      const loaded = await loadConfiguration(configurationPath(name));
      expect({ service: name, configuration: loaded }).toEqual({ service: name, configuration: serverlessConfiguration(declarationOf(name)) });
    }
  });

  it("is all a person writes of a service's deployment: no other configuration file in any service folder", () => {
    const folders = readdirSync(join(ROOT, 'services')).filter((entry) => statSync(join(ROOT, 'services', entry)).isDirectory());
    expect(folders.sort()).toEqual(['platform', ...SERVICE_NAMES].sort());
    for (const name of SERVICE_NAMES) {
      const files = readdirSync(join(ROOT, 'services', name)).filter((file) => /^(serverless\.|service\.json$)/.test(file));
      expect({ service: name, files }).toEqual({ service: name, files: ['serverless.js'] });
      expect(
        readFileSync(join(ROOT, configurationPath(name)), 'utf8')
          .split('\n')
          .filter(Boolean).length,
      ).toBeLessThanOrEqual(4);
    }
  });
});

describe('services/platform/serverless.yml', () => {
  let platform: Json;

  beforeAll(async () => {
    platform = await loadConfiguration('services/platform/serverless.yml');
  });

  test('owns the project bus, an archive of it for the redrive window, the topic alarms notify, the stuck-jobs alarm and the stage dashboard', () => {
    expect(platform.service).toBe('refinery-platform');
    expect(platform.frameworkVersion).toBe('3');
    expect(platform).not.toHaveProperty('functions');
    const resources = record(platform, 'resources', 'Resources');
    expect(Object.keys(resources).sort()).toEqual([
      'AlarmEmailSubscription',
      'AlarmTopic',
      'Dashboard',
      'EventBus',
      'EventBusArchive',
      'StuckJobsAlarm',
    ]);
    expect(record(resources, 'AlarmTopic', 'Properties').TopicName).toBe('refinery-${sls:stage}-alarms');
    expect(record(resources, 'EventBus', 'Properties').Name).toBe('refinery-${sls:stage}');
    expect(record(resources, 'EventBusArchive', 'Properties')).toMatchObject({
      SourceArn: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
      RetentionDays: REDRIVE_WINDOW_DAYS,
    });
  });

  test('exports the bus name and ARN', () => {
    const outputs = record(platform, 'resources', 'Outputs');
    expect(record(outputs, 'EventBusName', 'Export').Name).toBe('refinery-${sls:stage}-EventBusName');
    expect(record(outputs, 'EventBusArn', 'Export').Name).toBe('refinery-${sls:stage}-EventBusArn');
    expect(record(outputs, 'EventBusArn').Value).toEqual({ 'Fn::GetAtt': ['EventBus', 'Arn'] });
  });
});

describe('serverless-compose.yml', () => {
  const names = ['platform', ...SERVICE_NAMES];
  const configurations = new Map<string, Json>();
  let composed: Json;

  beforeAll(async () => {
    composed = await loadConfiguration('serverless-compose.yml');
    for (const name of names) configurations.set(name, await loadConfiguration(configurationPath(name)));
  });

  const composeParams = (name: string): Json => {
    const service = record(composed, 'services', name);
    return isRecord(service.params) ? service.params : {};
  };

  test('composes the platform and every service from its folder', () => {
    const services = record(composed, 'services');
    expect(Object.keys(services).sort()).toEqual([...names].sort());
    for (const name of names) expect(record(services, name).path).toBe(`services/${name}`);
  });

  test('gives each service every param it uses and does not default, and no param it does not use', () => {
    for (const name of names) {
      const configuration = configurations.get(name) as Json;
      const used = new Set(strings(configuration).flatMap((text) => [...text.matchAll(/\$\{param:(\w+)/g)].map((match) => match[1] as string)));
      const defaults = isRecord(configuration.params) && isRecord(configuration.params.default) ? Object.keys(configuration.params.default) : [];
      const needed = [...used].filter((param) => !defaults.includes(param));
      const given = Object.keys(composeParams(name));
      expect({ service: name, missing: needed.filter((param) => !given.includes(param)) }).toEqual({ service: name, missing: [] });
      // Overriding a default is allowed (that is how a deployment changes a setting); naming a param nothing reads is not.
      expect({ service: name, unused: given.filter((param) => !used.has(param)) }).toEqual({ service: name, unused: [] });
    }
  });

  test('wires params to outputs that exist, without cycles', () => {
    const dependencies = new Map<string, Set<string>>();
    for (const name of names) {
      const needs = new Set<string>();
      for (const value of Object.values(composeParams(name))) {
        for (const [, source, output] of String(value).matchAll(/\$\{([\w-]+)\.(\w+)\}/g)) {
          expect(names).toContain(source);
          expect(record(configurations.get(source as string), 'resources', 'Outputs')).toHaveProperty(output as string);
          needs.add(source as string);
        }
      }
      dependencies.set(name, needs);
    }
    const done = new Set<string>();
    while (done.size < names.length) {
      const ready = names.filter((name) => !done.has(name) && [...(dependencies.get(name) ?? [])].every((need) => done.has(need)));
      expect(ready).not.toEqual([]); // a cycle otherwise
      for (const name of ready) done.add(name);
    }
  });

  test("names the buckets a service reads by their owner's convention exactly as the owner names them (compose cannot pass them: a cycle)", () => {
    let conventional = 0;
    for (const name of SERVICE_NAMES) {
      for (const read of Object.values(declarationOf(name).reads as Record<string, ReadDeclaration>)) {
        if (!('ownedBy' in read)) continue;
        conventional += 1;
        const owner = configurations.get(read.ownedBy.service) as Json;
        const bucketId = `${read.ownedBy.bucket.charAt(0).toUpperCase()}${read.ownedBy.bucket.slice(1)}Bucket`;
        expect(record(owner, 'resources', 'Resources', bucketId, 'Properties', 'BucketName')).toEqual({
          'Fn::Sub': [bucketNameTemplate(read.ownedBy.service, read.ownedBy.bucket), expect.anything()],
        });
        expect(strings(configurations.get(name))).toContain(
          `arn:\${AWS::Partition}:s3:::${bucketNameTemplate(read.ownedBy.service, read.ownedBy.bucket)}/*`,
        );
        // The reader resolves the name's region code with the same mapping as the owner.
        expect(record(configurations.get(name) as Json, 'resources', 'Mappings')).toEqual(record(owner, 'resources', 'Mappings'));
      }
    }
    expect(conventional).toBe(2); // ingest and mailchimp-sync read the merger's results
  });
});

describe('docs/deploy.md', () => {
  const names = ['platform', ...SERVICE_NAMES];
  const deployDoc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const mentioned = (word: string) => deployDoc.includes(`\`${word}\``);

  test("names every environment variable serverless-compose.yml reads and every service's params", async () => {
    const composeText = readFileSync(join(ROOT, 'serverless-compose.yml'), 'utf8');
    const variables = [...composeText.matchAll(/\$\{env:(\w+)\}/g)].map((match) => match[1] as string);
    expect(variables.length).toBeGreaterThan(0);
    const params = new Set<string>();
    for (const name of names) {
      const configuration = await loadConfiguration(configurationPath(name));
      for (const text of strings(configuration)) for (const match of text.matchAll(/\$\{param:(\w+)/g)) params.add(match[1] as string);
      if (isRecord(configuration.params) && isRecord(configuration.params.default))
        for (const param of Object.keys(configuration.params.default)) params.add(param);
    }
    const missing = [...new Set([...variables, ...params])].filter((word) => !mentioned(word));
    expect(missing).toEqual([]);
  });

  test("explains every setting of every service's functions", async () => {
    const missing: string[] = [];
    for (const name of SERVICE_NAMES) {
      const declaration = declarationOf(name);
      const settings = [...(await requiredSettings(name)), ...environmentNamesOf(declaration)];
      missing.push(...[...new Set(settings)].filter((setting) => !mentioned(setting)).map((setting) => `${name}: ${setting}`));
      for (const [key, setting] of Object.entries(declaration.settings as Record<string, SettingDeclaration>)) {
        if (setting.default !== undefined && !deployDoc.includes(String(setting.default)))
          missing.push(`${name}: the default of ${key} (${String(setting.default)})`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('shows how to seed the nickname table and inspect and redrive dead-letter queues on AWS', () => {
    expect(deployDoc).toContain('npm run seed:nicknames -- --table');
    for (const command of ['list', 'show', 'redrive']) expect(deployDoc).toMatch(new RegExp(`refinery dlq ${command} .*--aws --stage`));
  });
});
