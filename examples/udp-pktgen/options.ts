/** Command line of udp-pktgen: parsing, validation and --help. */
import { parseArgs } from 'node:util';

import type { Mode } from './counters';
import { MIN_SIZE, MAX_SIZE } from './frame';

// The only address this tool sends to: a generator pointed at someone else's host is a flood.
export const LOOPBACK = '127.0.0.1';
export const MAX_DURATION_S = 60;
const MAX_WORKERS = 32;

export const USAGE = `udp-pktgen: a UDP packet generator and sink over loopback, built on packet-buffer-pool.

Runs the same generator and sink three ways and compares them:
  pool    node:dgram sending frames built in pool packets (the packet's Buffer view, freed in
          the send callback); the sink is a node:dgram socket in a worker
  buffer  node:dgram sending a Buffer allocated per frame; same sink
  udp     the pool's UDP interface both ways: frames built in pool packets go out through the
          TX submission queue (sendmmsg + UDP GSO), the sink (a worker) receives them into pool
          packets (recvmmsg + UDP GRO) from the RX completion queue

Usage: npm run demo -- [options]   (compiles the examples, then runs
       node build-ts/examples/udp-pktgen/index.js [options])

  --size N         UDP payload bytes per packet, ${MIN_SIZE}..${MAX_SIZE} (default 512)
  --count N        packets per mode, all senders together (default: no limit)
  --duration S     seconds per mode, at most ${MAX_DURATION_S} (default 5); a mode ends at
                   --count or --duration, whichever comes first
  --workers N      send from N worker threads, each with its own socket (default 0: send
                   from the main thread); in pool mode each worker attaches to the pool
  --mode M         pool, buffer, udp, both (pool + buffer) or all (default all)
  --rate PPS       cap the total send rate in packets/s (default 0: as fast as possible)
  --burst N        packets sent per event-loop turn (default 32)
  --inflight N     packets sent but not yet completed, per sender (default 256)
  --dest ADDR      destination address; only ${LOOPBACK} is accepted
  --port N         sink UDP port on ${LOOPBACK} (default 0: any free port)
  --slot-views     pool mode: send each packet through a Buffer view of its data made once
                   per slot, instead of send(buffer, offset, length), which makes a view
                   object per send
  --json           print the final results as JSON on stdout instead of a table
  --quiet          no progress line
  -h, --help       this text

Progress goes to stderr (refreshed in place on a terminal, a line per second otherwise);
results go to stdout. Ctrl-C ends the current mode early. Drops = sent - received: the
sink could not keep up (its socket buffer overflowed); try --rate.

Exit status: 0 ok, 1 a frame arrived corrupted or packets were left in use, 2 bad options.`;

/** What a run was asked to do (parseOptions' result unless --help). */
export interface PktgenOptions {
  help: false;
  /** UDP payload bytes per packet. */
  size: number;
  /** Packets per mode, all senders together; Infinity when not limited. */
  count: number;
  durationS: number;
  /** --duration asked for more than MAX_DURATION_S. */
  durationCapped: boolean;
  workers: number;
  modes: Mode[];
  /** Packets/s cap, all senders together; 0: no cap. */
  rate: number;
  burst: number;
  inflight: number;
  dest: string;
  port: number;
  slotViews: boolean;
  json: boolean;
  quiet: boolean;
}

/** What --mode accepts: one mode, or both (pool + buffer), or all of them. */
const MODE_CHOICES = ['pool', 'buffer', 'udp', 'both', 'all'] as const;

function isModeChoice(text: string): text is (typeof MODE_CHOICES)[number] {
  return (MODE_CHOICES as readonly string[]).includes(text);
}

/** A command line the tool refuses; its message is for the user. */
export class UsageError extends Error {}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(String(text).trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * Parses argv into options. Throws UsageError (with a message for the user) on bad input.
 * Returns { help: true } for --help.
 */
export function parseOptions(argv: string[]): PktgenOptions | { help: true } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      size: { type: 'string' },
      count: { type: 'string' },
      duration: { type: 'string' },
      workers: { type: 'string' },
      mode: { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      inflight: { type: 'string' },
      dest: { type: 'string' },
      port: { type: 'string' },
      'slot-views': { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };

  const duration = values.duration === undefined ? 5 : Number(values.duration);
  if (!Number.isFinite(duration) || duration <= 0) {
    throw new UsageError(`--duration must be a number of seconds > 0, got ${JSON.stringify(values.duration)}`);
  }
  const dest = values.dest === undefined ? LOOPBACK : values.dest;
  if (dest !== LOOPBACK) {
    throw new UsageError(`--dest ${JSON.stringify(dest)} refused: udp-pktgen only sends to ${LOOPBACK}`);
  }
  const mode = values.mode === undefined ? 'all' : values.mode;
  if (!isModeChoice(mode)) {
    throw new UsageError(`--mode must be pool, buffer, udp, both or all, got ${JSON.stringify(mode)}`);
  }
  return {
    help: false,
    size: values.size === undefined ? 512 : integer('size', values.size, MIN_SIZE, MAX_SIZE),
    count: values.count === undefined ? Infinity : integer('count', values.count, 1, Number.MAX_SAFE_INTEGER),
    // Hard cap: a run is never longer than MAX_DURATION_S per mode.
    durationS: Math.min(duration, MAX_DURATION_S),
    durationCapped: duration > MAX_DURATION_S,
    workers: values.workers === undefined ? 0 : integer('workers', values.workers, 0, MAX_WORKERS),
    modes: mode === 'all' ? ['pool', 'buffer', 'udp'] : mode === 'both' ? ['pool', 'buffer'] : [mode],
    rate: values.rate === undefined ? 0 : integer('rate', values.rate, 0, 1e9),
    burst: values.burst === undefined ? 32 : integer('burst', values.burst, 1, 4096),
    inflight: values.inflight === undefined ? 256 : integer('inflight', values.inflight, 1, 65536),
    dest,
    port: values.port === undefined ? 0 : integer('port', values.port, 0, 65535),
    slotViews: values['slot-views'] === true,
    json: values.json === true,
    quiet: values.quiet === true,
  };
}
