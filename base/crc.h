/* crc: CRC-32 (zlib's polynomial and results; by carry-less multiplication where the CPU has it, zlib
 * otherwise), for checkpoints and manifest checksums */
#ifndef NUDGE_BASE_CRC_H
#define NUDGE_BASE_CRC_H
#include <stddef.h>
#include <stdint.h>

/// continues a CRC-32 over buf; start with crc = 0
uint32_t crc32_update(uint32_t crc, const void* buf, size_t len);
/// the same as crc32_update, faster on buffers with long runs of zero bytes (runs of whole 256-byte
/// blocks are summed in one step each; datasets' arrays are mostly empty slots)
uint32_t crc32_update_sparse(uint32_t crc, const void* buf, size_t len);
/// CRC-32 of a whole file; false (and a message) when it cannot be read
_Bool    crc32_file(const char* path, uint32_t* out, char* err, size_t err_size);

#endif
