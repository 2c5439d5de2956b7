// libcni-client: drives CNI plugins through libcni, the library container
// runtimes (containerd, CRI-O, Podman's CNI backend) call them with, so that a
// test sees the plugins exactly as those runtimes use them: VERSION calls
// during validation, prevResult passed down a chain, results cached and
// handed back on CHECK and DEL.
//
// Usage:
//
//	libcni-client -conflist FILE -path DIR[:DIR...] -cache DIR OP [ID NETNS IFNAME]
//
// OP is validate, add, cached, check or del; all but validate take the
// attachment (container id, network namespace path, interface name). On
// success it prints one JSON document on stdout (validate: the capabilities;
// add and cached: the result; check and del: {}) and exits 0. On failure it
// prints the error on stderr and, when a plugin returned a CNI error object,
// that object on stdout, and exits 1. Exit 2: bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: libcni-client -conflist FILE -path DIR[:DIR...] -cache DIR (validate | add|cached|check|del ID NETNS IFNAME)")
	os.Exit(2)
}

func printJSON(v interface{}) {
	out, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "libcni-client:", err)
	var cniErr *types.Error
	if errors.As(err, &cniErr) {
		out, _ := json.Marshal(cniErr)
		fmt.Println(string(out))
	}
	os.Exit(1)
}

func main() {
	conflist := flag.String("conflist", "", "the network configuration list")
	path := flag.String("path", "", "where the plugins are, ':' between directories")
	cache := flag.String("cache", "", "libcni's result cache directory")
	flag.Parse()
	args := flag.Args()
	if *conflist == "" || *path == "" || *cache == "" || len(args) < 1 {
		usage()
	}
	op := args[0]
	if (op == "validate") != (len(args) == 1) || (op != "validate" && len(args) != 4) {
		usage()
	}

	list, err := libcni.ConfListFromFile(*conflist)
	if err != nil {
		fail(err)
	}
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(*path), *cache, nil)
	ctx := context.Background()
	if op == "validate" {
		caps, err := cni.ValidateNetworkList(ctx, list)
		if err != nil {
			fail(err)
		}
		if caps == nil {
			caps = []string{}
		}
		printJSON(map[string][]string{"capabilities": caps})
		return
	}

	rt := &libcni.RuntimeConf{ContainerID: args[1], NetNS: args[2], IfName: args[3]}
	switch op {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			fail(err)
		}
		printJSON(res)
	case "cached":
		res, err := cni.GetNetworkListCachedResult(list, rt)
		if err != nil {
			fail(err)
		}
		printJSON(res) // null when nothing is cached
	case "check":
		if err := cni.CheckNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
		printJSON(struct{}{})
	case "del":
		if err := cni.DelNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
		printJSON(struct{}{})
	default:
		usage()
	}
}
