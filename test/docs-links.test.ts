import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/**
 * The README and docs/ point at each other and at the code, and code comments point at
 * docs/performance.md's sections: a moved file or a renamed heading must fail here, not leave a
 * newcomer at a dead link.
 */

const tracked = (pattern: string): string[] =>
  execFileSync('git', ['ls-files', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);

const markdown = [...tracked('*.md'), ...tracked('docs/*.md')].filter(
  (file, i, all) => all.indexOf(file) === i && !file.startsWith('examples/'),
);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

/** A link's target problem, if any: a missing file, or a missing heading in a markdown file. */
function brokenTarget(from: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#');
  const file = path ? normalize(join(dirname(from), path)) : from;
  if (!existsSync(file)) return `${target}: no such file`;
  if (anchor && file.endsWith('.md') && !anchorsOf(file).has(anchor)) {
    return `${target}: no heading #${anchor} in ${file}`;
  }
  return undefined;
}

describe('documentation links', () => {
  it('resolve, in the README and docs/', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // http(s), mailto: not checked offline
        const problem = brokenTarget(file, target!);
        if (problem) broken.push(`${file}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('resolve, in code comments that point at docs/', () => {
    const broken: string[] = [];
    for (const file of tracked('*.ts')) {
      const text = readFileSync(file, 'utf8');
      for (const [target] of text.matchAll(/docs\/[\w-]+\.md(#[\w-]+)?/g)) {
        const problem = brokenTarget('README.md', target);
        if (problem) broken.push(`${file}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
