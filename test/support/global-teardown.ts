import type { SuiteResources } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __tradeguardSuite?: SuiteResources }).__tradeguardSuite?.stop();
}
