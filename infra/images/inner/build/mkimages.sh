#!/bin/bash
# mkimages.sh OUT.tar NAME=LAYER[+LAYER…]=TAG[,TAG…]… : write images made of the layer folders
# /layers/LAYER in `docker save` format, all in one archive (one `docker load` imports them, and a
# layer shared by two images is stored and loaded once). Layers are tars owned by root with
# mtime 0 (reproducible ids); runtime settings (Cmd, Env …) come from /files/config/NAME.json.
set -euo pipefail
out=$1; shift
work=$(mktemp -d)
manifest=""
declare -A done_layers=()
for arg in "$@"; do
  IFS='=' read -r name layers tags <<<"$arg"
  diffs=""; paths=""
  for layer in ${layers//+/ }; do
    if [ -z "${done_layers[$layer]:-}" ]; then
      tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix \
          --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
          -C "/layers/$layer" -cf "$work/layer.tar" .
      d=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
      mkdir -p "$work/$d"; mv "$work/layer.tar" "$work/$d/layer.tar"; echo 1.0 > "$work/$d/VERSION"
      done_layers[$layer]=$d
      echo "layer $layer: $(du -h "$work/$d/layer.tar" | cut -f1), sha256:${d:0:12}"
    fi
    d=${done_layers[$layer]}
    diffs="$diffs${diffs:+,}\"sha256:$d\""; paths="$paths${paths:+,}\"$d/layer.tar\""
  done
  printf '{"architecture":"amd64","config":%s,"created":"1970-01-01T00:00:00Z","history":[{"created":"1970-01-01T00:00:00Z","created_by":"netdojo infra/images/inner %s"}],"os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$(tr -d '\n' < "/files/config/$name.json")" "$name" "$diffs" > "$work/config.json"
  cfg=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$cfg.json"
  repotags=$(printf '"%s",' ${tags//,/ }); repotags=${repotags%,}
  manifest="$manifest${manifest:+,}{\"Config\":\"$cfg.json\",\"RepoTags\":[$repotags],\"Layers\":[$paths]}"
  echo "image $name = $layers: $tags"
done
printf '[%s]\n' "$manifest" > "$work/manifest.json"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work" -cf "$out" .
rm -rf "$work"
