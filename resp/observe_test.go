package resp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dynago/dynago/internal/testserver"
	"github.com/dynago/dynago/node"
)

func TestSlowlogAndCommandStats(t *testing.T) {
	s := testserver.Start(t, func(cfg *node.Config) { cfg.SlowlogSlowerThan = 1 })
	c := s.Client()
	ctx := context.Background()
	c.Set(ctx, "k", "v", 0)
	c.Set(ctx, "k", strings.Repeat("x", 200), 0)
	c.Do(ctx, "INCR", "k")      // fails: not an integer
	c.Do(ctx, "GET")            // rejected: wrong number of arguments
	c.Do(ctx, "SLOWLOG", "LEN") // counted too

	entries, err := c.Do(ctx, "SLOWLOG", "GET", "2").Slice()
	if err != nil || len(entries) != 2 {
		t.Fatalf("SLOWLOG GET 2 = %v, %v", entries, err)
	}
	// Newest first: SLOWLOG LEN, then INCR (a rejected command never ran:
	// as in Redis, it is not in the slow log).
	first := entries[0].([]any)
	if len(first) != 6 || first[3].([]any)[0] != "SLOWLOG" {
		t.Fatalf("newest entry %v", first)
	}
	if second := entries[1].([]any); second[3].([]any)[0] != "INCR" {
		t.Fatalf("second newest entry %v, want the INCR (not the rejected GET)", second)
	}
	all, _ := c.Do(ctx, "SLOWLOG", "GET", "-1").Slice()
	var long string
	for _, e := range all {
		args := e.([]any)[3].([]any)
		if len(args) == 3 && args[0] == "set" && strings.HasSuffix(args[2].(string), "... (72 more bytes)") {
			long = args[2].(string)
		}
	}
	if long == "" || len(long) != 128+len("... (72 more bytes)") {
		t.Fatalf("the 200-byte argument is not cut at 128 bytes in %v", all)
	}
	if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int64(); n != int64(len(all))+1 {
		t.Fatalf("SLOWLOG LEN = %d, GET -1 gave %d", n, len(all))
	}
	if err := c.Do(ctx, "SLOWLOG", "RESET").Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int64(); n > 1 {
		t.Fatalf("SLOWLOG LEN after RESET = %d", n)
	}
	if err := c.Do(ctx, "SLOWLOG", "GET", "-2").Err(); err == nil || !strings.Contains(err.Error(), "count should be greater than or equal to -1") {
		t.Fatalf("SLOWLOG GET -2: %v", err)
	}

	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Commandstats", "cmdstat_set:calls=2,", "cmdstat_incr:calls=1,", "failed_calls=1", "cmdstat_get:calls=0,", "rejected_calls=1"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO commandstats lacks %q:\n%s", want, info)
		}
	}
	if def, _ := c.Info(ctx).Result(); strings.Contains(def, "cmdstat_") {
		t.Error("INFO without arguments shows commandstats; Redis leaves them to INFO ALL")
	}
	if all, _ := c.Info(ctx, "all").Result(); !strings.Contains(all, "cmdstat_set") {
		t.Error("INFO ALL lacks commandstats")
	}
	if err := c.Do(ctx, "CONFIG", "RESETSTAT").Err(); err != nil {
		t.Fatal(err)
	}
	if info, _ := c.Info(ctx, "commandstats").Result(); strings.Contains(info, "cmdstat_set") {
		t.Errorf("CONFIG RESETSTAT kept the command stats:\n%s", info)
	}
}
