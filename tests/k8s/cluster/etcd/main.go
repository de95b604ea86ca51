// etcd at the version k8s.io/kubernetes requires (Debian's 3.4.23 is older than Kubernetes
// supports): the upstream server's own entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
