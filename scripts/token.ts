import { parseArgs } from 'node:util';
import { signToken } from '../src/auth/sign-token';
import { loadConfig } from '../src/config';

/**
 * `npm run token -- --sub alice --role admin [--name "Alice"] [--expires 8h]` prints a bearer
 * token signed with JWT_SECRET (the development secret when unset), for the Playground or curl.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string', multiple: true, default: [] },
      expires: { type: 'string', default: '8h' },
    },
  });
  if (!values.sub)
    throw new Error(
      'usage: npm run token -- --sub <user> [--role admin] [--name <name>] [--expires 8h]',
    );
  const config = loadConfig();
  if (!config.JWT_SECRET)
    throw new Error('JWT_JWKS_URL is set: tokens come from the identity provider');
  const token = await signToken(config.JWT_SECRET, {
    sub: values.sub,
    name: values.name,
    roles: values.role,
    expiresIn: values.expires,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
