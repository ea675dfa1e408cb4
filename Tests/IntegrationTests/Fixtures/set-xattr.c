// set-xattr set PATH NAME VALUE | remove PATH NAME | get PATH NAME: setxattr(2), removexattr(2) or
// getxattr(2) (the value on stdout). CgroupMarkSecurityTests: the container rewrites the runtime's
// mark on its cgroups, the host reads it back.
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "set") == 0) {
        if (setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) == 0) return 0;
    } else if (argc == 4 && strcmp(argv[1], "remove") == 0) {
        if (removexattr(argv[2], argv[3]) == 0) return 0;
    } else if (argc == 4 && strcmp(argv[1], "get") == 0) {
        char value[4096];
        ssize_t n = getxattr(argv[2], argv[3], value, sizeof value);
        if (n >= 0) {
            fwrite(value, 1, (size_t)n, stdout);
            return 0;
        }
    } else {
        fprintf(stderr, "usage: set-xattr set PATH NAME VALUE | remove PATH NAME | get PATH NAME\n");
        return 2;
    }
    perror(argv[2]);
    return 1;
}
