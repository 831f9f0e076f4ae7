#!/bin/bash
# busybox-links.sh DEST : install the static busybox as /bin/busybox in DEST with a symlink per
# applet, never replacing a real program already in DEST (curl, nginx …).
set -euo pipefail
dest=$1
install -D -m 0755 /bin/busybox "$dest/bin/busybox"
/bin/busybox --list-full | while read -r applet; do
  [ -e "$dest/$applet" ] || [ -L "$dest/$applet" ] && continue
  mkdir -p "$dest/$(dirname "$applet")"
  ln -s /bin/busybox "$dest/$applet"
done
