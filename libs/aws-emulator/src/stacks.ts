import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { functionsOf, type Template } from './templates';

/** A packaged Serverless stack: what `serverless package` wrote into a service's `.serverless/`. */
export interface PackagedStack {
  /** The stack's name, e.g. `refinery-matcher-ci`. */
  readonly stackName: string;
  /** The folder with cloudformation-template-{create,update}-stack.json and the zip artifacts. */
  readonly directory: string;
  /** Changes the update template before it is deployed (a stage with short timeouts, for tests). */
  readonly transform?: (template: Template) => Template;
}

export interface DeployedStack {
  readonly stackName: string;
  /** The template as deployed. */
  readonly template: Template;
  readonly directory: string;
  /** Logical id -> physical id, for every resource. */
  readonly resources: ReadonlyMap<string, string>;
  readonly outputs: Readonly<Record<string, string>>;
}

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] as const;

/**
 * Deploys a packaged stack as `serverless deploy` does: the create template (the deployment bucket), the code
 * artifacts uploaded into that bucket under the keys the update template names, then the update template.
 */
export async function deployStack(stack: PackagedStack, clients: { cloudFormation: CloudFormationClient; s3: S3Client }): Promise<DeployedStack> {
  const { cloudFormation, s3 } = clients;
  const read = (file: string) => readFileSync(join(stack.directory, file), 'utf8');
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: stack.stackName,
      TemplateBody: read('cloudformation-template-create-stack.json'),
      Capabilities: [...CAPABILITIES],
    }),
  );
  await settle(cloudFormation, stack.stackName);
  const deploymentBucket = (await physicalIds(cloudFormation, stack.stackName)).get('ServerlessDeploymentBucket');
  const packaged = JSON.parse(read('cloudformation-template-update-stack.json')) as Template;
  const template = stack.transform ? stack.transform(packaged) : packaged;
  const artifacts = new Set(functionsOf(template).map((fn) => fn.artifactKey));
  for (const key of artifacts) {
    if (!deploymentBucket) throw new Error(`${stack.stackName} has functions but no deployment bucket`);
    const file = key.split('/').at(-1) as string;
    await s3.send(new PutObjectCommand({ Bucket: deploymentBucket, Key: key, Body: readFileSync(join(stack.directory, file)) }));
  }
  await cloudFormation.send(
    new UpdateStackCommand({ StackName: stack.stackName, TemplateBody: JSON.stringify(template), Capabilities: [...CAPABILITIES] }),
  );
  await settle(cloudFormation, stack.stackName);
  const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack.stackName }));
  const outputs = Object.fromEntries((described.Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
  return { stackName: stack.stackName, template, directory: stack.directory, resources: await physicalIds(cloudFormation, stack.stackName), outputs };
}

async function physicalIds(cloudFormation: CloudFormationClient, stackName: string): Promise<Map<string, string>> {
  const { StackResources } = await cloudFormation.send(new DescribeStackResourcesCommand({ StackName: stackName }));
  return new Map((StackResources ?? []).map((resource) => [resource.LogicalResourceId ?? '', resource.PhysicalResourceId ?? '']));
}

/** Waits for a stack operation to end; a stack that does not end complete fails with CloudFormation's reasons. */
async function settle(cloudFormation: CloudFormationClient, stackName: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const status = Stacks?.[0]?.StackStatus ?? 'UNKNOWN';
    if (!status.endsWith('_IN_PROGRESS')) {
      if (status.endsWith('_COMPLETE') && !status.includes('ROLLBACK')) return;
      const { StackEvents } = await cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackName }));
      const reasons = (StackEvents ?? [])
        .filter((event) => event.ResourceStatusReason)
        .slice(0, 5)
        .map((event) => `${event.LogicalResourceId}: ${event.ResourceStatusReason}`);
      throw new Error(`stack ${stackName} ended ${status}: ${reasons.join('; ') || 'no reason given'}`);
    }
    if (Date.now() > deadline) throw new Error(`stack ${stackName} still ${status} after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
