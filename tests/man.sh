#!/bin/sh
# man.sh - the man pages in man/ pass `mandoc -T lint` (warnings are
# failures) and render with `man -l`; every function declared in a public
# header (include/*.h) is named in some page; every SYNOPSIS prototype
# (.Ft/.Fn) matches the header's declaration word for word (regenerate
# with tools/man_synopsis.py after a header change).
cd "$(dirname "$0")/.." || exit 2
command -v mandoc >/dev/null || { echo "SKIP: needs mandoc: not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: needs python3: not installed"; exit 77; }
fails=0
for p in man/*.[0-9]; do
    if ! mandoc -T lint -W warning "$p"; then
        echo "FAIL: mandoc -T lint $p"; fails=$((fails + 1))
    fi
    # and man(1) renders it from the tree (what `man -l man/crumb.3` shows)
    if command -v man >/dev/null &&
        ! MANWIDTH=80 man -l "$p" 2>&1 >/dev/null | awk 'END { exit NR > 0 }'; then
        echo "FAIL: man -l $p printed warnings"; fails=$((fails + 1))
    fi
done
python3 - <<'PY' || fails=$((fails + 1))
import glob, re, sys
def protos(path):
    s = re.sub(r'/\*.*?\*/', '', open(path).read(), flags=re.S)
    out = {}
    for m in re.finditer(r'(?m)^(?:CRUMB_EXPORT|static inline)\s+([^;{]*?)\b(crumb_[a-z0-9_]+)\s*\(([^)]*)\)', s, re.S):
        ret = ' '.join(m.group(1).replace('CRUMB_EXPORT', '').split())
        args = [' '.join(a.split()) for a in m.group(3).split(',')]
        out[m.group(2)] = (ret, args)
    return out
decl = {}
for h in sorted(glob.glob('include/*.h')):
    decl.update(protos(h))
named, syn, bad = set(), {}, 0
for page in sorted(glob.glob('man/*.[0-9]')):
    ft = None
    for line in open(page):
        line = line.rstrip('\n')
        named.update(re.findall(r'\bcrumb_[a-z0-9_]+', line))
        if line.startswith('.Ft '):
            ft = line[4:].strip()
        elif line.startswith('.Fn ') and ft is not None:
            parts = re.findall(r'"([^"]*)"|(\S+)', line[4:])
            words = [a or b for a, b in parts]
            syn[words[0]] = (page, ft, words[1:])
            ft = None
        else:
            ft = None
for name in sorted(decl):
    if '__' in name:
        continue  # crumb_*__*: internal helpers of the inline wrappers, not API
    if name not in named:
        print("FAIL: %s (declared in include/) is in no man page" % name); bad += 1
for name, (page, ret, args) in sorted(syn.items()):
    if name not in decl:
        print("FAIL: %s: %s is not declared in include/" % (page, name)); bad += 1
    elif decl[name] != (ret, args):
        print("FAIL: %s: synopsis of %s differs from the header:\n  man:    %s %s(%s)\n  header: %s %s(%s)"
              % (page, name, ret, name, ', '.join(args), decl[name][0], name, ', '.join(decl[name][1]))); bad += 1
print("man.sh: %d functions declared, %d synopses checked, %d problems" % (len(decl), len(syn), bad))
sys.exit(1 if bad else 0)
PY
[ $fails -eq 0 ] && echo "man.sh: ok" && exit 0
echo "man.sh: $fails failed"; exit 1
