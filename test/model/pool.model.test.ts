/**
 * Model-based tests: long random sequences of pool and packet calls, valid and invalid, run
 * against the reference model in pool-model.ts, with every invariant (invariants.ts) checked
 * after every step. Three pools: the default per-thread cache, no cache, and chained buffers.
 *
 * FC_NUM_RUNS (runs per pool, default 40), FC_MAX_COMMANDS (default 200) and FC_SEED (replay a
 * failure; fast-check prints the seed and path) tune a run.
 */
import fc from 'fast-check';

import { IOUserNetworkPacketBufferPool } from '../../lib';
import { allocCommands, auditFreeList, releaseCommand } from './alloc-commands';
import { deallocCommands } from './dealloc-commands';
import { checkInvariants } from './invariants';
import { packetCommands } from './packet-commands';
import { PoolCommand } from './pool-command';
import { PoolConfig, PoolModel, RealPools } from './pool-model';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 40);
const MAX_COMMANDS = Number(process.env.FC_MAX_COMMANDS ?? 200);
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);

const CONFIGS: PoolConfig[] = [
  // Default cache: min(256, packetCount / 8) = 6 indices, so refills and flushes happen often.
  {
    label: 'the default cache',
    packetCount: 48,
    bufferCount: 48,
    bufferSize: 64,
    maxBuffersPerPacket: 1,
    headroom: 16,
  },
  {
    label: 'cacheSize 0',
    packetCount: 32,
    bufferCount: 32,
    bufferSize: 128,
    maxBuffersPerPacket: 1,
    headroom: 0,
    cacheSize: 0,
  },
  // 36 extra buffers for 24 packets of up to 4: chains run out of buffers as well as hit the limit.
  { label: 'chained buffers', packetCount: 24, bufferCount: 60, bufferSize: 64, maxBuffersPerPacket: 4, headroom: 8 },
];

function openPools(config: PoolConfig): RealPools {
  const pool = IOUserNetworkPacketBufferPool.CreateWithOptions(null, `model ${config.label}`, {
    packetCount: config.packetCount,
    bufferCount: config.bufferCount,
    bufferSize: config.bufferSize,
    maxBuffersPerPacket: config.maxBuffersPerPacket,
    headroom: config.headroom,
    ...(config.cacheSize === undefined ? {} : { cacheSize: config.cacheSize }),
  });
  const other = IOUserNetworkPacketBufferPool.Create(null, 'foreign', 4, 4, 64);
  const foreignPacket = other.allocatePacket();
  if (foreignPacket === null) throw new Error('the foreign pool gave no packet');
  return { pool, other, foreignPacket };
}

// Weights: release() is rare (about one run in three reaches it) so most steps run on an open
// pool; the packet commands are spread evenly.
function commandArbitrary(): fc.Arbitrary<PoolCommand> {
  const weighted = [
    ...allocCommands(),
    ...deallocCommands(),
    ...packetCommands().map((arbitrary) => ({ arbitrary, weight: 3 })),
  ].map(({ arbitrary, weight }) => ({ arbitrary, weight: weight * 10 }));
  return fc.oneof(...weighted, { arbitrary: releaseCommand(), weight: 1 });
}

describe.each(CONFIGS)('model-based: a pool with $label', (config) => {
  it('keeps every invariant through random sequences of valid and invalid calls', () => {
    const commands = fc.commands([commandArbitrary()], { maxCommands: MAX_COMMANDS, size: 'max' });
    fc.assert(
      fc.property(commands, (cmds) => {
        const real = openPools(config);
        const model = new PoolModel(config);
        try {
          checkInvariants(model, real);
          fc.modelRun(() => ({ model, real }), cmds);
          // Whatever the run did, the free list holds exactly the packets not held, once each.
          if (!model.released) {
            auditFreeList(model, real);
            checkInvariants(model, real);
          }
        } finally {
          real.pool.release();
          real.other.release();
        }
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
  }, 600_000);
});
