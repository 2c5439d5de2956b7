#!/usr/bin/perl
# A stand-in for calico-node's flows socket (flow/flow_query.h's protocol),
# for tests of its clients: perl fake_flows.pl SOCKET FILE
# Each connection sends one request line; the answer is FILE's lines as they
# are at that moment (JSON records, or an "error: ..." line), then the socket
# closes. The last request line is kept in SOCKET.req.
use strict;
use warnings;
use IO::Socket::UNIX;

my ($path, $file) = @ARGV;
die "usage: fake_flows.pl SOCKET FILE\n" unless defined $file;
unlink $path;
my $srv = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $path, Listen => 8) or die "listen $path: $!\n";
$SIG{TERM} = sub { unlink $path; exit 0 };
while (my $c = $srv->accept) {
	my $req = <$c>;
	next unless defined $req;
	if (open(my $r, '>', "$path.req.tmp")) { print $r $req; close $r; rename "$path.req.tmp", "$path.req"; }
	if (open(my $f, '<', $file)) { print $c $_ while <$f>; close $f; }
	close $c;
}
