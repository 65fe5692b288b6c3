#ifndef CAPP_CRC32_H
#define CAPP_CRC32_H
#include <stddef.h>
#include <stdint.h>

/* Continue a CRC-32 (IEEE 802.3, reflected) over buf; start with crc = 0. */
uint32_t crc32_update(uint32_t crc, const unsigned char *buf, size_t len);

#endif
