import type { JobRef } from '@refinery/runtime';

/** Where a job's input lives; the uploads subscription reads tenant and job back from it. */
export function inputKey(tenantId: string, jobId: string): string {
  return `tenants/${tenantId}/jobs/${jobId}/input.csv`;
}

/** Where a UTF-16 input is kept transcoded to UTF-8, beside the input (the uploads subscription ignores it). */
export function utf8InputKey(key: string): string {
  return key.replace(/\.csv$/, '.utf-8.csv');
}

const INPUT_KEY = /^tenants\/([A-Za-z0-9_.-]+)\/jobs\/([A-Za-z0-9_]+)\/input\.csv$/;

/** The job whose input this key is, or undefined for any other object. */
export function parseInputKey(key: string): JobRef | undefined {
  const match = INPUT_KEY.exec(key);
  return match ? { tenantId: match[1] as string, jobId: match[2] as string } : undefined;
}
