# calicoctl in Calico v3's grammar (DESIGN §11): apply/create/replace/validate/
# delete/get/label of Tier, GlobalNetworkPolicy, NetworkPolicy,
# GlobalNetworkSet, NetworkSet and Profile; all or nothing; the Profile seen
# through both grammars; WorkloadEndpoint (get, label), IPPool, BGPPeer,
# BGPConfiguration, Node and FelixConfiguration as views of the 2016 keys. On SQLite; tests/cli/v3_etcd.sh runs it on etcd.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"
if [ -n "${V3_ON_ETCD:-}" ]; then
  . "$(dirname "$0")/../lib/etcd.sh"
  trap 'etcd_stop; cli_cleanup' EXIT
  trap 'exit 143' TERM INT
  etcd_start E || { fail "etcd starts"; tap_done; exit 1; }
  unset CALICO_DATASTORE
  export ETCD_ENDPOINTS=$E_ENDPOINT
  ok "on etcd at $E_ENDPOINT"
fi
F=$CLI_TMP

# expect_same_rev NAME CMD...: exit 0 and the datastore revision unchanged
expect_same_rev() {
  local name=$1 before after; shift
  before=$(rev); run "$@"; after=$(rev)
  if [ "$RC" -eq 0 ] && [ "$before" = "$after" ]; then ok "$name"; else
    fail "$name"; printf '#   rc=%s rev %s -> %s\n#   stdout: %s\n#   stderr: %s\n' "$RC" "$before" "$after" "$OUT" "$ERR"; fi
}
# expect_match NAME PATTERN: the last stdout matches the shell pattern
expect_match() { case "$OUT" in $2) ok "$1";; *) fail "$1"; printf '#   stdout: %s\n#   stderr: %s\n' "$OUT" "$ERR";; esac; }

cat >"$F/policy.yaml" <<'EOF'
# A tier and policies as Calico's documentation writes them
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: 100
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: security.allow-db
  labels:
    team: db
spec:
  tier: security
  order: 10
  selector: role == 'database'
  types:
  - Ingress
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: role == 'frontend'
    destination:
      ports:
      - 6379
      - 8000:8080
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-icmp
spec:
  selector: all()
  order: 200
  ingress:
  - action: Deny
    protocol: ICMP
    icmp:
      type: 8
  - action: Pass
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: prod
  labels:
    app: web
spec:
  selector: app == 'web'
  ingress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [80, 443]
  egress:
  - action: Allow
    destination:
      selector: role == 'database'
---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata:
  name: partners
  namespace: prod
  labels:
    zone: partner
spec:
  nets:
  - 198.51.100.0/24
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: blocked
  labels:
    zone: blocked
spec:
  nets: [192.0.2.0/24, 2001:db8::/32]
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: web
spec:
  labelsToApply:
    web: ""
    tier: frontend
  ingress:
  - action: Allow
    source:
      selector: has(web)
  - action: Deny
    protocol: TCP
    source:
      nets: [10.0.0.0/8]
    destination:
      ports: [22]
  egress:
  - action: Allow
EOF

# ---- apply, and everything is where DESIGN §11 says ----
expect_ok "apply a file of seven resources" "Successfully applied 7 resource(s)" "$CTL" apply -f "$F/policy.yaml"
expect_eq "a tier's key" "$("$DSTOOL" count /calico/resources/v3/projectcalico.org/tiers/security)" 1
expect_eq "a namespaced key" "$("$DSTOOL" count /calico/resources/v3/projectcalico.org/networkpolicies/prod/allow-web)" 1
stored=$("$DSTOOL" get /calico/resources/v3/projectcalico.org/globalnetworkpolicies/security.allow-db)
case "$stored" in *'"uid":"'*'"creationTimestamp":"20'*'Z"'*) ok "stored with uid and creationTimestamp";; *) fail "stored: $stored";; esac
case "$stored" in *resourceVersion*) fail "resourceVersion is not stored: $stored";; *) ok "resourceVersion is not stored";; esac
expect_eq "a Profile is the 2016 profile's keys, not a v3 key" \
  "$("$DSTOOL" count /calico/resources/v3/projectcalico.org/profiles/)/$("$DSTOOL" get /calico/v1/policy/profile/web/tags)" '0/["web"]'
expect_eq "labelsToApply with a value: the labels key" "$("$DSTOOL" get /calico/v1/policy/profile/web/labels)" '{"tier":"frontend"}'
expect_same_rev "apply again: a no-op" "$CTL" apply -f "$F/policy.yaml"
expect_eq "... and it says so as Calico does" "$OUT" "Successfully applied 7 resource(s)"

# ---- get, in every form ----
expect_ok "get tiers (default always there)" "NAME       ORDER
default    1000000
security   100" "$CTL" get tiers
expect_ok "get gnp" "NAME
deny-icmp
security.allow-db" "$CTL" get gnp
expect_ok "get gnp -o wide" "NAME                TIER       ORDER   SELECTOR
deny-icmp           default    200     all()
security.allow-db   security   10      role == 'database'" "$CTL" get globalnetworkpolicies -o wide
expect_ok "get networkpolicies: namespace default is empty" "NAMESPACE   NAME" "$CTL" get networkpolicies
expect_ok "get np -n prod" "NAMESPACE   NAME
prod        allow-web" "$CTL" get np -n prod
expect_ok "get networksets -A -o wide" "NAMESPACE   NAME       NETS
prod        partners   198.51.100.0/24" "$CTL" get networksets -A -o wide
expect_ok "get a profile by its Calico name, wide" "NAME   LABELS
web    tier=frontend,web=" "$CTL" get Profile -o wide
run "$CTL" get gnp security.allow-db -o yaml
expect_match "get NAME -o yaml: the resource bare" "apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: security.allow-db
  uid: *
  resourceVersion: \"*\"
  creationTimestamp: \"20*Z\"
  labels:
    team: db
spec:
  tier: security
  order: 10
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: role == 'frontend'
    destination:
      ports:
      - 6379
      - \"8000:8080\"
  selector: role == 'database'
  types:
  - Ingress"
run "$CTL" get gnp -o yaml
expect_match "get -o yaml of a kind: a GlobalNetworkPolicyList" "apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkPolicy
  metadata:
    name: deny-icmp*
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkPolicy
  metadata:
    name: security.allow-db*
kind: GlobalNetworkPolicyList
metadata:
  resourceVersion: \"*\""
run "$CTL" get globalnetworksets blocked -o json
expect_eq "get -o json" "$(printf '%s\n' "$OUT" | jq -c '[.kind, .metadata.name, .spec.nets]')" '["GlobalNetworkSet","blocked",["192.0.2.0/24","2001:db8::/32"]]'
run "$CTL" get netsets -A -o json
expect_eq "get -o json of a kind: a NetworkSetList" "$(printf '%s\n' "$OUT" | jq -c '[.kind, [.items[].metadata.namespace]]')" '["NetworkSetList",["prod"]]'

# ---- -l: what does this selector select? ----
expect_ok "get gnp -l" "NAME
security.allow-db" "$CTL" get gnp -l "team == 'db'"
expect_ok "get networksets -A -l" "NAMESPACE   NAME
prod        partners" "$CTL" get networksets -A -l "zone in {'partner', 'x'}"
expect_ok "get gns -l matching nothing" "NAME" "$CTL" get gns -l "zone == 'partner'"
expect_ok "get profiles -l: by labelsToApply" "NAME
web" "$CTL" get profiles -l "has(web) && tier == 'frontend'"
expect_refused "get -l with a bad selector" 'Invalid selector: selector "team ==": expected a quoted string at 8' "$CTL" get gnp -l "team =="

# ---- re-applying what get printed changes nothing ----
"$CTL" get gnp -o yaml >"$F/gnps.yaml"
expect_same_rev "apply of get -o yaml (a List): no revision change" "$CTL" apply -f "$F/gnps.yaml"
"$CTL" get profile web -o yaml >"$F/web.yaml"
expect_same_rev "apply of get profile -o yaml: no revision change" "$CTL" apply -f "$F/web.yaml"
"$CTL" get np -n prod allow-web -o json >"$F/np.json"
expect_same_rev "replace with get -o json (same resourceVersion): no revision change" "$CTL" replace -f "$F/np.json"
"$CTL" get networksets -A -o yaml >"$F/ns.yaml"
expect_same_rev "apply of a namespaced List: no revision change" "$CTL" apply -f "$F/ns.yaml"

# ---- create, replace and resourceVersion ----
expect_refused "create of an existing resource" \
  "$F/policy.yaml: document 1: resource already exists: Tier(security)" "$CTL" create -f "$F/policy.yaml"
"$CTL" get gnp deny-icmp -o yaml >"$F/old.yaml"
sed 's/order: 200/order: 300/' "$F/old.yaml" >"$F/new.yaml"
expect_ok "replace with the current resourceVersion" "Successfully replaced 1 'GlobalNetworkPolicy' resource(s)" "$CTL" replace -f "$F/new.yaml"
run "$CTL" get gnp deny-icmp -o yaml
expect_match "the change is there, uid and creationTimestamp kept" "*$(grep -E 'uid|creationTimestamp' "$F/old.yaml" | head -1)*order: 300*"
stale=$(grep resourceVersion "$F/old.yaml" | tr -dc 0-9)
expect_refused "replace with a stale resourceVersion: update conflict, nothing written" \
  "$F/new.yaml: document 1: update conflict: GlobalNetworkPolicy(deny-icmp) (resourceVersion $stale is not the stored one, $((stale + 1)); get it again)" \
  "$CTL" replace -f "$F/new.yaml"
expect_refused "apply with a stale resourceVersion too" \
  "$F/old.yaml: document 1: update conflict: GlobalNetworkPolicy(deny-icmp) (resourceVersion $stale is not the stored one, $((stale + 1)); get it again)" \
  "$CTL" apply -f "$F/old.yaml"
sed 's/deny-icmp/no-such-policy/' "$F/policy.yaml" | awk 'BEGIN{RS="---\n"; ORS=""} NR==3' >"$F/absent.yaml"
expect_refused "replace of a missing resource" \
  "$F/absent.yaml: document 1: resource does not exist: GlobalNetworkPolicy(no-such-policy)" "$CTL" replace -f "$F/absent.yaml"
expect_ok "create from stdin" "Successfully created 1 'GlobalNetworkPolicy' resource(s)" "$CTL" create -f - <"$F/absent.yaml"

# ---- all or nothing ----
cat >"$F/bad.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: fresh
spec:
  nets: [203.0.113.0/24]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: lower-case
spec:
  ingress:
  - action: Allow
    protocol: tcp
EOF
expect_refused "one bad document: nothing written, the file, document, field and value named" \
  "$F/bad.yaml: document 2: spec.ingress[0].protocol: \"tcp\" is not one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1-255" \
  "$CTL" apply -f "$F/bad.yaml"
expect_eq "... the good document was not written" "$("$DSTOOL" count /calico/resources/v3/projectcalico.org/globalnetworksets/fresh)" 0
cat >"$F/list.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: List
items:
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkSet
  metadata: {name: fresh}
  spec: {nets: [203.0.113.0/24]}
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkPolicy
  metadata: {name: in-tier, namespace: x}
  spec: {}
EOF
expect_refused "a List: the item named" \
  "$F/list.yaml: document 1: items[1].metadata.namespace: a GlobalNetworkPolicy is not namespaced" "$CTL" apply -f "$F/list.yaml"
cat >"$F/notier.yaml" <<'EOF'
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkSet
  metadata: {name: fresh}
  spec: {nets: [203.0.113.0/24]}
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkPolicy
  metadata: {name: ops.watch}
  spec: {tier: ops}
EOF
expect_refused "a policy naming a missing tier (a bare list of resources)" \
  "$F/notier.yaml: document 1: [1].spec.tier: \"ops\" does not exist (create the Tier first, or earlier in the same file)" \
  "$CTL" apply -f "$F/notier.yaml"
expect_refused "validate says the same, and writes nothing" \
  "$F/notier.yaml: document 1: [1].spec.tier: \"ops\" does not exist (create the Tier first, or earlier in the same file)" \
  "$CTL" validate -f "$F/notier.yaml"
{ echo '- {apiVersion: projectcalico.org/v3, kind: Tier, metadata: {name: ops}, spec: {order: 50}}'; cat "$F/notier.yaml"; } >"$F/tier-first.yaml"
expect_same_rev "validate of a good file writes nothing" "$CTL" validate -f "$F/tier-first.yaml"
expect_eq "... says so" "$OUT" "Successfully validated 3 resource(s)"
expect_eq "... and the tier is still absent" "$("$DSTOOL" count /calico/resources/v3/projectcalico.org/tiers/ops)" 0
expect_ok "the tier earlier in the same file: accepted" "Successfully applied 3 resource(s)" "$CTL" apply -f "$F/tier-first.yaml"
a=$("$DSTOOL" get /calico/resources/v3/projectcalico.org/tiers/ops | jq -r .metadata.uid)
b=$("$DSTOOL" get /calico/resources/v3/projectcalico.org/globalnetworksets/fresh | jq -r .metadata.uid)
check "every resource has its own uid" [ -n "$a" ] && [ "$a" != "$b" ]
printf '{"apiVersion":"projectcalico.org/v3","kind":"Tier","metadata":{"name":"json"},\n\t"spec":{"order":7}}\n' >"$F/tier.json"
expect_ok "a JSON file (with a tab)" "Successfully applied 1 'Tier' resource(s)" "$CTL" apply -f "$F/tier.json"

# ---- delete ----
expect_refused "deleting a tier that policies use" \
  "cannot delete Tier(ops): 1 policy is still in it (delete or move them first)" "$CTL" delete tier ops
expect_refused "the default tier cannot be deleted" 'the tier "default" cannot be deleted' "$CTL" delete tiers default
expect_ok "delete a policy" "Successfully deleted 1 'GlobalNetworkPolicy' resource(s)" "$CTL" delete gnp ops.watch
expect_ok "... then its tier" "Successfully deleted 1 'Tier' resource(s)" "$CTL" delete tier ops
expect_refused "delete of an absent resource" "resource does not exist: GlobalNetworkPolicy(ops.watch)" "$CTL" delete gnp ops.watch
expect_refused "delete of several, one absent: nothing deleted" "resource does not exist: NetworkSet(prod/nope)" \
  "$CTL" delete networkset partners nope -n prod
expect_ok "delete -f" "Successfully deleted 1 'GlobalNetworkPolicy' resource(s)" "$CTL" delete -f "$F/absent.yaml"
expect_ok "delete -n" "Successfully deleted 1 'NetworkSet' resource(s)" "$CTL" delete networkset partners -n prod
expect_eq "... gone" "$("$DSTOOL" count /calico/resources/v3/projectcalico.org/networksets/)" 0

# ---- label ----
expect_ok "label a policy" "Successfully set label env on gnp deny-icmp" "$CTL" label gnp deny-icmp env=prod
expect_refused "label without --overwrite" \
  "gnp deny-icmp already has the label env=prod; use --overwrite to change its value." "$CTL" label gnp deny-icmp env=dev
expect_ok "label --overwrite" "Successfully updated label env on gnp deny-icmp" "$CTL" label gnp deny-icmp env=dev --overwrite
expect_ok "get -l sees it" "NAME
deny-icmp" "$CTL" get gnp -l "env == 'dev'"
expect_ok "label KEY-" "Successfully removed label env from gnp deny-icmp" "$CTL" label gnp deny-icmp env-
expect_refused "removing an absent label" "gnp deny-icmp has no label env." "$CTL" label gnp deny-icmp env --remove
expect_refused "a bad label key" "Invalid label key \"-x\": an optional DNS prefix and '/', then 1-63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit." \
  "$CTL" label gnp deny-icmp -- -x=1
expect_ok "label a namespaced policy" "Successfully set label a on networkpolicy allow-web" "$CTL" label networkpolicy allow-web a=b -n prod
expect_ok "label the default tier (not stored yet)" "Successfully set label a on tier default" "$CTL" label tier default a=b
expect_refused "label of an absent resource" "resource does not exist: GlobalNetworkSet(nope)" "$CTL" label gns nope a=b

# ---- the Profile: one model, two grammars ----
expect_ok "label a profile: a tag through v3" "Successfully set label db on profile web" "$CTL" label profile web db=
expect_ok "... the 2016 grammar sees the tag" "web
db" "$CTL" profile web tag show
expect_ok "label a profile with a value: not a tag" "Successfully set label stage on profile web" "$CTL" label profile web stage=beta
expect_eq "... it is in the labels key" "$("$DSTOOL" get /calico/v1/policy/profile/web/labels)" '{"stage":"beta","tier":"frontend"}'
expect_ok "v3 -> 2016: rule show" "Inbound rules:
   1 allow from tag web
   2 deny tcp from cidr 10.0.0.0/8 to ports 22
Outbound rules:
   1 allow" "$CTL" profile web rule show
expect_ok "2016: profile add" "Created profile app" "$CTL" profile add app
"$CTL" profile app rule add inbound allow tcp from tag web to ports 443,8000:8080 >/dev/null
"$CTL" profile app rule add outbound --at=1 deny icmp type 8 code 0 to cidr 192.0.2.0/24 >/dev/null
"$CTL" profile app tag add blue >/dev/null
run "$CTL" get profile app -o yaml
expect_match "2016 -> v3: get profile -o yaml" "apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: app
  resourceVersion: \"*\"
spec:
  ingress:
  - action: Allow
    source:
      selector: has(app)
    destination: {}
  - action: Allow
    protocol: TCP
    source:
      selector: has(web)
    destination:
      ports:
      - 443
      - \"8000:8080\"
  egress:
  - action: Deny
    protocol: ICMP
    icmp:
      type: 8
      code: 0
    source: {}
    destination:
      nets:
      - 192.0.2.0/24
  - action: Allow
    source: {}
    destination: {}
  labelsToApply:
    app: \"\"
    blue: \"\""
"$CTL" get profile app -o yaml >"$F/app.yaml"
expect_same_rev "re-apply of a 2016 profile's yaml: no-op (tag order kept)" "$CTL" apply -f "$F/app.yaml"
sed -e 's/has(web)/has(db)/' -e '/resourceVersion/d' "$F/app.yaml" >"$F/app2.yaml"
expect_ok "a change through v3" "Successfully applied 1 'Profile' resource(s)" "$CTL" apply -f "$F/app2.yaml"
run "$CTL" profile app rule show
expect_match "... seen by the 2016 grammar" "*2 allow tcp from tag db to ports 443,8000:8080*"
expect_eq "... its tags and their order unchanged" "$("$DSTOOL" get /calico/v1/policy/profile/app/tags)" '["app","blue"]'
cat >"$F/pass.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: Profile
metadata: {name: app}
spec:
  egress:
  - action: Allow
    destination:
      nets: [10.0.0.0/8, 10.1.0.0/16]
EOF
expect_refused "a Profile rule the 2016 rule cannot hold" \
  "$F/pass.yaml: document 1: spec.egress[0].destination.nets: 2 nets (a profile rule holds one): profiles hold only the 2016 rule kinds (use a GlobalNetworkPolicy or NetworkPolicy)" \
  "$CTL" apply -f "$F/pass.yaml"
sed -i 's/nets: .*/selector: "app == '"'"'x'"'"'"/' "$F/pass.yaml"
expect_refused "a selector other than has(TAG)" \
  "$F/pass.yaml: document 1: spec.egress[0].destination.selector: \"app == 'x'\" is not has(TAG): profiles hold only the 2016 rule kinds (use a GlobalNetworkPolicy or NetworkPolicy)" \
  "$CTL" apply -f "$F/pass.yaml"
expect_ok "delete a profile through v3" "Successfully deleted 1 'Profile' resource(s)" "$CTL" delete profile web
expect_refused "... the 2016 grammar sees it gone" "Profile web not found." "$CTL" profile web tag show
expect_eq "... with its labels key" "$("$DSTOOL" count /calico/v1/policy/profile/web/)" 0

# ---- workload endpoints: a view of the 2016 endpoint records ----
EP=/calico/v1/host
"$DSTOOL" put "$EP/node-1/workload/mesos/task-a.1/endpoint/eth0" '{"state":"active","name":"cali0ef24b0e6a2","mac":"ee:ee:ee:ee:ee:ee","profile_ids":["app"],"ipv4_nets":["192.168.0.1/32"],"ipv6_nets":["fd00::1/128"],"labels":{"projectcalico.org/orchestrator":"mesos","projectcalico.org/namespace":"prod","role":"db"}}'
"$DSTOOL" put "$EP/h2/workload/cni/abc123/endpoint/eth0" '{"state":"active","name":"cali1111","mac":"ee:ee:ee:ee:ee:ee","profile_ids":["app","other"],"ipv4_nets":["192.168.1.2/32"],"ipv6_nets":[],"labels":{"projectcalico.org/orchestrator":"cni","blue":"own"}}'
"$DSTOOL" put "$EP/h2/workload/libnetwork/libnetwork/endpoint/9f3e" '{"state":"active","name":"cali9f3e","profile_ids":[],"ipv4_nets":["192.168.1.3/32"],"ipv6_nets":[],"labels":{}}'
W1=node--1-mesos-task--a.1-eth0
expect_ok "get workloadendpoints: Calico's columns, namespace default" "NAMESPACE   WORKLOAD     NODE   NETWORKS         INTERFACE
default     abc123       h2     192.168.1.2/32   cali1111
default     libnetwork   h2     192.168.1.3/32   cali9f3e" "$CTL" get workloadendpoints
expect_ok "get wep -A -o wide: the name, '-' doubled in each part; the profiles" "NAMESPACE   NAME                            WORKLOAD     NODE     NETWORKS                     INTERFACE         PROFILES    NATS
default     h2-cni-abc123-eth0              abc123       h2       192.168.1.2/32               cali1111          app,other
default     h2-libnetwork-libnetwork-9f3e   libnetwork   h2       192.168.1.3/32               cali9f3e
prod        $W1    task-a.1     node-1   192.168.0.1/32,fd00::1/128   cali0ef24b0e6a2   app" "$CTL" get wep -A -o wide
run "$CTL" get workloadendpoint "$W1" -n prod -o yaml
expect_match "get wep NAME -o yaml: Calico's fields, the record's labels" "apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: $W1
  namespace: prod
  resourceVersion: \"*\"
  labels:
    projectcalico.org/namespace: prod
    projectcalico.org/orchestrator: mesos
    role: db
spec:
  orchestrator: mesos
  workload: task-a.1
  node: node-1
  endpoint: eth0
  ipNetworks:
  - 192.168.0.1/32
  - fd00::1/128
  profiles:
  - app
  interfaceName: cali0ef24b0e6a2
  mac: ee:ee:ee:ee:ee:ee"
expect_refused "get wep NAME in another namespace" "resource does not exist: WorkloadEndpoint(default/$W1)" "$CTL" get weps "$W1"
expect_refused "get wep of a name with fewer than four parts" "resource does not exist: WorkloadEndpoint(default/h2-cni-abc123)" "$CTL" get wep h2-cni-abc123
# the profile app applies app="" and blue="" (its tags) and stage=beta
"$CTL" label profile app stage=beta >/dev/null
expect_ok "get wep -l: a profile's labelsToApply select its endpoints" "NAMESPACE   WORKLOAD   NODE     NETWORKS                     INTERFACE
default     abc123     h2       192.168.1.2/32               cali1111
prod        task-a.1   node-1   192.168.0.1/32,fd00::1/128   cali0ef24b0e6a2" "$CTL" get wep -A -l "stage == 'beta' && has(app)"
expect_ok "get wep -l: the endpoint's own label wins over its profile's" "NAMESPACE   WORKLOAD   NODE   NETWORKS         INTERFACE
default     abc123     h2     192.168.1.2/32   cali1111" "$CTL" get wep -A -l "blue == 'own'"
expect_ok "get wep -l: the namespace label" "NAMESPACE   WORKLOAD   NODE     NETWORKS                     INTERFACE
prod        task-a.1   node-1   192.168.0.1/32,fd00::1/128   cali0ef24b0e6a2" "$CTL" get wep -A -l "projectcalico.org/namespace == 'prod'"

# ---- label workloadendpoint: the record's labels, by compare-and-swap ----
expect_ok "label wep" "Successfully set label tier on wep h2-cni-abc123-eth0" "$CTL" label wep h2-cni-abc123-eth0 tier=web
expect_eq "... in the endpoint record" "$("$DSTOOL" get "$EP/h2/workload/cni/abc123/endpoint/eth0" | jq -c .labels)" \
  '{"blue":"own","projectcalico.org/orchestrator":"cni","tier":"web"}'
expect_ok "... and -l selects on it" "NAMESPACE   WORKLOAD   NODE   NETWORKS         INTERFACE
default     abc123     h2     192.168.1.2/32   cali1111" "$CTL" get wep -l "tier == 'web'"
expect_refused "label wep without --overwrite" \
  "workloadendpoint h2-cni-abc123-eth0 already has the label tier=web; use --overwrite to change its value." \
  "$CTL" label workloadendpoint h2-cni-abc123-eth0 tier=db
expect_ok "label wep --overwrite, -n" "Successfully updated label role on weps $W1" "$CTL" label weps "$W1" role=cache --overwrite -n prod
expect_ok "label wep KEY-" "Successfully removed label blue from wep h2-cni-abc123-eth0" "$CTL" label wep h2-cni-abc123-eth0 blue-
expect_eq "... gone from the record, the rest kept" "$("$DSTOOL" get "$EP/h2/workload/cni/abc123/endpoint/eth0" | jq -c '[.labels, .profile_ids, .ipv4_nets, .name]')" \
  '[{"projectcalico.org/orchestrator":"cni","tier":"web"},["app","other"],["192.168.1.2/32"],"cali1111"]'
expect_refused "label wep, a label it does not have" "wep h2-cni-abc123-eth0 has no label blue." "$CTL" label wep h2-cni-abc123-eth0 blue-
expect_refused "label wep, Calico's namespace label" \
  "The label projectcalico.org/namespace of a workload endpoint is Calico's own (set from the orchestrator) and cannot be changed." \
  "$CTL" label wep h2-cni-abc123-eth0 projectcalico.org/namespace=prod
expect_refused "label wep, Calico's orchestrator label" \
  "The label projectcalico.org/orchestrator of a workload endpoint is Calico's own (set from the orchestrator) and cannot be changed." \
  "$CTL" label wep "$W1" projectcalico.org/orchestrator- -n prod
expect_refused "label wep, a bad value" "Invalid label value \"a b\": empty, or 1-63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit." \
  "$CTL" label wep h2-cni-abc123-eth0 'x=a b'
expect_refused "label of an absent wep" "resource does not exist: WorkloadEndpoint(default/h2-cni-nope-eth0)" "$CTL" label wep h2-cni-nope-eth0 a=b
# eight at once on one record: each re-reads and retries on conflict, none is lost
pids=""
for i in 1 2 3 4 5 6 7 8; do "$CTL" label wep h2-libnetwork-libnetwork-9f3e "k$i=v$i" >"$F/par$i.out" 2>&1 & pids="$pids $!"; done
failed=0; for p in $pids; do wait "$p" || failed=$((failed + 1)); done
expect_eq "eight concurrent labels: all succeed, all in the record" \
  "$failed $("$DSTOOL" get "$EP/h2/workload/libnetwork/libnetwork/endpoint/9f3e" | jq -c '.labels | keys')" \
  '0 ["k1","k2","k3","k4","k5","k6","k7","k8"]'

# ---- the views are not written through v3 ----
"$CTL" get wep -A -o yaml >"$F/weps.yaml"
expect_refused "apply of a WorkloadEndpoint: refused, with what to do instead" \
  "$F/weps.yaml: document 1: items[0].kind: WorkloadEndpoint is read-only here: workload endpoints are made by the orchestrator plugins; only their labels can be changed (calicoctl label workloadendpoint NAME KEY=VALUE)" \
  "$CTL" apply -f "$F/weps.yaml"
expect_refused "delete of a WorkloadEndpoint" \
  "WorkloadEndpoint(default/h2-cni-abc123-eth0) is read-only here: workload endpoints are made by the orchestrator plugins; only their labels can be changed (calicoctl label workloadendpoint NAME KEY=VALUE)" \
  "$CTL" delete wep h2-cni-abc123-eth0

# ---- IPPool, BGPPeer, BGPConfiguration, Node, FelixConfiguration: views of the 2016 keys ----
"$CTL" pool add 192.168.0.0/16 --nat-outgoing >/dev/null
"$CTL" pool add fd80:24e2:f998:72d6::/64 --vxlan >/dev/null
"$CTL" bgp peer add 10.0.0.9 as 64600 >/dev/null
"$CTL" bgp peer add 2001:db8::9 as 64601 >/dev/null
"$CTL" bgp node-mesh off >/dev/null
"$CTL" bgp default-node-as 64512 >/dev/null
"$DSTOOL" put /calico/bgp/v1/host/node-1/ip_addr_v4 10.0.0.1
"$DSTOOL" put /calico/bgp/v1/host/node-1/as_num 64513
"$DSTOOL" put /calico/bgp/v1/host/h2/ip_addr_v4 10.0.0.2
"$DSTOOL" put /calico/bgp/v1/host/h2/ip_addr_v6 fd00::2
"$DSTOOL" put /calico/bgp/v1/host/h2/peer_v4/10.0.0.7 '{"ip":"10.0.0.7","as_num":64700}'
expect_ok "get ippools: named from the CIDR" "NAME                       CIDR                       SELECTOR
192-168-0-0-16             192.168.0.0/16             all()
fd80-24e2-f998-72d6---64   fd80:24e2:f998:72d6::/64   all()" "$CTL" get ippools
expect_ok "get ippool -o wide" "NAME                       CIDR                       NAT     IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR
192-168-0-0-16             192.168.0.0/16             true    Never      Never       false      false              all()
fd80-24e2-f998-72d6---64   fd80:24e2:f998:72d6::/64   false   Never      Always      false      false              all()" "$CTL" get ippool -o wide
run "$CTL" get ippool 192-168-0-0-16 -o yaml
expect_match "get ippool NAME -o yaml" "apiVersion: projectcalico.org/v3
kind: IPPool
metadata:
  name: 192-168-0-0-16
  resourceVersion: \"*\"
spec:
  cidr: 192.168.0.0/16
  vxlanMode: Never
  ipipMode: Never
  natOutgoing: true
  blockSize: 26
  nodeSelector: all()"
expect_ok "get bgppeers: global and per-node" "NAME                                      PEERIP        NODE       ASN
10-0-0-9                                  10.0.0.9      (global)   64600
2001-0db8-0000-0000-0000-0000-0000-0009   2001:db8::9   (global)   64601
h2.10-0-0-7                               10.0.0.7      h2         64700" "$CTL" get bgppeers
run "$CTL" get bgppeer h2.10-0-0-7 -o json
expect_eq "get bgppeer NAME -o json" "$(printf '%s\n' "$OUT" | jq -c '[.kind, .spec]')" '["BGPPeer",{"node":"h2","peerIP":"10.0.0.7","asNumber":64700}]'
expect_ok "get bgpconfig" "NAME      LOGSEVERITY   MESHENABLED   ASNUMBER
default                 false         64512" "$CTL" get bgpconfig
run "$CTL" get bgpconfiguration default -o json
expect_eq "get bgpconfiguration default -o json" "$(printf '%s\n' "$OUT" | jq -c '.spec')" '{"nodeToNodeMeshEnabled":false,"asNumber":64512}'
# FelixConfiguration: "default" from the global Felix settings, "node.<host>"
# from a host's; Calico's field names, the values converted as Calico's upgrade does
expect_ok "get felixconfig: default, with nothing set" "NAME
default" "$CTL" get felixconfig
run "$CTL" get felixconfiguration default -o json
expect_eq "default with nothing set: no resourceVersion, an empty spec" \
  "$(printf '%s\n' "$OUT" | jq -c '[.kind, .metadata, .spec]')" '["FelixConfiguration",{"name":"default"},{}]'
"$CTL" config felix LogSeverityScreen warning
"$CTL" config felix DefaultEndpointToHostAction ACCEPT
"$CTL" config felix ReportingIntervalSecs 90
"$CTL" config felix IpInIpEnabled true
"$CTL" config felix IpInIpMtu 1400
felix_rev=$(rev)
"$CTL" config felix VethMtu 1400
"$CTL" config node felix ReportingTTLSecs 3600 --hostname=h2
"$CTL" config node felix PrometheusMetricsPort 9191 --hostname=h2
h2_rev=$(rev)
"$CTL" config node felix InterfacePrefix tap --hostname=node-1
"$CTL" config node felix IpInIpMtu big --force --hostname=node-1
"$CTL" config node felix VethMtu 1300 --hostname=node-3
expect_ok "get felixconfigs: default and every host with a setting" "NAME
default
node.h2
node.node-1
node.node-3" "$CTL" get felixconfigs
expect_ok "get FelixConfiguration -o wide: the name only, as Calico's" "NAME
default
node.h2
node.node-1
node.node-3" "$CTL" get FelixConfiguration -o wide
run "$CTL" get felixconfig default -o json
expect_eq "default -o json: Calico's fields and values; VethMtu has no field" "$(printf '%s\n' "$OUT" | jq -c '.spec')" \
  '{"defaultEndpointToHostAction":"Accept","logSeverityScreen":"Warning","ipipEnabled":true,"ipipMTU":1400,"reportingInterval":"1m30s"}'
expect_eq "default's resourceVersion: its newest key with a v3 field" "$(printf '%s\n' "$OUT" | jq -r '.metadata.resourceVersion')" "$felix_rev"
run "$CTL" get felixconfig node.h2 -o yaml
expect_match "node.h2 -o yaml" "apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata:
  name: node.h2
  resourceVersion: \"$h2_rev\"
spec:
  reportingTTL: 1h0m0s
  prometheusMetricsPort: 9191"
run "$CTL" get felixconfig node.node-1 -o json
expect_eq "a value that does not convert is skipped" "$RC $(printf '%s\n' "$OUT" | jq -c '.spec')" '0 {"interfacePrefix":"tap"}'
expect_contains "... with a warning naming the key" "$ERR" \
  'WARNING skipping /calico/v1/host/node-1/config/IpInIpMtu: "big" is not a whole number from 0 to 65535'
run "$CTL" get felixconfig node.node-3 -o json
expect_eq "a host with only settings that have no field: there, empty" "$(printf '%s\n' "$OUT" | jq -c '[.metadata, .spec]')" \
  '[{"name":"node.node-3"},{}]'
run "$CTL" get felixconfig -o json
expect_eq "get felixconfig -o json: a FelixConfigurationList" "$(printf '%s\n' "$OUT" | jq -c '[.kind, [.items[].metadata.name]]')" \
  '["FelixConfigurationList",["default","node.h2","node.node-1","node.node-3"]]'
"$CTL" config node felix InterfacePrefix --remove --hostname=node-1
"$CTL" config node felix IpInIpMtu --remove --hostname=node-1
expect_ok "a host whose settings are all removed is gone" "NAME
default
node.h2
node.node-3" "$CTL" get felixconfig
expect_refused "get felixconfig of a host without settings" "resource does not exist: FelixConfiguration(node.node-1)" \
  "$CTL" get felixconfig node.node-1
expect_refused "get felixconfig of a name that is neither default nor node.<host>" \
  "resource does not exist: FelixConfiguration(h2)" "$CTL" get felixconfig h2
expect_ok "get nodes" "NAME
h2
node-1" "$CTL" get nodes
expect_ok "get nodes -o wide: an AS inherited in parentheses" "NAME     ASN       IPV4       IPV6
h2       (64512)   10.0.0.2   fd00::2
node-1   64513     10.0.0.1" "$CTL" get nodes -o wide
run "$CTL" get node node-1 -o json
expect_eq "get node NAME -o json" "$(printf '%s\n' "$OUT" | jq -c '.spec')" '{"bgp":{"asNumber":64513,"ipv4Address":"10.0.0.1"}}'
expect_refused "create of an IPPool: refused, with what to use" \
  "$F/pool.yaml: document 1: kind: IPPool is read-only here: IP pools are the 2016 pools (calicoctl pool add|remove)" \
  sh -c '"$1" get ippool 192-168-0-0-16 -o yaml >"$2"; "$1" create -f "$2"' _ "$CTL" "$F/pool.yaml"
expect_refused "delete of a BGPPeer" \
  "BGPPeer(10-0-0-9) is read-only here: BGP peers are the 2016 peers (calicoctl bgp peer add|remove, calicoctl node bgp peer add|remove)" \
  "$CTL" delete bgppeer 10-0-0-9
expect_refused "label of a Node" \
  "Node(h2) is read-only here: nodes are made by calicoctl node (--ip, --ip6, --as) and removed by calicoctl node remove" \
  "$CTL" label node h2 a=b
expect_refused "apply of a FelixConfiguration: refused, naming calicoctl config" \
  "$F/felix.yaml: document 1: kind: FelixConfiguration is read-only here: the Felix configuration is the 2016 settings (calicoctl config felix NAME VALUE, calicoctl config node felix NAME VALUE --hostname=HOST)" \
  sh -c '"$1" get felixconfig default -o yaml >"$2"; "$1" apply -f "$2"' _ "$CTL" "$F/felix.yaml"
expect_refused "delete of a FelixConfiguration" \
  "FelixConfiguration(node.h2) is read-only here: the Felix configuration is the 2016 settings (calicoctl config felix NAME VALUE, calicoctl config node felix NAME VALUE --hostname=HOST)" \
  "$CTL" delete felixconfig node.h2

# ---- usage and refusals ----
expect_refused "unknown kind" "Unknown resource type: pods (one of tiers, globalnetworkpolicies, networkpolicies, globalnetworksets, networksets, profiles, workloadendpoints, ippools, bgppeers, bgpconfigurations, nodes, felixconfigurations)" "$CTL" get pods
expect_refused "unknown output format" "Unknown output format: xml (yaml, json or wide)" "$CTL" get gnp -o xml
expect_refused "unknown flag" "Unknown option --frob" "$CTL" get gnp --frob
expect_refused "-n with -A" "Choose one of --namespace and --all-namespaces, not both." "$CTL" get np -n a -A
expect_refused "a missing file" "$F/none.yaml: cannot read it: No such file or directory" "$CTL" apply -f "$F/none.yaml"
printf '# nothing\n' >"$F/empty.yaml"
expect_refused "a file with no resources" "$F/empty.yaml: no resources in it" "$CTL" apply -f "$F/empty.yaml"
printf 'a: [\n' >"$F/broken.yaml"
run "$CTL" apply -f "$F/broken.yaml"
case "$ERR" in "$F/broken.yaml: line "*) ok "a YAML syntax error names the file and line";; *) fail "yaml error: $ERR";; esac
expect_usage "apply without -f" "$CTL" apply
expect_usage "label without a value" "$CTL" label gnp deny-icmp
expect_refused "get of an absent name" "resource does not exist: NetworkPolicy(default/nope)" "$CTL" get np nope

tap_done
