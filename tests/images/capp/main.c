/* capp: print lines, words, bytes and the CRC-32 of each file (or of stdin). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "count.h"

static void print_counts(const struct counts *c, const char *name)
{
    printf("%8" PRIu64 " %8" PRIu64 " %10" PRIu64 "  %08" PRIx32 "  %s\n",
           c->lines, c->words, c->bytes, c->crc, name);
}

int main(int argc, char **argv)
{
    struct counts c;
    int status = 0;

    if (argc < 2) {
        if (count_stream(stdin, &c) != 0) {
            fprintf(stderr, "capp: stdin: %s\n", strerror(errno));
            return 1;
        }
        print_counts(&c, "-");
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "capp: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        if (count_stream(f, &c) != 0) {
            fprintf(stderr, "capp: %s: read error\n", argv[i]);
            status = 1;
        } else {
            print_counts(&c, argv[i]);
        }
        fclose(f);
    }
    return status;
}
