/*
 * keyring.h - the key ring's layout, shared by keyring.c and codec.c.
 */
#ifndef CRUMB_KEYRING_H
#define CRUMB_KEYRING_H

#include "internal.h"

struct crumb_keyring {
    size_t count;
    struct {
        uint32_t id;
        int state;
        uint8_t key[CRUMB_KEYBYTES];
    } keys[CRUMB_KEYRING_MAX];
};

#endif
