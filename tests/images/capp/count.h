#ifndef CAPP_COUNT_H
#define CAPP_COUNT_H
#include <stdint.h>
#include <stdio.h>

struct counts {
    uint64_t lines;
    uint64_t words;
    uint64_t bytes;
    uint32_t crc;
};

/* Read f to the end, filling c. Returns 0 on success, -1 on a read error. */
int count_stream(FILE *f, struct counts *c);

#endif
