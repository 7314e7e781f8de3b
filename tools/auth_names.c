/*
 * auth_names.c - the names `crumb` reads and prints for a session's auth
 * state ("authenticated", ...) and factors ("password,totp" or numbers),
 * shared by seal (parsing) and open (printing).
 */
#include "cli.h"

#include <string.h>

static const struct {
    const char *name;
    uint32_t bit;
} factor_names[] = {
    {"password", CRUMB_FACTOR_PASSWORD}, {"totp", CRUMB_FACTOR_TOTP},
    {"webauthn", CRUMB_FACTOR_WEBAUTHN}, {"email", CRUMB_FACTOR_EMAIL},
    {"sms", CRUMB_FACTOR_SMS},           {"recovery", CRUMB_FACTOR_RECOVERY},
    {"sso", CRUMB_FACTOR_SSO},
};

static const char *const auth_names[] = {"anonymous", "in-progress", "authenticated", "pending",
                                         "identifying"};
#define AUTH_NAMES (int)(sizeof auth_names / sizeof auth_names[0])

/* see cli.h */
int cli_auth_state_parse(const char *s)
{
    for (int i = 0; i < AUTH_NAMES; i++)
        if (strcmp(s, auth_names[i]) == 0)
            return i;
    return -1;
}

/* see cli.h */
int cli_auth_state_clamp(int st)
{
    return st < 0 || st >= AUTH_NAMES ? 0 : st;
}

/* see cli.h */
const char *cli_auth_state_name(int st)
{
    return auth_names[cli_auth_state_clamp(st)];
}

/* see cli.h */
uint32_t cli_factor_parse(const char *s, size_t n)
{
    char buf[32];
    uint32_t v;
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    for (size_t i = 0; i < sizeof factor_names / sizeof factor_names[0]; i++)
        if (strcmp(buf, factor_names[i].name) == 0)
            return factor_names[i].bit;
    return cli_parse_u32(buf, &v) == 0 ? v : 0;
}

/* see cli.h */
int cli_factors_parse(const char *s, uint32_t *out)
{
    *out = 0;
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        uint32_t b = cli_factor_parse(s, n);
        if (b == 0)
            return -1;
        *out |= b;
        s += n + (comma ? 1 : 0);
    }
    return 0;
}

/* see cli.h */
void cli_factors_print(FILE *f, uint32_t bits, int json)
{
    int first = 1;
    if (json)
        fputc('[', f);
    for (size_t i = 0; i < sizeof factor_names / sizeof factor_names[0]; i++) {
        if (bits & factor_names[i].bit) {
            fprintf(f, json ? "%s\"%s\"" : "%s%s", first ? "" : ",", factor_names[i].name);
            bits &= ~factor_names[i].bit;
            first = 0;
        }
    }
    for (int b = 0; b < 32; b++) {
        if (bits & (1u << b)) {
            fprintf(f, json ? "%s%lu" : "%s0x%lx", first ? "" : ",", (unsigned long)(1ul << b));
            first = 0;
        }
    }
    if (json)
        fputc(']', f);
    else if (first)
        fputs("none", f);
}
