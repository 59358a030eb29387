// Where a stage may be deployed, and the short code each region has in bucket names. A bucket's name is global, so it
// holds the account and the region; written out, the region alone can take 14 of S3's 63 characters. The codes are a
// CloudFormation mapping in every template that names a bucket (RegionCodes), so a region missing here fails the
// deploy at once, naming the region: add it, with a code of its own.

/** Region -> code of at most REGION_CODE_MAX_LENGTH characters, unique. */
export const AWS_REGION_CODES: Readonly<Record<string, string>> = {
  'us-east-1': 'use1',
  'us-east-2': 'use2',
  'us-west-1': 'usw1',
  'us-west-2': 'usw2',
  'af-south-1': 'afs1',
  'ap-east-1': 'ape1',
  'ap-east-2': 'ape2',
  'ap-south-1': 'aps1',
  'ap-south-2': 'aps2',
  'ap-southeast-1': 'apse1',
  'ap-southeast-2': 'apse2',
  'ap-southeast-3': 'apse3',
  'ap-southeast-4': 'apse4',
  'ap-southeast-5': 'apse5',
  'ap-southeast-6': 'apse6',
  'ap-southeast-7': 'apse7',
  'ap-northeast-1': 'apne1',
  'ap-northeast-2': 'apne2',
  'ap-northeast-3': 'apne3',
  'ca-central-1': 'cac1',
  'ca-west-1': 'caw1',
  'eu-central-1': 'euc1',
  'eu-central-2': 'euc2',
  'eu-west-1': 'euw1',
  'eu-west-2': 'euw2',
  'eu-west-3': 'euw3',
  'eu-south-1': 'eus1',
  'eu-south-2': 'eus2',
  'eu-north-1': 'eun1',
  'il-central-1': 'ilc1',
  'me-south-1': 'mes1',
  'me-central-1': 'mec1',
  'mx-central-1': 'mxc1',
  'sa-east-1': 'sae1',
  'cn-north-1': 'cnn1',
  'cn-northwest-1': 'cnnw1',
  'us-gov-east-1': 'ugve1',
  'us-gov-west-1': 'ugvw1',
};

export const REGION_CODE_MAX_LENGTH = 5;

/**
 * The longest stage name every resource name fits with, in every region above: S3's 63 characters for the longest
 * bucket name (`refinery-mailchimp-sync-<stage>-imports-<account>-<region code>`) set it. Stages are lower-case letters,
 * digits and hyphens, starting with a letter (they are in bucket names).
 */
export const MAX_STAGE_LENGTH = 12;
export const STAGE_PATTERN = /^[a-z][a-z0-9-]*$/;

/** The CloudFormation mapping of region codes, and how a template reads the current region's. */
export const REGION_CODES_MAPPING = 'RegionCodes';
export const regionCodesMapping = (): Record<string, { code: string }> =>
  Object.fromEntries(Object.entries(AWS_REGION_CODES).map(([region, code]) => [region, { code }]));
export const currentRegionCode = () => ({ 'Fn::FindInMap': [REGION_CODES_MAPPING, { Ref: 'AWS::Region' }, 'code'] });

/** Why a stage name cannot be deployed, or undefined when it can. */
export function stageProblem(stage: string): string | undefined {
  if (!STAGE_PATTERN.test(stage))
    return `stage "${stage}" must be lower-case letters, digits and hyphens, starting with a letter (it is part of bucket names)`;
  if (stage.length > MAX_STAGE_LENGTH)
    return `stage "${stage}" is ${stage.length} characters; at most ${MAX_STAGE_LENGTH} fit every resource name in every region (S3 bucket names: 63)`;
  return undefined;
}
