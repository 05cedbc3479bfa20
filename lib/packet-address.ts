/**
 * A packet's address record (32 bytes per packet in the pool's region, `PacketAddress` in
 * native/core/layout.h): where a packet goes (TX on an unconnected interface) or where it came
 * from (RX), plus the segment size of a GSO/GRO super-packet. The UDP interface reads and writes
 * it natively; these functions are its JavaScript side. A received packet's record is its
 * source, so sending the same packet back (an echo) needs no address work at all.
 */
import { isIPv4, isIPv6 } from 'node:net';

import { describe, fail, kIOReturnBadArgument, kIOReturnNotPermitted } from './io-return';
import { AddressWord } from './layout';
import { IOUserNetworkPacket } from './packet';
import type { IOUserNetworkPacketBufferPool } from './pool';

/** An IP endpoint as the address record holds it. */
export interface IOUserNetworkPacketAddress {
  /** 4 or 6. */
  family: 4 | 6;
  /** Dotted IPv4 or IPv6 text. */
  address: string;
  /** UDP port, host byte order. */
  port: number;
  /** IPv6 scope (interface index); 0 otherwise. */
  scopeId: number;
}

interface AddressView {
  u32: Uint32Array;
  u8: Uint8Array;
  base: number; // word index of packet 0's record
}

const views = new WeakMap<IOUserNetworkPacketBufferPool, AddressView>();

function viewOf(pool: IOUserNetworkPacketBufferPool): AddressView {
  const u32 = pool._u32;
  let v = views.get(pool);
  if (v === undefined || v.u32 !== u32) {
    pool.getName(); // throws kIOReturnNotAttached after release
    const info = pool._native!.layoutInfo();
    v = { u32, u8: new Uint8Array(u32.buffer, u32.byteOffset, u32.byteLength), base: info.addressesOffset / 4 };
    views.set(pool, v);
  }
  return v;
}

/**
 * The address view of a held packet's pool (throws otherwise); its record starts at word
 * recordOf(v, packet). Two calls instead of one returning a pair: the receive path calls this
 * per packet, and must not allocate.
 */
function heldView(packet: IOUserNetworkPacket, what: string): AddressView {
  if (!(packet instanceof IOUserNetworkPacket))
    fail(kIOReturnBadArgument, `${what} must be a packet, got ${describe(packet)}`);
  const v = viewOf(packet._pool as IOUserNetworkPacketBufferPool); // the one PacketPool
  if (!v.u32[packet._m]) fail(kIOReturnNotPermitted, `${what}: packet ${packet._index} is not held (deallocated?)`);
  return v;
}

function recordOf(v: AddressView, packet: IOUserNetworkPacket): number {
  return v.base + packet._index * AddressWord.Words;
}

/** An IP address as bytes (`parseIpAddress`). */
export interface IOUserNetworkParsedIpAddress {
  /** 4 or 6. */
  family: 4 | 6;
  /** 4 (IPv4) or 16 (IPv6) bytes, network order. */
  bytes: number[];
  /** The numeric scope after '%' (IPv6), else 0. */
  scopeId: number;
}

/** The 4 or 16 bytes of an IPv4 / IPv6 text address (IPv6 may end in dotted IPv4); throws otherwise. */
export function parseIpAddress(text: string): IOUserNetworkParsedIpAddress {
  if (typeof text !== 'string') fail(kIOReturnBadArgument, `address must be a string, got ${describe(text)}`);
  if (isIPv4(text)) return { family: 4, bytes: text.split('.').map(Number), scopeId: 0 };
  let scopeId = 0;
  let body = text;
  const pct = text.indexOf('%');
  if (pct >= 0) {
    scopeId = Number(text.slice(pct + 1));
    body = text.slice(0, pct);
    if (!Number.isInteger(scopeId) || scopeId < 0 || scopeId > 0xffffffff) {
      fail(kIOReturnBadArgument, `address ${describe(text)}: the scope must be a numeric interface index here`);
    }
  }
  if (!isIPv6(body)) fail(kIOReturnBadArgument, `address ${describe(text)} is neither IPv4 nor IPv6`);
  let tail: number[] = [];
  let head = body;
  const lastColon = body.lastIndexOf(':');
  if (isIPv4(body.slice(lastColon + 1))) {
    tail = body
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    head = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const l = groups(left);
  const r = groups(right);
  const all = right === undefined ? l : [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
  const bytes: number[] = [];
  for (const g of all) bytes.push(g >> 8, g & 0xff);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return { family: 6, bytes, scopeId };
}

function formatIp(family: number, u8: Uint8Array, at: number): string {
  if (family === 4) return `${u8[at]}.${u8[at + 1]}.${u8[at + 2]}.${u8[at + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((u8[at + i] << 8) | u8[at + i + 1]).toString(16));
  // The longest run of zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * Sets where `packet` goes when an unconnected UDP interface sends it (its address record).
 * `address` is IPv4 or IPv6 text; `port` 0..65535.
 */
export function setPacketAddress(packet: IOUserNetworkPacket, address: string, port: number): void {
  const v = heldView(packet, 'packet');
  const w = recordOf(v, packet);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(kIOReturnBadArgument, `port must be 0..65535, got ${describe(port)}`);
  const ip = parseIpAddress(address);
  v.u32[w + AddressWord.FamilyPort] = ip.family | (port << 16);
  v.u32[w + AddressWord.Scope] = ip.scopeId;
  const at = (w + AddressWord.Addr) * 4;
  v.u8.fill(0, at, at + 16);
  for (let i = 0; i < ip.bytes.length; i++) v.u8[at + i] = ip.bytes[i];
}

/** The packet's address record (the source of a received packet), or null when it has none. */
export function getPacketAddress(packet: IOUserNetworkPacket): IOUserNetworkPacketAddress | null {
  const v = heldView(packet, 'packet');
  const w = recordOf(v, packet);
  const fp = v.u32[w + AddressWord.FamilyPort];
  const family = fp & 0xffff;
  if (family !== 4 && family !== 6) return null;
  return {
    family,
    address: formatIp(family, v.u8, (w + AddressWord.Addr) * 4),
    port: fp >>> 16,
    scopeId: v.u32[w + AddressWord.Scope],
  };
}

/** Removes the packet's address (a send on an unconnected interface then fails with kIOReturnBadArgument). */
export function clearPacketAddress(packet: IOUserNetworkPacket): void {
  const v = heldView(packet, 'packet');
  const w = recordOf(v, packet);
  v.u32[w + AddressWord.FamilyPort] = 0;
}

/**
 * The segment size of a packet received with GRO: its data is a run of datagrams of this size
 * (the last one may be shorter), or 0 when it holds one datagram.
 */
export function getPacketSegmentSize(packet: IOUserNetworkPacket): number {
  const v = heldView(packet, 'packet');
  const w = recordOf(v, packet);
  return v.u32[w + AddressWord.Segment] & 0xffff;
}
