#!/bin/sh
# docblocks.sh - every CRUMB_EXPORT function in include/crumb.h and
# include/crumb_inspect.h has a /** ... */ doc block right above it (one
# block may cover a run of adjacent declarations, e.g. set_user/tenant/device)
# with an @param[in|out|in,out] line for each named parameter, no @param for
# a parameter that does not exist, and an @return for a non-void function
# (naming at least one CRUMB_ code when it returns crumb_err). Every
# CRUMB_E_* code a doc block names must exist in enum crumb_err. Prints each
# offender. Run from anywhere; exit 0 ok, 1 offenders, 77 no python3.
cd "$(dirname "$0")/.." || exit 2
command -v python3 >/dev/null || { echo "SKIP: needs python3: not installed"; exit 77; }
exec python3 - include/crumb.h include/crumb_inspect.h <<'PY'
import re, sys

enum = set(re.findall(r'\b(CRUMB_(?:OK|E_[A-Z0-9_]+))\s*=',
                      re.search(r'typedef enum crumb_err\s*\{(.*?)\}', open('include/crumb.h').read(), re.S).group(1)))
bad = 0
def offend(path, line, fn, msg):
    global bad
    bad += 1
    print('%s:%d: %s: %s' % (path, line, fn, msg))

def params(arglist):
    names = []
    for a in arglist.split(','):
        a = re.sub(r'\[[^]]*\]', '', a).strip()
        if a in ('', 'void', '...'):
            continue
        m = re.search(r'([A-Za-z_]\w*)\s*$', a)
        names.append(m.group(1) if m else '?')
    return names

total = 0
for path in sys.argv[1:]:
    src = open(path).read()
    lineof = lambda pos: src.count('\n', 0, pos) + 1
    # tokens: doc blocks, other comments, exported declarations, anything else
    tok = re.compile(r'(?P<doc>/\*\*(?!/).*?\*/)|(?P<com>/\*.*?\*/|//[^\n]*)'
                     r'|(?P<decl>^CRUMB_EXPORT\s+(?P<ret>[^;{(]*?)\b(?P<fn>crumb_\w+)\s*\((?P<args>[^)]*)\)[^;]*;)'
                     r'|(?P<ws>\s+)|(?P<other>.)', re.S | re.M)
    doc = None          # the block covering the current run of declarations
    group = []          # [(fn, ret, names, line)] under doc
    def close():
        if doc is None or not group:
            return
        text, dline = doc
        given = re.findall(r'@param\[(?:in|out|in,out)\]\s+(\w+)', text)
        loose = re.findall(r'@param(?!\[(?:in|out|in,out)\])\S*\s+(\w+)', text)
        allnames = set(n for g in group for n in g[2])
        for n in loose:
            offend(path, dline, group[0][0], '@param %s without [in]/[out]/[in,out]' % n)
        for n in given:
            if n not in allnames:
                offend(path, dline, group[0][0], '@param %s names no parameter' % n)
        ret = re.search(r'@return\b(.*?)(?=@\w|\*/)', text, re.S)
        for fn, rtype, names, line in group:
            for n in names:
                if n not in given:
                    offend(path, line, fn, 'no @param line for "%s"' % n)
            if rtype != 'void':
                if not ret:
                    offend(path, line, fn, 'no @return (returns %s)' % rtype)
                elif rtype == 'crumb_err' and not re.search(r'\bCRUMB_(OK|E_)', ret.group(1)):
                    offend(path, line, fn, '@return names no CRUMB_ code')
    for m in tok.finditer(src):
        if m.group('doc'):
            close(); group = []
            doc = (m.group('doc'), lineof(m.start()))
            for code in re.findall(r'\bCRUMB_E_[A-Z0-9_]+', doc[0]):
                if code not in enum:
                    offend(path, doc[1], 'doc block', '%s is not in enum crumb_err' % code)
        elif m.group('decl'):
            total += 1
            ret = ' '.join(m.group('ret').replace('const ', 'const_').split()).replace('const_', 'const ')
            ret = re.sub(r'\s*\*', '*', ret)
            rec = (m.group('fn'), ret, params(m.group('args')), lineof(m.start()))
            if doc is None:
                offend(path, rec[3], rec[0], 'no /** ... */ doc block right above it')
            else:
                group.append(rec)
        elif m.group('ws'):
            if doc is not None and not group and m.group('ws').count('\n') > 1:
                pass    # a blank line between a block and its declaration is allowed
        elif m.group('com') or m.group('other'):
            close(); group = []; doc = None
    close()
print('docblocks.sh: %d exported functions, %d offences' % (total, bad))
sys.exit(1 if bad else 0)
PY
