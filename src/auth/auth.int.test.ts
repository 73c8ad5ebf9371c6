import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import { startTestServer, type TestServer } from '../../test/support/server';
import { signToken } from './sign-token';

const READ = '{ categories { id } }';
const ME_ONLY = `mutation { addReview(input: { productId: "1", rating: 5 }) { id } }`;

describe('bearer tokens (HS256)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('lets a request without a token read as an anonymous reader', async () => {
    const response = await server.gql(READ);
    expect(response.errors).toBeUndefined();
  });

  it('accepts a valid token for reads too', async () => {
    const response = await server.gql(READ, {}, { token: await server.token({ sub: 'u1' }) });
    expect(response.errors).toBeUndefined();
  });

  const unsigned = (payload: object) =>
    `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
      JSON.stringify(payload),
    ).toString('base64url')}.`;
  const now = () => Math.floor(Date.now() / 1000);

  const cases: [string, () => Promise<Record<string, string>>, RegExp][] = [
    [
      'an expired token',
      async () => bearer(await server.token({ sub: 'u', expiresIn: now() - 60 })),
      /expired/,
    ],
    [
      'a token not valid yet',
      async () =>
        bearer(
          await new SignJWT({})
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('u')
            .setNotBefore(now() + 3600)
            .setExpirationTime('2h')
            .sign(new TextEncoder().encode(server.config.JWT_SECRET)),
        ),
      /not valid yet/,
    ],
    [
      'a token with a wrong signature',
      async () => bearer(await signToken('x'.repeat(40), { sub: 'u' })),
      /signature/,
    ],
    [
      'an alg: none token',
      async () => bearer(unsigned({ sub: 'admin', roles: ['admin'], exp: now() + 600 })),
      /./,
    ],
    ['a token without expiry', async () => bearer(await noExpiry()), /exp/],
    ['a malformed token', async () => bearer('abc.def.ghi'), /not valid/],
    [
      'a header that is not Bearer',
      async () => ({ authorization: 'Basic dXNlcjpwYXNz' }),
      /Bearer/,
    ],
    ['an empty Bearer header', async () => ({ authorization: 'Bearer ' }), /Bearer/],
  ];

  it.each(cases)(
    'refuses %s with 401 UNAUTHENTICATED, even for reads',
    async (_name, headers, message) => {
      const response = await server.gql(READ, {}, { headers: await headers() });
      expect(response.status).toBe(401);
      expect(response.data ?? null).toBeNull();
      expect(response.errors).toEqual([
        { message: expect.stringMatching(message), extensions: { code: 'UNAUTHENTICATED' } },
      ]);
    },
  );

  it('needs a signed-in user for addReview', async () => {
    const response = await server.gql(ME_ONLY);
    expect(response.status).toBe(200);
    expect(response.errors?.[0]).toMatchObject({
      path: ['addReview'],
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  function bearer(token: string) {
    return { authorization: `Bearer ${token}` };
  }
  function noExpiry() {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .sign(new TextEncoder().encode(server.config.JWT_SECRET));
  }
});

describe('bearer tokens from an identity provider (JWKS)', () => {
  let jwks: Server;
  let server: TestServer;
  let sign: (claims: { sub: string; roles?: string[]; audience?: string }) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const address = jwks.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    server = await startTestServer({
      env: {
        JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        JWT_ISSUER: 'https://idp.test',
        JWT_AUDIENCE: 'catalog-api',
      },
    });
    sign = (claims) =>
      new SignJWT({ roles: claims.roles ?? [] })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setSubject(claims.sub)
        .setIssuer('https://idp.test')
        .setAudience(claims.audience ?? 'catalog-api')
        .setExpirationTime('5m')
        .sign(privateKey);
  });
  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('accepts tokens signed by the provider, with their roles', async () => {
    const admin = await sign({ sub: 'idp-admin', roles: ['admin'] });
    const response = await server.gql(
      `mutation { createCategory(input: { slug: "from-idp", name: "From IdP" }) { slug } }`,
      {},
      { token: admin },
    );
    expect(response.errors).toBeUndefined();
  });

  it('refuses a token the provider issued to another application', async () => {
    const elsewhere = await sign({ sub: 'idp-admin', roles: ['admin'], audience: 'billing-api' });
    const response = await server.gql(READ, {}, { token: elsewhere });
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.message).toBe('The token\'s "aud" claim is not accepted');
  });

  it('refuses an HS256 token, even one signed with the development secret', async () => {
    const forged = await signToken(
      server.config.JWT_SECRET ?? 'catalog-graphql-development-secret-not-for-production',
      {
        sub: 'x',
        roles: ['admin'],
      },
    );
    const response = await server.gql(READ, {}, { token: forged });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
