# The stars demo's UI in headless Chromium (LAB-NOTES §10). Source it (bash).
#
#   stars_chromium ARG...          chromium --headless with the lab flags and a fresh
#                                  profile dir (removed afterwards); its stderr (the
#                                  wrapper's "[: ... unexpected operator" line, dbus
#                                  noise) goes to $STARS_CHROMIUM_LOG, /dev/null by
#                                  default. Runs inside the network namespace
#                                  $STARS_NETNS (a full name, e.g. "$(lab_ns ui)") when set.
#   stars_dom URL                  the page's DOM after its script ran (virtual time
#                                  budget $STARS_VTIME ms, default 4000)
#   stars_graph_from_html          reads a DOM on stdin, prints the rendered graph
#   stars_graph_from_dom URL       the graph Chromium rendered: the node ids (sorted),
#                                  then the edges as "from->to" (sorted), one per line.
#                                  Exit 1 with nothing printed when the page rendered
#                                  no graph (not reachable, or no body[data-updated]).
#   stars_screenshot URL FILE [W,H] PNG of the page (default 1400,800)
#   stars_rules_from_html ID       reads a DOM on stdin, prints the text of ID's rules
#                                  panel on one line, white space collapsed (the page
#                                  wraps long rules); exit 1 when ID has no panel
#   stars_denied_from_html         reads a DOM on stdin, prints each denied edge as
#                                  "from->to<TAB>label<TAB>stroke<TAB>dasharray" (sorted)
#   stars_flows_from_html ID       reads a DOM on stdin, prints ID's flow panel rows,
#                                  one a line, cells joined by " | "; exit 1 when the
#                                  panel is not ID's
#
# What the UI marks (src/stars/ui.c): <g class="node" data-id=ID> per service it
# shows, <line class="edge" data-from=X data-to=Y> per edge, <g class="rules"
# data-for=ID> per rules panel (a <tspan> per line), <g class="denied"
# data-from=X data-to=Y data-label=TEXT> per denied edge (a <line> and a
# <text>), <aside id="panel" data-for=ID> holding <tr class="flow"> rows for
# the selected service (the URL's #ID), body[data-updated].

STARS_CHROMIUM=${STARS_CHROMIUM:-chromium}
STARS_VTIME=${STARS_VTIME:-4000}

stars_chromium() {
  local dir rc
  local -a pre=()
  dir=$(mktemp -d /tmp/calico-stars-chromium.XXXXXX) || return 1
  [ -n "${STARS_NETNS:-}" ] && pre=(ip netns exec "$STARS_NETNS")
  timeout 60 "${pre[@]}" "$STARS_CHROMIUM" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run \
    --disable-quic --user-data-dir="$dir" "$@" 2>>"${STARS_CHROMIUM_LOG:-/dev/null}"
  rc=$?
  rm -rf "$dir"
  return $rc
}

stars_dom() {
  stars_chromium --virtual-time-budget="$STARS_VTIME" --dump-dom "$1"
}

stars_graph_from_html() {
  perl -e '
    local $/; my $d = <STDIN> // "";
    $d =~ s{<script\b.*?</script>}{}gis;
    exit 1 unless $d =~ /<body\b[^>]*\bdata-updated="/;
    my (@n, @e);
    while ($d =~ /<[a-zA-Z][\w-]*\b([^>]*)>/g) {
      my $a = $1; my %h;
      $h{$1} = $2 while $a =~ /([\w:-]+)="([^"]*)"/g;
      next unless defined $h{class};
      my %c = map { $_ => 1 } split /\s+/, $h{class};
      push @n, $h{"data-id"} if $c{node} && defined $h{"data-id"};
      push @e, "$h{q(data-from)}->$h{q(data-to)}" if $c{edge} && defined $h{"data-from"} && defined $h{"data-to"};
    }
    print map { "$_\n" } ((sort @n), (sort @e));
  '
}

stars_graph_from_dom() {
  local dom
  dom=$(stars_dom "$1") || return 1
  stars_graph_from_html <<<"$dom"
}

stars_screenshot() {
  stars_chromium --virtual-time-budget="$STARS_VTIME" --window-size="${3:-1400,800}" \
    --screenshot="$2" "$1" >/dev/null
}

stars_rules_from_html() {
  ID=$1 perl -e '
    local $/; my $d = <STDIN> // "";
    $d =~ s{<script\b.*?</script>}{}gis;
    while ($d =~ /<g\b([^>]*)>/g) {
      my $a = $1; my %h;
      $h{$1} = $2 while $a =~ /([\w:-]+)="([^"]*)"/g;
      next unless ($h{class} // "") eq "rules" && ($h{"data-for"} // "") eq $ENV{ID};
      # a panel holds no <g>: its body ends at the next </g>
      $d =~ /\G(.*?)<\/g>/gs or exit 1;
      my @l = $1 =~ /<tspan\b[^>]*>(.*?)<\/tspan>/gs;
      my $t = join " ", @l;
      $t =~ s/&lt;/</g; $t =~ s/&gt;/>/g; $t =~ s/&quot;/"/g; $t =~ s/&#39;/\x27/g; $t =~ s/&amp;/&/g;
      $t =~ s/\s+/ /g; $t =~ s/^ | $//g;
      print "$t\n"; exit 0;
    }
    exit 1;
  '
}

stars_denied_from_html() {
  perl -e '
    local $/; my $d = <STDIN> // "";
    $d =~ s{<script\b.*?</script>}{}gis;
    my @out;
    while ($d =~ /<g\b([^>]*\bclass="denied"[^>]*)>(.*?)<\/g>/gs) {
      my ($a, $body) = ($1, $2); my %h;
      $h{$1} = $2 while $a =~ /([\w:-]+)="([^"]*)"/g;
      my %l;
      if ($body =~ /<line\b([^>]*)>/) { my $la = $1; $l{$1} = $2 while $la =~ /([\w:-]+)="([^"]*)"/g; }
      my $t = $h{"data-label"} // "";
      $t =~ s/&quot;/"/g; $t =~ s/&#39;/\x27/g; $t =~ s/&lt;/</g; $t =~ s/&gt;/>/g; $t =~ s/&amp;/&/g;
      push @out, join("\t", "$h{q(data-from)}->$h{q(data-to)}", $t, $l{stroke} // "", $l{"stroke-dasharray"} // "");
    }
    print map { "$_\n" } sort @out;
  '
}

stars_flows_from_html() {
  ID=$1 perl -e '
    local $/; my $d = <STDIN> // "";
    $d =~ s{<script\b.*?</script>}{}gis;
    $d =~ /<aside\b([^>]*)>(.*?)<\/aside>/s or exit 1;
    my ($a, $body) = ($1, $2); my %h;
    $h{$1} = $2 while $a =~ /([\w:-]+)="([^"]*)"/g;
    exit 1 unless ($h{"data-for"} // "") eq $ENV{ID};
    while ($body =~ /<tr\b[^>]*class="flow"[^>]*>(.*?)<\/tr>/gs) {
      my @c = $1 =~ /<td\b[^>]*>(.*?)<\/td>/gs;
      for (@c) { s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&#39;/\x27/g; s/&amp;/&/g; }
      print join(" | ", @c), "\n";
    }
  '
}
