import { describe, expect, it } from '@jest/globals';
import { buildSchema, GraphQLError, parse } from 'graphql';
import pino from 'pino';
import { CompiledExecution } from './compiled-execution';
import type { Context } from './context';
import { OperationPipeline, type OperationConcern } from './pipeline';

describe('OperationPipeline.resolve', () => {
  it('runs every concern when one refuses, and returns the first refusal', () => {
    const schema = buildSchema('type Query { a: String }');
    const compiledExecution = new CompiledExecution(schema, 2, {
      compiled: () => undefined,
      logger: pino({ level: 'silent' }),
    });
    const seen: string[] = [];
    const refusing = (name: string): OperationConcern => ({
      resolved: () => {
        seen.push(name);
        return new GraphQLError(`refused by ${name}`);
      },
    });
    // As the report after the cost limit: it names the refused operation too.
    const naming: OperationConcern = { resolved: () => void seen.push('report') };
    const pipeline = new OperationPipeline(schema, compiledExecution, [
      refusing('cost'),
      naming,
      refusing('other'),
    ]);
    const refusal = pipeline.resolve(
      { document: parse('{ a }'), operationName: null },
      {},
      {} as Context,
    );
    expect(refusal?.message).toBe('refused by cost');
    expect(seen).toEqual(['cost', 'report', 'other']);
  });
});
