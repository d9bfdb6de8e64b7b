#!/usr/bin/env node
// The `driftwatch` command: start (all roles or --roles), migrate, drift (offline), demo traffic.
import { ConfigError, loadConfig, parseRoles } from '../config/config.js';
import { createLogger } from '../observability/logger.js';
import { migrate } from '../storage/migrate.js';
import { startDriftwatch } from '../app/driftwatch.js';

const USAGE = `Usage: driftwatch <command> [options]

Commands:
  start [--roles ingest,analyzer,api] [--config FILE]
                                               run Driftwatch (every role by default)
  migrate [--config FILE]                      apply ClickHouse migrations and exit
  backfill --monitor ID --from T --to T        analyse a monitor's past windows (driftwatch backfill --help)
  reference upload|list|delete ...             baseline datasets (driftwatch reference --help)
  drift --reference A --current B [...]        offline drift report (driftwatch drift --help)
  generate [--rate N] [--count N] [...]        send synthetic demo traffic (driftwatch generate --help)

Configuration comes from environment variables and an optional JSON file (--config or
DRIFTWATCH_CONFIG); see the README for every key.`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new ConfigError(`${name} needs a value`);
  return value;
}

async function start(args: string[]): Promise<number> {
  const config = loadConfig(process.env, option(args, '--config') ?? process.env.DRIFTWATCH_CONFIG);
  const roles = option(args, '--roles');
  if (roles !== undefined) {
    try {
      config.roles = parseRoles(roles);
    } catch (error) {
      throw new ConfigError(`--roles: ${(error as Error).message}`);
    }
  }
  const log = createLogger(config.logLevel, { roles: [...config.roles].join(',') });
  const running = await startDriftwatch(config, log);
  if (config.demo) {
    const { runGenerateCommand } = await import('../demo/generate-command.js');
    runGenerateCommand(['--backfill-hours', '24', '--rate', '20', '--drift-after', '300'], { stdout: process.stdout, stderr: process.stderr })
      .catch((error: unknown) => log.error('demo traffic stopped', { error: (error as Error).message }));
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info('shutting down', { signal });
      running.stop().then(resolve, (error: unknown) => {
        log.error('shutdown failed', { error: (error as Error).message });
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      return start(args);
    case 'migrate': {
      const config = loadConfig(process.env, option(args, '--config') ?? process.env.DRIFTWATCH_CONFIG);
      const applied = await migrate(config.clickhouse);
      process.stdout.write(applied.length > 0 ? `applied migrations ${applied.join(', ')}\n` : 'schema is up to date\n');
      return 0;
    }
    case 'backfill': {
      const config = loadConfig(process.env, option(args, '--config') ?? process.env.DRIFTWATCH_CONFIG);
      const { runBackfillCommand } = await import('./backfill-command.js');
      return runBackfillCommand(args, config, { stdout: process.stdout, stderr: process.stderr });
    }
    case 'reference': {
      const config = loadConfig(process.env, option(args, '--config') ?? process.env.DRIFTWATCH_CONFIG);
      const { runReferenceCommand } = await import('./reference-command.js');
      return runReferenceCommand(args, config);
    }
    case 'drift': {
      const { runDriftCommand } = await import('../analyzer/offline/drift-command.js');
      return runDriftCommand(args, { stdout: process.stdout, stderr: process.stderr });
    }
    case 'generate': {
      const { runGenerateCommand } = await import('../demo/generate-command.js');
      return runGenerateCommand(args, { stdout: process.stdout, stderr: process.stderr });
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`driftwatch: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`driftwatch: configuration error: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`driftwatch: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
