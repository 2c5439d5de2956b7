# The library's layering (src/lib/README.md): a folder includes only from
# itself and the folders listed above it; no library file includes a binary's
# code; every source file sits in a folder; every quoted include names its
# folder. Reads the source, needs no build.
. "$(dirname "$0")/../lib/tap.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
lib=$root/src/lib

# the order of the README's table: "| `util/` | ..."
mapfile -t order < <(sed -n 's/^| `\([a-z_]*\)\/` |.*/\1/p' "$lib/README.md")
expect_eq "README lists every folder of src/lib" \
  "$(printf '%s\n' "${order[@]}" | sort | tr '\n' ' ')" \
  "$(cd "$lib" && ls -d */ | tr -d / | sort | tr '\n' ' ')"

loose=$(find "$lib" -maxdepth 1 -name '*.[ch]' -printf '%f ')
expect_eq "no loose source file in src/lib" "$loose" ""

declare -A rank
for i in "${!order[@]}"; do rank[${order[$i]}]=$i; done

bad=""
for folder in "${order[@]}"; do
  for f in "$lib/$folder"/*.[ch]; do
    [ -f "$f" ] || continue
    while IFS= read -r inc; do
      dep=${inc%%/*}
      if [ "$dep" = "$inc" ]; then
        bad+="$folder/${f##*/}: \"$inc\" names no folder; "
      elif [ -z "${rank[$dep]+x}" ]; then
        bad+="$folder/${f##*/}: \"$inc\" is not a library folder; "
      elif [ "${rank[$dep]}" -gt "${rank[$folder]}" ]; then
        bad+="$folder/${f##*/}: includes $inc from a lower folder; "
      elif [ ! -f "$lib/$inc" ]; then
        bad+="$folder/${f##*/}: \"$inc\" does not exist; "
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done
done
expect_eq "every library include names an existing header of its own or a higher folder" "$bad" ""

# binaries, tests, fuzzers and benchmarks name the folder of every library header
declare -A libhdr
for h in "$lib"/*/*.h; do libhdr[${h##*/}]=$(basename "$(dirname "$h")"); done
bad=""
while IFS= read -r f; do
  dir=$(dirname "$f")
  while IFS= read -r inc; do
    case $inc in */*) continue ;; esac
    [ -f "$dir/$inc" ] && continue
    [ -n "${libhdr[$inc]+x}" ] && bad+="${f#$root/}: \"$inc\" (${libhdr[$inc]}/$inc); "
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find "$root/src" "$root/tests" "$root/fuzz" "$root/bench" -name '*.[ch]' -not -path "$lib/*")
expect_eq "outside the library, no include names a library header without its folder" "$bad" ""

# the check itself can fail: a made-up upward include is caught
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/util"
printf '#include "workload/workload.h"\n' > "$tmp/util/x.c"
inc=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$tmp/util/x.c")
dep=${inc%%/*}
check "an upward include (util -> workload) would be refused" test "${rank[$dep]}" -gt "${rank[util]}"
tap_done
