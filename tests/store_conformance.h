/*
 * store_conformance.h - the conformance suite every crumb_store must pass.
 * A third-party store author links tests/store_conformance.c (and
 * libcrumb) into a test program and calls crumb_store_conformance() with a
 * function that opens a fresh, empty instance of their store.
 */
#ifndef CRUMB_STORE_CONFORMANCE_H
#define CRUMB_STORE_CONFORMANCE_H

#include "crumb_store.h"

/* Opens a fresh, empty store (NULL on failure). Called once per group. */
typedef crumb_store *crumb_store_open_fn(void *ctx);

/**
 * Run every conformance group against stores from open_fresh. Optional
 * method groups a store leaves NULL are skipped (and reported as skipped).
 * Failures are printed to stderr as file:line with both values.
 * @return the number of failed checks (0 = conformant)
 */
int crumb_store_conformance(crumb_store_open_fn *open_fresh, void *ctx);

#endif
