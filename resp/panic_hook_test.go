package resp

import "github.com/dynago/dynago/op"

// The test binary's command table has one more command, which panics while
// the coordinator holds the key's lock (inside its decision), so that tests
// can check that a handler's panic is contained and leaves nothing locked.
func init() {
	register(&Command{Name: "dynago-test-panic", Arity: 2, Flags: []string{"write"}, FirstKey: 1, LastKey: 1, Step: 1,
		Group: "dynago", Since: "0.1.0", Summary: "Test only: panics while deciding a write to key.",
		Handler: func(c *client, args [][]byte) {
			c.writeArray(2) // a reply begun, never finished
			c.writeInt(1)
			_, _ = c.srv.coord.Update(c.ctx, args[1], func(*op.State) (op.Change, error) {
				panic("dynago-test-panic: forced")
			}, c.opts())
		}})
}
