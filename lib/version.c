/*
 * version.c - crumb_version_number(), the run-time twin of
 * CRUMB_VERSION_NUMBER (crumb_version() sits in error.c), so a program can
 * tell which library it is linked against at run time.
 */
#include "crumb.h"

/* see crumb.h */
int crumb_version_number(void)
{
    return CRUMB_VERSION_NUMBER;
}
