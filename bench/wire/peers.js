'use strict';
/**
 * The outside ends of the wire.* scenarios, all run from native/bench/udp_gso_sender.c (the C
 * reference): a sink nobody reads (the tx scenarios' destination: the kernel takes each datagram
 * through loopback to the full socket queue and drops it there, the same work for every sender),
 * the reference sender driven run by run (wire.udp.c-tx), and a sender that blasts until stopped
 * (the rx scenarios' traffic).
 */
const { spawn } = require('node:child_process');

const { cTool } = require('../../scripts/c-tools');

const SENDER = 'native/bench/udp_gso_sender.c';

/** Calls onLine for each line the child prints. */
function lines(child, onLine) {
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
}

function stopper(child) {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin.end();
    });
}

/** A bound UDP socket that is never read; resolves { port, stop() }. */
function startSink(host = '127.0.0.1') {
  const child = spawn(cTool(SENDER), ['--sink', `${host}:0`], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    lines(child, (line) => resolve({ port: Number(line), stop: stopper(child) }));
  });
}

function senderArgs({ host = '127.0.0.1', port, size, gso = true, segments }) {
  const args = ['--dest', `${host}:${port}`, '--size', String(size), '--gso', gso ? '1' : '0'];
  if (segments) args.push('--segments', String(segments));
  return args;
}

/**
 * The reference sender in --runs mode: run(n) sends n datagrams and resolves
 * { sent, cpuNs, wallNs } (the C process's own CPU time for the run).
 */
function startRunSender(options) {
  const child = spawn(cTool(SENDER), [...senderArgs(options), '--runs'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  lines(child, (line) => {
    const [sent, cpuNs, wallNs] = line.split(' ').map(Number);
    waiting.shift()({ sent, cpuNs, wallNs });
  });
  return {
    run(n) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${n}\n`);
      });
    },
    stop: stopper(child),
  };
}

/** The reference sender sending as fast as it can until stop(). */
function startBlaster(options) {
  const child = spawn(cTool(SENDER), senderArgs(options), { stdio: ['pipe', 'ignore', 'inherit'] });
  return { stop: stopper(child) };
}

module.exports = { startSink, startRunSender, startBlaster };
