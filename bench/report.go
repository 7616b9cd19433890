package bench

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// table collects rows of right-aligned columns.
type table struct {
	buf bytes.Buffer
	tw  *tabwriter.Writer
}

func newTable() *table {
	t := &table{}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	return t
}

// row adds one row; with right alignment every cell, the last included, must
// end in a tab.
func (t *table) row(cs ...string) {
	fmt.Fprintln(t.tw, strings.Join(cs, "\t")+"\t")
}

// writeTo writes the aligned rows to w, without the spaces that empty
// trailing cells leave at the end of a line.
func (t *table) writeTo(w io.Writer) error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(t.buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// ratio formats a/b as "0.57x"; "-" when it is undefined.
func ratio(a, b float64) string {
	if b == 0 || a != a || b != b {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func formatOps(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
func formatMs(v float64) string  { return strconv.FormatFloat(v, 'f', 3, 64) }

// formatCPU prints CPU microseconds per operation; "-" when not measured.
func formatCPU(us float64) string {
	if us <= 0 {
		return "-"
	}
	return strconv.FormatFloat(us, 'f', 1, 64)
}
func formatMiB(b int64) string { return strconv.FormatFloat(mib(b), 'f', 1, 64) }

// benchName makes a benchstat benchmark name from key=value parts: spaces,
// which would end the name, become underscores.
func benchName(base string, kv ...string) string {
	var b strings.Builder
	b.WriteString("Benchmark" + base)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "/%s=%s", kv[i], strings.ReplaceAll(kv[i+1], " ", "_"))
	}
	return b.String()
}

// rowGroups returns the indexes of rows grouped by key, groups in the order
// their first row appears.
func rowGroups(n int, key func(i int) string) [][]int {
	var order []string
	groups := map[string][]int{}
	for i := range n {
		k := key(i)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	out := make([][]int, len(order))
	for i, k := range order {
		out[i] = groups[k]
	}
	return out
}

// WriteTable prints one row per test, pipeline depth and endpoint (the
// median over repetitions), then for each test and depth the ratio rows
// (ops/s over ops/s), then the failures.
func (r *ThroughputReport) WriteTable(w io.Writer) error {
	runs := "1 run"
	if r.Repeat != 1 {
		runs = fmt.Sprintf("median of %d runs", r.Repeat)
	}
	keys := fmt.Sprintf("-r %d", r.Load.Keyspace)
	if r.Load.Keyspace == 0 {
		keys = "one key"
	}
	fmt.Fprintf(w, "\n%s: redis-benchmark -c %d -d %d %s, %s\n",
		r.Title, r.Load.Clients, r.Load.ValueSize, keys, runs)
	if r.Note != "" {
		fmt.Fprintf(w, "%s\n", r.Note)
	}
	tw := newTable()
	head := []string{"test", "pipeline", "requests", "target", "ops/s", "p50 ms", "p99 ms"}
	if r.Tail {
		head = append(head, "p99.9 ms")
	}
	head = append(head, "CPU us/op")
	if r.Routed {
		head = append(head, "routed %")
	}
	tw.row(head...)
	// cells pads a row to the header's width with fill.
	cells := func(fill string, cs ...string) []string {
		for len(cs) < len(head) {
			cs = append(cs, fill)
		}
		return cs
	}
	var failures []string
	groups := rowGroups(len(r.Rows), func(i int) string {
		return fmt.Sprintf("%s\x00%d", r.Rows[i].Test, r.Rows[i].Pipeline)
	})
	for _, g := range groups {
		medians := map[string]Result{} // endpoint -> median, for rows with numbers
		present := map[string]bool{}   // endpoint -> has a row in this group
		for _, i := range g {
			row := r.Rows[i]
			present[row.Target] = true
			p := strconv.Itoa(row.Pipeline)
			n := strconv.Itoa(row.Requests)
			switch {
			case row.Err != nil:
				tw.row(cells("-", row.Test, p, n, row.Target, "FAILED")...)
				failures = append(failures, fmt.Sprintf("%s -P %d %s: %v", row.Test, row.Pipeline, row.Target, row.Err))
			case len(row.Runs) == 0:
				tw.row(cells("-", row.Test, p, n, row.Target)...)
			default:
				m := Median(row.Runs)
				cs := []string{row.Test, p, n, row.Target, formatOps(m.RPS), formatMs(m.P50Ms), formatMs(m.P99Ms)}
				if r.Tail {
					cs = append(cs, formatMs(m.P999Ms))
				}
				cs = append(cs, formatCPU(m.CPUUsPerOp))
				if r.Routed {
					cs = append(cs, strconv.FormatFloat(m.RoutedPct, 'f', 2, 64))
				}
				tw.row(cs...)
				medians[row.Target] = m
			}
		}
		test, pipeline := r.Rows[g[0]].Test, strconv.Itoa(r.Rows[g[0]].Pipeline)
		for _, q := range r.Ratios {
			if !present[q.Num] || !present[q.Den] {
				continue
			}
			v, cpu := "-", ""
			num, okN := medians[q.Num]
			den, okD := medians[q.Den]
			if okN && okD {
				v = ratio(num.RPS, den.RPS)
				if num.CPUUsPerOp > 0 && den.CPUUsPerOp > 0 {
					cpu = ratio(num.CPUUsPerOp, den.CPUUsPerOp)
				}
			}
			cs := cells("", test, pipeline, "", q.Num+"/"+q.Den, v)
			cs[slices.Index(head, "CPU us/op")] = cpu
			tw.row(cs...)
		}
	}
	if err := tw.writeTo(w); err != nil {
		return err
	}
	return writeFailures(w, failures)
}

// WriteBenchstat prints every repetition as one benchmark line, so benchstat
// computes its own medians and confidence intervals; compare the targets
// with `benchstat -col /target`. Failed rows are left out.
func (r *ThroughputReport) WriteBenchstat(w io.Writer) error {
	for _, row := range r.Rows {
		name := benchName(r.Bench, "test", row.Test, "pipeline", strconv.Itoa(row.Pipeline), "target", row.Target)
		for _, res := range row.Runs {
			if res.RPS <= 0 {
				continue
			}
			line := fmt.Sprintf("%s\t%d\t%.1f ns/op\t%.0f ops/s\t%.3f p50-ms\t%.3f p99-ms",
				name, row.Requests, 1e9/res.RPS, res.RPS, res.P50Ms, res.P99Ms)
			if r.Tail {
				line += fmt.Sprintf("\t%.3f p99.9-ms", res.P999Ms)
			}
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteTable prints, for each checkpoint, every target's RSS, its growth since
// the empty server and that growth per key; then a ratio row of every other
// target's RSS over the baseline's. Growth per key that stays flat from
// checkpoint to checkpoint means memory grows in proportion to the data.
func (r *MemoryReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "\nMemory: distinct keys with %d-byte values, RSS (VmRSS) after loading\n", r.ValueSize)
	tw := newTable()
	tw.row("keys", "target", "RSS MiB", "growth MiB", "bytes/key")
	empty := map[string]int64{} // target -> RSS with no keys
	for _, row := range r.Rows {
		if row.Keys == 0 && row.Err == nil {
			empty[row.Target] = row.RSS
		}
	}
	var failures []string
	groups := rowGroups(len(r.Rows), func(i int) string { return strconv.Itoa(r.Rows[i].Keys) })
	for _, g := range groups {
		var base *MemoryRow
		for _, i := range g {
			row := r.Rows[i]
			k := strconv.Itoa(row.Keys)
			if row.Err != nil {
				failures = append(failures, fmt.Sprintf("%s: %v", row.Target, row.Err))
				if !row.Partial {
					tw.row(k, row.Target, "FAILED", "-", "-")
					continue
				}
			}
			growth, perKey := "-", "-"
			if e, ok := empty[row.Target]; ok && row.Keys > 0 {
				growth = formatMiB(row.RSS - e)
				perKey = strconv.FormatInt((row.RSS-e)/int64(row.Keys), 10)
			}
			tw.row(k, row.Target, formatMiB(row.RSS), growth, perKey)
			if row.Target == r.Baseline {
				base = &r.Rows[i]
			}
		}
		for _, i := range g {
			row := r.Rows[i]
			if base == nil || row.Target == r.Baseline {
				continue
			}
			q := "-"
			if row.Err == nil || row.Partial {
				q = ratio(float64(row.RSS), float64(base.RSS))
			}
			tw.row(strconv.Itoa(row.Keys), row.Target+"/"+r.Baseline, q, "", "")
		}
	}
	if err := tw.writeTo(w); err != nil {
		return err
	}
	return writeFailures(w, failures)
}

// WriteBenchstat prints one line per target and checkpoint: RSS in bytes and,
// past the empty server, growth per key.
func (r *MemoryReport) WriteBenchstat(w io.Writer) error {
	empty := map[string]int64{}
	for _, row := range r.Rows {
		if row.Keys == 0 && row.Err == nil {
			empty[row.Target] = row.RSS
		}
	}
	for _, row := range r.Rows {
		if row.Err != nil {
			continue // a partial row's key count matches no other run
		}
		line := fmt.Sprintf("%s\t1\t%d rss-B", benchName("Memory", "keys", strconv.Itoa(row.Keys), "target", row.Target), row.RSS)
		if e, ok := empty[row.Target]; ok && row.Keys > 0 {
			line += fmt.Sprintf("\t%d B/key", (row.RSS-e)/int64(row.Keys))
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

func writeFailures(w io.Writer, failures []string) error {
	for _, f := range failures {
		if _, err := fmt.Fprintf(w, "  failed: %s\n", f); err != nil {
			return err
		}
	}
	return nil
}
