/*
 * cmd_store.c - `crumb store`: administer a session store (placeholder
 * until the file store lands).
 */
#include "cli.h"

/* see cli.h */
int cmd_store(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_fail(EX_STORE, "store", "not implemented yet");
}
