#!/bin/bash
# mkroot.sh DEST BINARY... : copy dynamically linked binaries and every shared library they load
# (as ldd resolves them) into DEST, so that DEST can be a root filesystem (or a layer of one).
# With BELOW=DIR, libraries already in DIR (the layer underneath) are not copied again.
set -euo pipefail
dest=$1; shift
below=${BELOW:-/nonexistent}
mkdir -p "$dest"
for bin in "$@"; do
  install -D -m 0755 "$bin" "$dest$bin"
  # "libfoo.so => /lib/x86_64-linux-gnu/libfoo.so (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)"
  ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | while read -r lib; do
    [ -e "$dest$lib" ] || [ -e "$below$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$dest$lib"
  done
done
