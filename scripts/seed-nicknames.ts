// npm run seed:nicknames -- --table refinery-matcher-<stage>-nicknames [--region us-east-1]
//
// Seeds a deployed matcher's nickname table (DynamoDB) from the bundled data (libs/nicknames/data, Apache-2.0).
// Idempotent: a table already seeded from the same data is left as it is. Credentials and region come from the
// environment (AWS_PROFILE, AWS_REGION, ...); AWS_ENDPOINT_URL_DYNAMODB points it at an emulator.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTable } from '@refinery/aws-adapters';
import { seedNicknames } from '@refinery/matcher';
import { loadBundledNicknames, NICKNAMES_CSV_PATH } from '@refinery/nicknames';
import { Command } from 'commander';

export async function seedNicknameTable(
  options: { table: string; region?: string },
  client = new DynamoDBClient(options.region ? { region: options.region } : {}),
) {
  const table = new DynamoTable({ client, tableName: options.table });
  return seedNicknames(table, loadBundledNicknames(), NICKNAMES_CSV_PATH.replace(/.*libs\//, 'libs/'));
}

if (require.main === module) {
  const program = new Command()
    .name('seed-nicknames')
    .requiredOption('--table <name>', 'the nicknames table (output NicknamesTableName of the matcher stack)')
    .option('--region <region>', 'AWS region (default from the environment)')
    .action(async (options: { table: string; region?: string }) => {
      const result = await seedNicknameTable(options);
      process.stdout.write(
        result.seeded ? `seeded ${result.names} names into ${options.table}\n` : `${options.table} already holds this data (${result.names} names)\n`,
      );
    });
  program.parseAsync(process.argv).catch((error: unknown) => {
    process.stderr.write(`seed-nicknames: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
