import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The benchmarks measure the server as production runs it: the build, started with the node
 * flags of `npm start` (read from package.json, so the two cannot drift apart).
 */
export function productionServerArgs(dir = '.'): string[] {
  const { scripts } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = scripts.start!.split(/\s+/);
  if (command !== 'node') throw new Error(`npm start runs ${command}, not node`);
  return args;
}

export function buildServer(dir = '.'): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit', cwd: dir });
}
