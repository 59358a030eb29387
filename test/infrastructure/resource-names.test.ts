import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_REGION_CODES, MAX_STAGE_LENGTH, REGION_CODE_MAX_LENGTH, stageProblem } from '@refinery/serverless-config';

// Every stack deploys in every region, for every stage name up to MAX_STAGE_LENGTH: each resource name of the packaged
// templates (stage `ci`, us-east-1), re-resolved for each region and for the longest stage allowed, fits the limit of
// its service. And the limit is the real one: one character more breaks a name somewhere.

const ROOT = join(__dirname, '..', '..');
const STACKS = ['platform', 'ingest', 'chunker', 'matcher', 'labeler', 'merger', 'notifier', 'mailchimp-sync'];
const PACKAGED_STAGE = 'ci';
const PACKAGED_REGION = 'us-east-1';
const ACCOUNT = '123456789012';

type Json = Record<string, unknown>;
interface Template {
  Resources: Record<string, { Type: string; Properties?: Json }>;
  Outputs?: Record<string, { Export?: { Name?: unknown } }>;
  Mappings?: Record<string, Record<string, Record<string, string>>>;
}

/** Each named resource type: the property that names it, its service's limit, and the characters it allows. */
const LIMITS: Readonly<Record<string, { property: string; max: number; pattern: RegExp }>> = {
  'AWS::S3::Bucket': { property: 'BucketName', max: 63, pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/ },
  'AWS::SQS::Queue': { property: 'QueueName', max: 80, pattern: /^[A-Za-z0-9_-]+$/ },
  'AWS::Lambda::Function': { property: 'FunctionName', max: 64, pattern: /^[A-Za-z0-9_-]+$/ },
  'AWS::IAM::Role': { property: 'RoleName', max: 64, pattern: /^[\w+=,.@-]+$/ },
  'AWS::Events::Rule': { property: 'Name', max: 64, pattern: /^[.\-_A-Za-z0-9]+$/ },
  'AWS::Events::EventBus': { property: 'Name', max: 256, pattern: /^[/.\-_A-Za-z0-9]+$/ },
  'AWS::Events::Archive': { property: 'ArchiveName', max: 48, pattern: /^[.\-_A-Za-z0-9]+$/ },
  'AWS::DynamoDB::Table': { property: 'TableName', max: 255, pattern: /^[a-zA-Z0-9_.-]{3,}$/ },
  'AWS::CloudWatch::Alarm': { property: 'AlarmName', max: 255, pattern: /^[ -~]+$/ },
  'AWS::SNS::Topic': { property: 'TopicName', max: 256, pattern: /^[A-Za-z0-9_-]+$/ },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/ },
  'AWS::ApiGatewayV2::Api': { property: 'Name', max: 128, pattern: /^.+$/ },
};
/** CloudFormation's own limits: stack names and export names. */
const STACK_NAME_MAX = 128;
const EXPORT_NAME_MAX = 255;

const templates = new Map(
  STACKS.map((stack) => [
    stack,
    JSON.parse(readFileSync(join(ROOT, 'services', stack, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8')) as Template,
  ]),
);

/** A name of the packaged template as it would be for another stage and region. */
function resolve(template: Template, value: unknown, stage: string, region: string): string | undefined {
  let text: string;
  let variables: Json = {};
  if (typeof value === 'string') text = value;
  else if (value && typeof value === 'object' && 'Fn::Sub' in value) {
    const sub = (value as Json)['Fn::Sub'];
    [text, variables] = typeof sub === 'string' ? [sub, {}] : (sub as [string, Json]);
  } else return undefined; // a reference: named by CloudFormation, within its limits
  const code = template.Mappings?.RegionCodes?.[region]?.code;
  return text
    .replace(/\$\{([\w:]+)\}/g, (whole, name: string) => {
      if (name === 'AWS::AccountId') return ACCOUNT;
      if (name === 'AWS::Region') return region;
      if (name === 'AWS::Partition') return 'aws';
      if (name === 'RegionCode' && 'RegionCode' in variables) {
        if (!code) throw new Error(`no region code for ${region} in the template's RegionCodes`);
        return code;
      }
      throw new Error(`cannot resolve ${whole} in ${text}`);
    })
    .replace(new RegExp(`(^|[-/])${PACKAGED_STAGE}(?=$|-)`, 'g'), `$1${stage}`)
    .replace(PACKAGED_REGION, region);
}

/** Every name that breaks its limit, for a stage in a region. */
function tooLong(stage: string, region: string): string[] {
  const problems: string[] = [];
  for (const [stack, template] of templates) {
    const stackName = `refinery-${stack}-${stage}`;
    if (stackName.length > STACK_NAME_MAX) problems.push(`stack ${stackName}`);
    for (const [id, resource] of Object.entries(template.Resources)) {
      const limit = LIMITS[resource.Type];
      if (!limit) continue;
      const name = resolve(template, resource.Properties?.[limit.property], stage, region);
      if (name === undefined) continue;
      if (name.length > limit.max || !limit.pattern.test(name))
        problems.push(`${stack} ${id} (${resource.Type}): ${name} (${name.length} > ${limit.max})`);
    }
    for (const [id, output] of Object.entries(template.Outputs ?? {})) {
      const name = resolve(template, output.Export?.Name, stage, region);
      if (name !== undefined && name.length > EXPORT_NAME_MAX) problems.push(`${stack} export ${id}: ${name}`);
    }
  }
  return problems;
}

const REGIONS = Object.keys(AWS_REGION_CODES);
const LONGEST_STAGE = `s${'0'.repeat(MAX_STAGE_LENGTH - 1)}`;

describe('resource names', () => {
  it.each(REGIONS)('fit their limits in %s, for a stage of the longest length allowed', (region) => {
    expect(tooLong(LONGEST_STAGE, region)).toEqual([]);
  });

  it('would not fit somewhere with one character more: the documented length is the real limit', () => {
    const longer = `${LONGEST_STAGE}1`;
    expect(REGIONS.flatMap((region) => tooLong(longer, region))).not.toEqual([]);
    expect(stageProblem(longer)).toBe(`stage "${longer}" is 13 characters; at most 12 fit every resource name in every region (S3 bucket names: 63)`);
    expect(stageProblem('Prod')).toMatch(/must be lower-case letters, digits and hyphens/);
    expect(stageProblem(LONGEST_STAGE)).toBeUndefined();
  });

  it('name each region by a code of its own, which every template naming a bucket maps', () => {
    const codes = Object.values(AWS_REGION_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code.length).toBeLessThanOrEqual(REGION_CODE_MAX_LENGTH);
    for (const [stack, template] of templates) {
      const namesBuckets = JSON.stringify(template.Resources).includes('${RegionCode}');
      expect({ stack, mapped: Object.keys(template.Mappings?.RegionCodes ?? {}) }).toEqual({ stack, mapped: namesBuckets ? REGIONS : [] });
    }
  });
});
