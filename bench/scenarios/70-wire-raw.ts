/**
 * Raw Ethernet frames over a veth pair: frames per second, CPU per frame and GCs of the pool's
 * RawEthernetInterface (AF_XDP, the pool's buffers as the UMEM) beside a C reference of the same
 * technique, 64-byte frames. One op = one frame.
 *
 *   wire.raw.c-tx      native/bench/raw_xdp_ref.c: AF_XDP TX in copy mode, batches of 64, a
 *                      4-byte sequence number stamped into each frame; counted when completed.
 *   wire.raw.pool-tx   bench/wire/raw-pool-peer.ts: the same loop in JavaScript over pool packets
 *                      through the DriverKit queues by index (enqueue and dequeue in JS over the
 *                      region, one service() call per batch moves them to and from the kernel),
 *                      each frame stamped through one DataView of the region as C stamps it.
 *   wire.raw.pool-tx.objects   the same with the queues' object form (EnqueuePackets /
 *                      DequeuePackets of IOUserNetworkPacket objects).
 *   wire.raw.pool-tx.indices   the same by index without queues (postTxPacketIndices /
 *                      pollTxCompletionIndices: two native calls per batch).
 *   wire.raw.c-rx      the C reference receiving (poll() when the ring is empty) while another
 *                      C process sends as fast as it can from the peer end.
 *   wire.raw.pool-rx   the pool receiving the same way, from the same sender, through the queues
 *                      (and wire.raw.pool-rx.objects, wire.raw.pool-rx.indices as for TX).
 *
 * Both sides of every scenario run as child processes inside a network namespace the scenario
 * creates (veth va <-> vb) and removes, driven by the same "N" -> "N cpuNs wallNs" protocol, so
 * cpuUsPerPacket is the working process's own CPU and the pool's GCs are counted where they
 * happen. With two or more CPUs the measured process is pinned to the last one and the sender to
 * CPU 0 (bench/wire/raw-processes.ts). On a shared 2-vCPU VM the kernel's per-frame cost still
 * swings from run to run (README, "Raw Ethernet frames"): for a comparison that cancels that,
 * bench/wire/raw-alternate.ts interleaves short runs of the same processes.
 *
 * The pool scenarios cover >= 3.4M frames per round (10M over the default three rounds) so that
 * bench/ratios.ts can hold them to zero GCs.
 *
 * Needs root (namespaces, AF_XDP) and libxdp-dev/libbpf-dev (the C reference links them);
 * otherwise the scenarios are left out, run.js prints the reason on stderr and puts it in the
 * JSON report's `skipped`.
 */
import { createNamespace } from '../repo';
import type { ScenarioDefinition, ScenarioInstance, SkippedFamily } from '../scenario';
import { RAW_COMMANDS, rawCpus, startRunner, startSender, whyNotRaw, type RawCommand } from '../wire/raw-processes';

/** Frames per round the pool scenarios cover, for the zero-GC check (bench/ratios.ts). */
const ZERO_GC_MIN_OPS_PER_ROUND = 3_400_000;

function scenario(name: string, { argv, senderOnPeer }: RawCommand): ScenarioDefinition {
  return {
    name,
    minOps: name.startsWith('wire.raw.pool-') ? ZERO_GC_MIN_OPS_PER_ROUND : 0,
    async setup(): Promise<ScenarioInstance> {
      const ns = createNamespace('pbp-bench');
      const cpus = rawCpus();
      const stops: (() => Promise<void>)[] = [];
      const stopAll = async (): Promise<void> => {
        for (const stop of stops) await stop();
        ns.remove();
      };
      try {
        if (senderOnPeer) stops.push((await startSender(ns, cpus?.sender)).stop);
        const runner = await startRunner(ns, argv(), cpus?.measured);
        stops.unshift(runner.stop);
        let lastCpuMs = 0;
        let gcTotal = 0;
        return {
          run: async (n) => {
            const r = await runner.run(n);
            lastCpuMs = r.cpuNs / 1e6;
            gcTotal += r.gcCount;
          },
          cpuMsOfLastRun: () => lastCpuMs,
          externalGcCount: () => gcTotal,
          teardown: stopAll,
        };
      } catch (err) {
        await stopAll();
        throw err;
      }
    },
  };
}

// Without root the list is empty and says why (bench/scenarios/index.ts: `skipped`), so that
// run.ts prints the reason and bench/ratios.ts reports the raw targets as skipped, not failed.
const reason = whyNotRaw();
export const scenarios: ScenarioDefinition[] = reason
  ? []
  : Object.entries(RAW_COMMANDS).map(([name, command]) => scenario(name, command));
export const skipped: SkippedFamily | undefined = reason
  ? { group: 'wire.raw.*', names: Object.keys(RAW_COMMANDS), reason }
  : undefined;
