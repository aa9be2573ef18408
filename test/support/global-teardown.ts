import type { SuiteResources } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __tradeguardSuite?: SuiteResources; __tradeguardSummary?: string };
  await g.__tradeguardSuite?.stop();
  if (g.__tradeguardSummary) process.stderr.write(`\n${g.__tradeguardSummary}\n`);
}
