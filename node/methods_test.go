package node

import (
	"reflect"
	"testing"

	"github.com/dynago/dynago/internal/rpc"
)

// A node serves every method of the table: a method declared but served by
// no one would answer "unknown internode method", which peers take for an
// older release.
func TestEveryMethodServed(t *testing.T) {
	tb := (&Node{}).methodTable() // the handlers are not called
	if got, want := tb.Registered(), rpc.Methods(); !reflect.DeepEqual(got, want) {
		t.Errorf("the node serves\n%v\nthe table declares\n%v", got, want)
	}
	const want = "4=hint,5=merge-batch,6=read-batch,7=read-digests,9=ops,10=read-elements,11=elements-digest,16=scan,17=count,18=flush," +
		"32=roots,33=nodes,34=leaf-keys,48=fetch,49=push,64=node-status"
	if got := methodList(tb); got != want {
		t.Errorf("internode_methods:%s, want %s", got, want)
	}
}
