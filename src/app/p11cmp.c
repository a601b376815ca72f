/*
 * src/app/p11cmp.c - the p11cmp(1) command line program: CMP enrollment
 * with keys on PKCS#11 tokens, with options compatible with openssl cmp.
 *
 * This is the entry point; the CMP transactions it drives are not in the
 * library yet, so every command except -help and -version says so and
 * exits with EXIT_NOT_IMPLEMENTED instead of pretending to work.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <p11cmp/p11cmp.h>

enum {
    EXIT_OK = 0,
    EXIT_USAGE = 2,
    EXIT_NOT_IMPLEMENTED = 64
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: p11cmp [options]\n"
            "  -help       print this help\n"
            "  -version    print the version of p11cmp\n"
            "  -cmd CMD    ir|cr|kur|p10cr|rr|genm (not implemented yet)\n");
}

int main(int argc, char **argv)
{
    int i;

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-help") == 0) {
            usage(stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "-version") == 0) {
            printf("p11cmp %s\n", P11CMP_version());
            return EXIT_OK;
        }
    }
    fprintf(stderr, "p11cmp: CMP transactions are not implemented yet\n");
    return EXIT_NOT_IMPLEMENTED;
}
