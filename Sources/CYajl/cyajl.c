#include "cyajl.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

struct stream { char *data; size_t length, capacity; };

static int put(struct stream *s, const void *bytes, size_t n) {
    if (s->length + n + 1 > s->capacity) {
        size_t capacity = s->capacity ? s->capacity : 256;
        while (s->length + n + 1 > capacity) capacity *= 2;
        char *grown = realloc(s->data, capacity);
        if (!grown) return 0;
        s->data = grown, s->capacity = capacity;
    }
    memcpy(s->data + s->length, bytes, n);
    s->length += n;
    s->data[s->length] = 0;
    return 1;
}

static int put_text(struct stream *s, const char *text) { return put(s, text, strlen(text)); }

static int put_string(struct stream *s, char tag, const unsigned char *bytes, size_t n) {
    char head[32];
    snprintf(head, sizeof head, "%c%zu:", tag, n);
    return put_text(s, head) && put(s, bytes, n);
}

static int on_null(void *s) { return put_text(s, "n"); }
static int on_boolean(void *s, int b) { return put_text(s, b ? "t" : "f"); }
static int on_integer(void *s, long long i) {
    char text[32];
    snprintf(text, sizeof text, "i%lld;", i);
    return put_text(s, text);
}
static int on_double(void *s, double d) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    char text[32];
    snprintf(text, sizeof text, "d%016llx;", (unsigned long long)bits);
    return put_text(s, text);
}
static int on_string(void *s, const unsigned char *b, size_t n) { return put_string(s, 's', b, n); }
static int on_key(void *s, const unsigned char *b, size_t n) { return put_string(s, 'k', b, n); }
static int on_start_map(void *s) { return put_text(s, "{"); }
static int on_end_map(void *s) { return put_text(s, "}"); }
static int on_start_array(void *s) { return put_text(s, "["); }
static int on_end_array(void *s) { return put_text(s, "]"); }

static const yajl_callbacks callbacks = {
    on_null, on_boolean, on_integer, on_double, NULL, on_string,
    on_start_map, on_key, on_end_map, on_start_array, on_end_array,
};

int cyajl_events(const unsigned char *json, size_t size, char **events, size_t *length) {
    struct stream s = { 0 };
    yajl_handle h = yajl_alloc(&callbacks, NULL, &s);
    int accepted = 0;
    if (h) {
        yajl_config(h, yajl_allow_comments, 0);
        yajl_config(h, yajl_dont_validate_strings, 0);
        yajl_status status = yajl_parse(h, json, size);
        if (status == yajl_status_ok) status = yajl_complete_parse(h);
        accepted = status == yajl_status_ok;
        if (!accepted) {
            unsigned char *message = yajl_get_error(h, 0, json, size);
            s.length = 0;
            put_text(&s, message ? (const char *)message : "yajl error");
            if (message) yajl_free_error(h, message);
        }
        yajl_free(h);
    }
    if (!s.data) put_text(&s, "");
    *events = s.data;
    *length = s.length;
    return accepted;
}

void cyajl_free(char *events) { free(events); }

int cyajl_tree_parse_free(const char *json) {
    yajl_val v = yajl_tree_parse(json, NULL, 0);
    if (!v) return 0;
    yajl_tree_free(v);
    return 1;
}
