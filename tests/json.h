/*
 * json.h - a tiny, strict (RFC 8259) JSON reader for tests only: parses a
 * whole document into a tree of nodes. Strings are decoded to UTF-8 (with
 * \u escapes and surrogate pairs) and may contain NUL bytes (use
 * json_str_len). Not for library code: it allocates freely and aborts on
 * out-of-memory.
 *
 * Usage:
 *     json *doc = json_parse_file("tests/vectors/x.json");   // NULL + message on error
 *     const json *tests = json_get(doc, "tests");
 *     for (size_t i = 0; i < json_len(tests); i++)
 *         puts(json_str(json_get(json_at(tests, i), "name")));
 *     json_free(doc);
 *
 * Every accessor accepts NULL and returns NULL / 0 for a missing node or a
 * node of the wrong type, so lookups can be chained.
 */
#ifndef CRUMB_TEST_JSON_H
#define CRUMB_TEST_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum json_type {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json json;

/* Parse n bytes of text. On error returns NULL and, if err is not NULL,
 * writes a message with the byte offset into err (errcap bytes). */
json *json_parse(const char *text, size_t n, char *err, size_t errcap);

/* Read and parse a file; on error prints "path: message" to stderr and
 * returns NULL. */
json *json_parse_file(const char *path);

/* Free a tree returned by json_parse / json_parse_file (NULL allowed). */
void json_free(json *j);

json_type json_typeof(const json *j); /* JSON_NULL for NULL */

/* Object member by key (first one if duplicated), or NULL. */
const json *json_get(const json *obj, const char *key);

/* Number of elements (array) or members (object); 0 otherwise. */
size_t json_len(const json *j);

/* i-th element of an array or i-th member value of an object, or NULL. */
const json *json_at(const json *j, size_t i);

/* i-th member key of an object, or NULL. */
const char *json_key_at(const json *obj, size_t i);

/* String value (NUL-terminated UTF-8), or NULL if not a string. */
const char *json_str(const json *j);

/* Byte length of a string value (may contain NULs); 0 if not a string. */
size_t json_str_len(const json *j);

/* Number value; 0 if not a number. */
double json_num(const json *j);

/* Number value as an integer; dflt if not a number or not integral. */
long long json_int(const json *j, long long dflt);

/* 1 for true, 0 for false, -1 otherwise. */
int json_bool(const json *j);

/* 1 if obj's member key is the string s. */
int json_str_eq(const json *obj, const char *key, const char *s);

/* Decode a hex string node into a freshly malloc'd buffer (at least 1 byte
 * allocated, so it is never NULL on success); *len receives the length.
 * Returns NULL if the node is not a string of an even number of hex digits.
 * Free with free(). */
uint8_t *json_hex(const json *j, size_t *len);

#endif
