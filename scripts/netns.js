'use strict';
/**
 * A network namespace holding a veth pair (va <-> vb), for the raw-frame tests, examples and
 * benches: traffic between the two ends never leaves it. createNamespace() makes it (root only),
 * remove() deletes it and both interfaces with it. IPv6 is off inside so the kernel sends no
 * neighbour discovery frames of its own.
 *
 * With { split: true } vb lives in a second namespace (`peer`): IP traffic between addresses on
 * va and vb then crosses the pair instead of being delivered locally.
 */
const { execFileSync } = require('node:child_process');

let counter = 0;

const ip = (...args) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function addNamespace(name) {
  ip('netns', 'add', name);
  execFileSync('ip', [
    'netns',
    'exec',
    name,
    'sysctl',
    '-qw',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]);
  ip('-n', name, 'link', 'set', 'lo', 'up');
}

function createNamespace(prefix = 'pbp', { split = false } = {}) {
  const name = `${prefix}-${process.pid}-${counter++}`;
  const peer = split ? `${name}-b` : name;
  const made = [];
  try {
    addNamespace(name);
    made.push(name);
    if (split) {
      addNamespace(peer);
      made.push(peer);
    }
    ip('-n', name, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', peer);
    ip('-n', name, 'link', 'set', 'va', 'up');
    ip('-n', peer, 'link', 'set', 'vb', 'up');
  } catch (err) {
    for (const n of made) ip('netns', 'del', n);
    throw err;
  }
  let removed = false;
  return {
    name,
    /** The namespace of vb (the same as `name` unless split). */
    peer,
    /** argv prefix that runs a command inside the namespace (of va). */
    exec: ['ip', 'netns', 'exec', name],
    /** argv prefix that runs a command inside vb's namespace. */
    peerExec: ['ip', 'netns', 'exec', peer],
    ip: (...args) => ip('-n', name, ...args),
    peerIp: (...args) => ip('-n', peer, ...args),
    remove() {
      if (removed) return;
      removed = true;
      for (const n of made) ip('netns', 'del', n);
    },
  };
}

module.exports = { createNamespace };
