/*
 * json_in.h - a small strict JSON (RFC 8259) reader for `crumb seal`'s
 * stdin: whole document to a tree, strings decoded to UTF-8, duplicate
 * object keys and nesting deeper than JIN_DEPTH_MAX refused.
 */
#ifndef CRUMB_CLI_JSON_IN_H
#define CRUMB_CLI_JSON_IN_H

#include <stddef.h>
#include <stdint.h>

#define JIN_DEPTH_MAX 16

typedef enum jin_type { JIN_NULL, JIN_BOOL, JIN_NUM, JIN_STR, JIN_ARR, JIN_OBJ } jin_type;

typedef struct jin {
    jin_type type;
    char *key;          /* member name inside an object (NUL-terminated), else NULL */
    size_t key_len;
    char *str;          /* JIN_STR: decoded bytes (NUL-terminated); JIN_NUM: the text */
    size_t len;
    int boolean;        /* JIN_BOOL */
    struct jin *kids;   /* JIN_ARR / JIN_OBJ members */
    size_t count;
} jin;

/* Parse n bytes into *out. Returns 0, or -1 with a message (with the byte
 * offset) in err. Free with jin_free even on failure. */
int jin_parse(jin *out, const char *text, size_t n, char *err, size_t errcap);

/* Release what jin_parse allocated (the node itself is the caller's). */
void jin_free(jin *j);

/* Member of an object by name, or NULL. */
const jin *jin_get(const jin *obj, const char *key);

/* Integer value of a JIN_NUM without fraction or exponent; 0 or -1. */
int jin_int(const jin *j, int64_t *out);

#endif /* CRUMB_CLI_JSON_IN_H */
