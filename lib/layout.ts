/**
 * Word indices of the packet metadata records and thread slots inside the region, mirrored from
 * native/core/layout.h. They are plain constants so the JIT folds them into the hot path;
 * `checkLayout` compares them with what the addon was compiled with, once, at load time.
 */
import { fail, kIOReturnUnsupported } from './io-return';

export const LAYOUT_VERSION = 1;
export const META_WORDS = 16;
export const META_STATE = 0;
export const META_DATA_OFFSET = 1;
export const META_DATA_LENGTH = 2;
export const META_HEADROOM = 3;
export const META_LINK_HEADER_LENGTH = 4;
export const META_DIRECTION = 5;
export const META_FLAGS = 6;
export const META_BUFFER_COUNT = 7;
export const META_TIMESTAMP_LO = 8;
export const META_VLAN_TAG = 10;
export const META_RX_CHECKSUM_FLAGS = 11;
export const META_RX_CHECKSUM_VALUE = 12;
export const META_SERVICE_CLASS = 13;
export const META_COMPLETION_STATUS = 14;
export const META_TRACE_ID = 15;

export const FLAG_TIMESTAMP = 1 << 0;
export const FLAG_LINK_BROADCAST = 1 << 1;
export const FLAG_LINK_MULTICAST = 1 << 2;
export const FLAG_VLAN = 1 << 3;
export const FLAG_RX_CHECKSUM = 1 << 4;
export const FLAG_SERVICE_CLASS = 1 << 5;
export const FLAG_COMPLETION_STATUS = 1 << 6;
export const FLAG_TRACE_ID = 1 << 7;

export const SLOT_ALLOCATIONS_F64 = 8;
export const SLOT_DEALLOCATIONS_F64 = 9;
export const SLOT_FAILED_ALLOCATIONS_F64 = 10;
export const SLOT_CACHE_COUNT_U32 = 22;
export const SLOT_CACHE_U32 = 32;

const expected: Record<string, number> = {
  version: LAYOUT_VERSION,
  metaWords: META_WORDS,
  metaState: META_STATE,
  metaDataOffset: META_DATA_OFFSET,
  metaDataLength: META_DATA_LENGTH,
  metaHeadroom: META_HEADROOM,
  metaLinkHeaderLength: META_LINK_HEADER_LENGTH,
  metaDirection: META_DIRECTION,
  metaFlags: META_FLAGS,
  metaBufferCount: META_BUFFER_COUNT,
  metaTimestampLo: META_TIMESTAMP_LO,
  metaVlanTag: META_VLAN_TAG,
  metaRxChecksumFlags: META_RX_CHECKSUM_FLAGS,
  metaRxChecksumValue: META_RX_CHECKSUM_VALUE,
  metaServiceClass: META_SERVICE_CLASS,
  metaCompletionStatus: META_COMPLETION_STATUS,
  metaTraceId: META_TRACE_ID,
  slotAllocationsF64: SLOT_ALLOCATIONS_F64,
  slotDeallocationsF64: SLOT_DEALLOCATIONS_F64,
  slotFailedAllocationsF64: SLOT_FAILED_ALLOCATIONS_F64,
  slotCacheCountU32: SLOT_CACHE_COUNT_U32,
  slotCacheU32: SLOT_CACHE_U32,
};

/** Throws kIOReturnUnsupported if the addon's layout differs from this file's. */
export function checkLayout(native: Record<string, number>): void {
  for (const [key, value] of Object.entries(expected)) {
    if (native[key] !== value) {
      fail(kIOReturnUnsupported, `native layout mismatch: ${key} is ${native[key]} in the addon, ${value} in lib`);
    }
  }
}
