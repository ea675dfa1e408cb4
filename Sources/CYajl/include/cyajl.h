/* libyajl for the JSON parser's differential fuzz target, its corpus test and its benchmark: never linked
 * into the swiftlet executable (Package.swift: only FuzzJSON, JSONBench and the tests depend on it). */
#ifndef CYAJL_H
#define CYAJL_H
#include <stddef.h>
#include <yajl/yajl_tree.h>

/* The events yajl's callback parser reports for one document, in a canonical text (strict settings:
 * no comments, UTF-8 checked, one value, nothing after it):
 *   n  t  f  { }  [ ]  i<int64>;  d<16 hex digits of the double's bits>;  s<len>:<bytes>  k<len>:<bytes>
 * Returns 1 when yajl accepts the document (*events holds the stream), 0 when it rejects it (*events holds
 * yajl's message). *events is malloc'd (free it with cyajl_free), *length is its size. */
int cyajl_events(const unsigned char *json, size_t size, char **events, size_t *length);
void cyajl_free(char *events);

/* yajl_tree_parse of a NUL-terminated document, freed at once: 1 when it parsed (the benchmark's unit). */
int cyajl_tree_parse_free(const char *json);
#endif
