# The v3 policy files the project ships as examples are ones calicoctl
# accepts: every fenced ```yaml block of docs/policy.md and docs/stars-demo.md,
# each a whole file, validated on its own against an empty datastore (so a
# policy in a tier of its own must bring its Tier), then applied; and the stars
# demo's step files (scripts/demo/policies), each with the steps before it, as
# the demo applies them.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
F=$CLI_TMP

# yaml_blocks DOC DIR: writes each ```yaml block of DOC to DIR/N.yaml, prints N
yaml_blocks() {
  awk -v dir="$2" '
    /^```yaml[ \t]*$/ { n++; f = sprintf("%s/%d.yaml", dir, n); inb = 1; printf "" > f; next }
    inb && /^```[ \t]*$/ { inb = 0; close(f); next }
    inb { print > f }
    END { print n + 0 }' "$1"
}

# fresh_ds: an empty datastore for the next example
fresh_ds() { rm -f "$F/calico.db"* && export CALICO_DATASTORE="sqlite:$F/calico.db"; }

for doc in docs/policy.md docs/stars-demo.md; do
  d="$F/$(basename "$doc" .md)"
  mkdir -p "$d"
  n=$(yaml_blocks "$repo/$doc" "$d")
  case $doc in docs/policy.md) check "$doc has its worked examples (at least 5 yaml blocks, found $n)" test "$n" -ge 5 ;; esac
  for ((i = 1; i <= n; i++)); do
    what="$doc yaml block $i ($(awk '/^  name:/ {print $2; exit}' "$d/$i.yaml"))"
    fresh_ds
    expect_ok "$what: calicoctl validate -f accepts it on an empty datastore" - "$CTL" validate -f "$d/$i.yaml"
    expect_ok "$what: calicoctl apply -f writes it" - "$CTL" apply -f "$d/$i.yaml"
  done
done

# The demo's steps, applied in order on one datastore.
fresh_ds
steps=("$repo"/scripts/demo/policies/*.yaml)
check "the demo ships four step files" test "${#steps[@]}" -eq 4
for f in "${steps[@]}"; do
  expect_ok "demo step $(basename "$f"): validate -f" - "$CTL" validate -f "$f"
  expect_ok "demo step $(basename "$f"): apply -f" - "$CTL" apply -f "$f"
done
expect_ok "the demo's tier holds five policies in order" \
  "demo.allow-ui demo.allow-collector demo.backend-from-frontend demo.frontend-from-client demo.default-deny" \
  sh -c "'$CTL' get gnp -o json | jq -r '[.items[] | select(.spec.tier == \"demo\")] | sort_by(.spec.order, .metadata.name) | map(.metadata.name) | join(\" \")'"

# The check itself fails on a block calicoctl refuses (a lower-case enum).
printf '```yaml\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: bad\nspec:\n  ingress:\n  - action: allow\n```\n' >"$F/bad.md"
mkdir -p "$F/bad"
yaml_blocks "$F/bad.md" "$F/bad" >/dev/null
fresh_ds
run "$CTL" validate -f "$F/bad/1.yaml"
check "a refused example would be caught (validate exits 1)" test "$RC" = 1
tap_done
