// Times libyajl's yajl_tree_parse of one JSON file: the per-parse microseconds, for comparison with
// swiftlet's own parser (Tests/JSONTests/BenchmarkTests.swift builds and runs this).
//     gcc -O2 -o yajl-parse conformance/yajl-parse.c -lyajl && ./yajl-parse config.json [ROUNDS]
#include <yajl/yajl_tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: yajl-parse FILE [ROUNDS]\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    int rounds = argc > 2 ? atoi(argv[2]) : 1000;
    char err[256];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < rounds; i++) {
        yajl_val v = yajl_tree_parse(buf, err, sizeof err);
        if (!v) { fprintf(stderr, "yajl: %s\n", err); return 1; }
        yajl_tree_free(v);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.1f\n", ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 / rounds);
    return 0;
}
