import { rmSync } from 'node:fs';
import { adminQuery } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.TEST_ADMIN_DATABASE_URL;
  const template = process.env.TEST_TEMPLATE_DATABASE;
  if (adminUrl && template) await adminQuery(adminUrl, `drop database if exists ${template}`);
  const embedded = (globalThis as { testDatabase?: { stop(): Promise<void>; dir: string } })
    .testDatabase;
  if (embedded) {
    await embedded.stop();
    rmSync(embedded.dir, { recursive: true, force: true });
  }
}
