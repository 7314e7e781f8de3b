#!/usr/bin/env python3
# man_synopsis.py HEADER REGEX - print mdoc .Ft/.Fn SYNOPSIS lines for every
# function declared in HEADER whose name matches REGEX (to paste into
# man/*.3 after a header change; tests/man.sh compares them).
import re,sys
hdr, pat = sys.argv[1], sys.argv[2]
s=open(hdr).read()
s=re.sub(r'/\*.*?\*/','',s,flags=re.S)
for m in re.finditer(r'(?m)^(?:CRUMB_EXPORT|static inline)\s+([^;{]*?)\b(crumb_[a-z0-9_]+)\s*\(([^)]*)\)', s, re.S):
    ret=' '.join(m.group(1).split()); name=m.group(2)
    if not re.match(pat,name): continue
    args=[' '.join(a.split()) for a in m.group(3).split(',')]
    ret=ret.replace('CRUMB_EXPORT','').strip()
    print('.Ft '+ret)
    print('.Fn '+name+' '+' '.join('"%s"'%a for a in args))
