import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { describe, expect, it } from '@jest/globals';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import pino from 'pino';
import { CompiledExecution, fixedSchemaGateway, notCompilable } from './compiled-execution';
import type { Context } from './context';
import { OperationPipeline } from './pipeline';
import type { ShadowMismatch } from './shadow-execution';

/**
 * A compiled run that throws instead of reporting (graphql-jit reads a plain field's value
 * without a guard; graphql-js would have made it a field error): Apollo must report it as an
 * execution failure, and the operation must not run a second time on graphql-js.
 */
describe('a compiled run that throws', () => {
  it('is reported by Apollo as a failed execution, run once', async () => {
    const schema = buildSchema('type Query { thing: Thing } type Thing { name: String }');
    let reads = 0;
    const thing = {
      get name(): string {
        reads += 1;
        throw new Error('the value could not be read');
      },
    };
    schema.getQueryType()!.getFields().thing!.resolve = () => thing;
    const outcomes: string[] = [];
    const compiledExecution = new CompiledExecution(schema, 2, {
      compiled: (outcome) => void outcomes.push(outcome),
      logger: pino({ level: 'silent' }),
    });
    const pipeline = new OperationPipeline(schema, compiledExecution, []);
    const reported: string[] = [];
    const server = new ApolloServer<Context>({
      gateway: fixedSchemaGateway(schema, pipeline.executor),
      plugins: [
        // As the app has it: Apollo's per-field cache hints would wrap every field's resolver,
        // and graphql-jit guards the reads of fields with resolvers.
        ApolloServerPluginCacheControlDisabled(),
        pipeline.apolloPlugin,
        {
          async requestDidStart() {
            return {
              async didEncounterErrors({ errors }) {
                reported.push(...errors.map((e) => e.message));
              },
            };
          },
        },
      ],
    });
    await server.start();
    try {
      const run = () =>
        server.executeOperation(
          { query: '{ thing { name } }' },
          // Only the operation's state is read (no concerns): a compiled run handed over rides on it.
          {
            contextValue: {
              report: { errorCodes: [] },
              route: () => undefined,
              settle: () => undefined,
            } as unknown as Context,
          },
        );
      // The first run on graphql-js: a field error, reported with the data around it.
      const first = await run();
      expect(first.body).toMatchObject({
        kind: 'single',
        singleResult: { data: { thing: { name: null } } },
      });
      expect(reported).toEqual(['the value could not be read']);
      expect(reads).toBe(1);

      // The second, compiled: the throw reaches Apollo as the execution's failure.
      reported.length = 0;
      const compiled = await run();
      expect(outcomes).toEqual(['ok']);
      expect(compiled.body).toEqual({
        kind: 'single',
        singleResult: {
          errors: [
            {
              message: 'the value could not be read',
              extensions: { code: 'INTERNAL_SERVER_ERROR' },
            },
          ],
        },
      });
      expect(reported).toEqual(['the value could not be read']);
      expect(reads).toBe(2);
    } finally {
      await server.stop();
    }
  });
});

/**
 * GRAPHQL_SHADOW_EXECUTION, with equivalence broken on purpose: a document notCompilable keeps
 * from graphql-jit, compiled anyway, must be reported (the test server then fails the test).
 */
describe('shadow execution', () => {
  const schema = buildSchema('type Query { a: String }');
  schema.getQueryType()!.getFields().a!.resolve = () => 'x';

  function shadowed(source: string) {
    const mismatches: ShadowMismatch[] = [];
    const compiledExecution = new CompiledExecution(schema, 1, {
      compiled: () => undefined,
      logger: pino({ level: 'silent' }),
      shadowMismatch: (mismatch) => void mismatches.push(mismatch),
    });
    const document = parse(source);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const query = compileQuery(schema, parse(source));
    if (!isCompiledQuery(query)) throw new Error('not compiled');
    const compiled = { query, document, operation, operationName: null };
    return { run: () => compiledExecution.run(compiled, {}, {}), mismatches };
  }

  it('reports a compiled answer that differs from graphql-js', async () => {
    const { run, mismatches } = shadowed('{ __proto__: a b: a }');
    expect(notCompilable(parse('{ __proto__: a b: a }'))).toBeDefined();
    await run();
    expect(mismatches).toEqual([
      {
        operationName: null,
        // graphql-jit writes `__proto__` last (with other names beside it, objects come back
        // empty); graphql-js in document order.
        compiled: '{"data":{"b":"x","__proto__":"x"}}',
        reference: '{"data":{"__proto__":"x","b":"x"}}',
      },
    ]);
  });

  it('reports nothing when the answers agree', async () => {
    const { run, mismatches } = shadowed('{ a b: a }');
    expect(await run()).toEqual({ data: { a: 'x', b: 'x' } });
    expect(mismatches).toEqual([]);
  });
});

/**
 * Literal variants (literal-hoisting.ts): one compiled query per form, and the texts that lead
 * to it bounded in bytes like every other cache here, never keeping a compiled query alive that
 * its own cache let go.
 */
describe('literal variants', () => {
  const schema = buildSchema('type Query { item(id: ID!): String other(n: Int): String }');
  const fields = schema.getQueryType()!.getFields();
  fields.item!.resolve = (_, { id }) => `item ${String(id)}`;
  fields.other!.resolve = (_, { n }) => `other ${String(n)}`;

  async function serverWith(cacheBytes: number) {
    const outcomes: string[] = [];
    const compiledExecution = new CompiledExecution(
      schema,
      1,
      { compiled: (outcome) => void outcomes.push(outcome), logger: pino({ level: 'silent' }) },
      cacheBytes,
    );
    const pipeline = new OperationPipeline(schema, compiledExecution, []);
    const server = new ApolloServer<Context>({
      gateway: fixedSchemaGateway(schema, pipeline.executor),
      plugins: [ApolloServerPluginCacheControlDisabled(), pipeline.apolloPlugin],
    });
    await server.start();
    const run = async (query: string) => {
      const response = await server.executeOperation(
        { query },
        {
          contextValue: {
            report: { errorCodes: [] },
            route: () => undefined,
            settle: () => undefined,
          } as unknown as Context,
        },
      );
      return response.body.kind === 'single' ? response.body.singleResult : undefined;
    };
    return { server, run, outcomes, compiledExecution };
  }

  it('share one compiled query, and their texts stay within the budget', async () => {
    const budget = 64 * 1024;
    const { server, run, outcomes, compiledExecution } = await serverWith(budget);
    try {
      for (let i = 0; i < 300; i++) {
        expect(await run(`{ item(id: "${i}") }`)).toEqual({ data: { item: `item ${i}` } });
        expect(compiledExecution.bytes).toBeLessThanOrEqual(budget + 2 * 1024 * 1024);
      }
      expect(outcomes).toEqual(['ok']);
      // The texts' share of the budget (a quarter) holds a few linked texts, not 300.
      expect(compiledExecution.bytes).toBeLessThanOrEqual(budget);
      expect(
        compiledExecution.compiledOperation({ text: '{ item(id: "299") }' }, null),
      ).toBeDefined();
      expect(
        compiledExecution.compiledOperation({ text: '{ item(id: "0") }' }, null),
      ).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  it('let go of their texts when the compiled query they share is let go', async () => {
    // Room for one compiled query of one field and one of nine (45 KB): not for both.
    const { server, run, outcomes, compiledExecution } = await serverWith(60 * 1024);
    try {
      await run('{ item(id: "1") }');
      expect(
        compiledExecution.compiledOperation({ text: '{ item(id: "1") }' }, null),
      ).toBeDefined();
      await run(`{ ${Array.from({ length: 9 }, (_, i) => `a${i}: other(n: ${i})`).join(' ')} }`);
      expect(outcomes).toEqual(['ok', 'ok']);
      expect(
        compiledExecution.compiledOperation({ text: '{ item(id: "1") }' }, null),
      ).toBeUndefined();
    } finally {
      await server.stop();
    }
  });
});
