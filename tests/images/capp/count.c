#include <ctype.h>
#include <string.h>

#include "count.h"
#include "crc32.h"

int count_stream(FILE *f, struct counts *c)
{
    unsigned char buf[64 * 1024];
    int in_word = 0;
    size_t n;

    memset(c, 0, sizeof *c);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        c->bytes += n;
        c->crc = crc32_update(c->crc, buf, n);
        for (size_t i = 0; i < n; i++) {
            if (buf[i] == '\n')
                c->lines++;
            if (isspace(buf[i])) {
                in_word = 0;
            } else if (!in_word) {
                in_word = 1;
                c->words++;
            }
        }
    }
    return ferror(f) ? -1 : 0;
}
