#include "crc32.h"

static uint32_t table[256];
static int table_ready;

static void crc32_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    table_ready = 1;
}

uint32_t crc32_update(uint32_t crc, const unsigned char *buf, size_t len)
{
    if (!table_ready)
        crc32_init();
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
