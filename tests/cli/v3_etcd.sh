# tests/cli/v3.sh on a private etcd: the v3 resources, the all-or-nothing
# writes and the Profile's two grammars behave the same on both backends.
V3_ON_ETCD=1
. "$(dirname "$0")/v3.sh"
