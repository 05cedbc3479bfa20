/**
 * An interleaved comparison of wire.raw scenarios, for when the kernel's cost per frame swings
 * between runs (README, "Raw Ethernet frames"): every named scenario's process starts once, each
 * in its own namespace, pinned like the bench's (bench/wire/raw-processes.ts); then `rounds`
 * rounds each run every process for `frames` frames in turn (an RX scenario's C sender is resumed
 * only for its own runs, SIGSTOPped otherwise). A slow phase of the machine then lands on
 * neighbouring runs of every scenario alike, and the ratio of each run to the first scenario's
 * run of the same round cancels it: the medians of those paired ratios are the comparison.
 *
 *   node build-ts/bench/wire/raw-alternate.js [--rounds 100] [--frames 50000] [--json] NAME...
 *
 * NAMEs are wire.raw scenario names (the `wire.raw.` prefix may be left out); the first is the
 * reference. Prints, per scenario: median wall ns per frame (and frames/s), median CPU ns per
 * frame, GCs, and the median, 25th and 75th percentile of the paired frames/s ratio against the
 * reference (> 1: faster) and the median paired CPU-per-frame ratio (> 1: less CPU). Root only.
 */
import { createNamespace, type Namespace } from '../repo';
import { RAW_COMMANDS, rawCpus, startRunner, startSender, whyNotRaw, type Runner, type Sender } from './raw-processes';

interface Args {
  rounds: number;
  frames: number;
  json: boolean;
  names: string[];
}

const WARM_ROUNDS = 2;

function parseArgs(argv: string[]): Args {
  const args: Args = { rounds: 100, frames: 50_000, json: false, names: [] };
  const positive = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) usage(`${flag} needs a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') args.rounds = positive(a, argv[++i]);
    else if (a === '--frames') args.frames = positive(a, argv[++i]);
    else if (a === '--json') args.json = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else {
      const name = a.startsWith('wire.raw.') ? a : `wire.raw.${a}`;
      if (!(name in RAW_COMMANDS)) usage(`unknown scenario ${a} (one of ${Object.keys(RAW_COMMANDS).join(', ')})`);
      args.names.push(name);
    }
  }
  if (args.names.length === 0) usage('name at least one scenario');
  return args;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: node build-ts/bench/wire/raw-alternate.js [--rounds N] [--frames N] [--json] NAME...\n`,
  );
  process.exit(2);
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
}

interface Live {
  name: string;
  ns: Namespace;
  sender?: Sender;
  runner?: Runner;
  wallNs: number[];
  cpuNs: number[];
  gcCount: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const reason = whyNotRaw();
  if (reason) usage(`wire.raw: ${reason}`);
  const cpus = rawCpus();
  const live: Live[] = [];
  // Interrupted (Ctrl-C, a timeout): a SIGSTOPped sender would never see the signal, so kill
  // every child outright and remove the namespaces before going.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const l of live) {
        l.runner?.kill();
        l.sender?.kill();
      }
      for (const l of live) l.ns.remove();
      process.exit(130);
    });
  }
  try {
    for (const name of args.names) {
      const l: Live = { name, ns: createNamespace('pbp-alt'), wallNs: [], cpuNs: [], gcCount: 0 };
      live.push(l);
      if (RAW_COMMANDS[name].senderOnPeer) {
        l.sender = await startSender(l.ns, cpus?.sender);
        l.sender.pause();
      }
      l.runner = await startRunner(l.ns, RAW_COMMANDS[name].argv(), cpus?.measured);
    }
    for (let round = -WARM_ROUNDS; round < args.rounds; round++) {
      for (const l of live) {
        l.sender?.resume();
        const r = await l.runner!.run(args.frames);
        l.sender?.pause();
        if (round < 0) continue;
        l.wallNs.push(r.wallNs / r.n);
        l.cpuNs.push(r.cpuNs / r.n);
        l.gcCount += r.gcCount;
      }
    }
  } finally {
    for (const l of live) {
      await l.runner?.stop();
      await l.sender?.stop();
      l.ns.remove();
    }
  }
  const ref = live[0];
  const results = live.map((l) => {
    const speed = l.wallNs.map((w, i) => ref.wallNs[i] / w);
    const cpu = l.cpuNs.map((c, i) => ref.cpuNs[i] / c);
    return {
      name: l.name,
      wallNsPerFrame: quantile(l.wallNs, 0.5),
      pps: Math.round(1e9 / quantile(l.wallNs, 0.5)),
      cpuNsPerFrame: quantile(l.cpuNs, 0.5),
      gcCount: l.gcCount,
      ratio: { median: quantile(speed, 0.5), p25: quantile(speed, 0.25), p75: quantile(speed, 0.75) },
      cpuRatio: quantile(cpu, 0.5),
    };
  });
  const conditions = { rounds: args.rounds, frames: args.frames, cpus, reference: ref.name };
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ ...conditions, results }, null, 2)}\n`);
    return;
  }
  const pin = cpus ? `measured on CPU ${cpus.measured}, sender on CPU ${cpus.sender}` : 'not pinned';
  process.stdout.write(`${args.rounds} rounds x ${args.frames} frames, ${pin}; ratios against ${ref.name}\n`);
  for (const r of results) {
    process.stdout.write(
      `${r.name.padEnd(26)} ${r.wallNsPerFrame.toFixed(0).padStart(5)} ns/frame ${String(r.pps).padStart(8)}/s` +
        `  cpu ${r.cpuNsPerFrame.toFixed(0).padStart(5)} ns  gc ${r.gcCount}` +
        `  frames/s x${r.ratio.median.toFixed(3)} [${r.ratio.p25.toFixed(2)}..${r.ratio.p75.toFixed(2)}]` +
        `  cpu x${r.cpuRatio.toFixed(3)}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
