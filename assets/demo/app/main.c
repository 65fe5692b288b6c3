/* inistat: summarise INI files: sections, keys, and the longest value. */
#include <stdio.h>
#include <string.h>

#include "ini.h"

struct summary {
    char last_section[256];
    int sections;
    int keys;
    size_t longest;
    char longest_key[256];
};

static void on_pair(const char *section, const char *key, const char *value, void *user)
{
    struct summary *s = user;
    size_t len = strlen(value);

    if (s->keys == 0 || strcmp(section, s->last_section) != 0) {
        strncpy(s->last_section, section, sizeof s->last_section - 1);
        s->sections++;
        printf("[%s]\n", section);
    }
    printf("  %s = %s\n", key, value);
    s->keys++;
    if (len > s->longest) {
        s->longest = len;
        snprintf(s->longest_key, sizeof s->longest_key, "%s.%s", section, key);
    }
}

int main(int argc, char **argv)
{
    int status = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: inistat FILE.ini...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct summary s;
        FILE *f = fopen(argv[i], "r");
        int bad;

        memset(&s, 0, sizeof s);
        if (!f) {
            perror(argv[i]);
            status = 1;
            continue;
        }
        bad = ini_parse(f, on_pair, &s);
        fclose(f);
        if (bad) {
            fprintf(stderr, "%s:%d: malformed line\n", argv[i], bad);
            status = 1;
            continue;
        }
        printf("%s: %d sections, %d keys, longest value %s (%zu bytes)\n",
               argv[i], s.sections, s.keys, s.keys ? s.longest_key : "-", s.longest);
    }
    return status;
}
