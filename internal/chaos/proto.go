package chaos

import (
	"fmt"
	"strconv"
	"strings"
)

// The parsers of the DYNAGO admin replies the harness reads. They take the
// reply as go-redis decodes it, so they are tested without a server.

// member is one line of DYNAGO NODES.
type member struct {
	Name   string
	Addr   string
	State  string // alive, suspect, dead, left
	InRing bool
}

// parseNodes reads DYNAGO NODES: one line per node,
// "name addr state partitions=N flags", flags comma-separated or "-".
func parseNodes(text string) ([]member, error) {
	var out []member
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 5 {
			return nil, fmt.Errorf("DYNAGO NODES line %q: want 5 fields", line)
		}
		m := member{Name: f[0], Addr: f[1], State: f[2], InRing: true}
		for _, flag := range strings.Split(f[4], ",") {
			if flag == "not-in-ring" {
				m.InRing = false
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// parseStatus reads DYNAGO STATUS: "name:value" lines.
func parseStatus(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// parseRing reads DYNAGO RING: one string per partition, "p owner,owner,...".
func parseRing(lines []string) (map[int][]string, error) {
	out := make(map[int][]string, len(lines))
	for _, line := range lines {
		ps, owners, _ := strings.Cut(strings.TrimSpace(line), " ")
		p, err := strconv.Atoi(ps)
		if err != nil {
			return nil, fmt.Errorf("DYNAGO RING line %q: %v", line, err)
		}
		if owners != "" {
			out[p] = strings.Split(owners, ",")
		} else {
			out[p] = nil
		}
	}
	return out, nil
}

// parseTrees reads DYNAGO TREES: a flat array partition, root, partition,
// root, ... (the partition as an integer or a string).
func parseTrees(reply []any) (map[int]string, error) {
	if len(reply)%2 != 0 {
		return nil, fmt.Errorf("DYNAGO TREES: %d elements, want pairs", len(reply))
	}
	out := make(map[int]string, len(reply)/2)
	for i := 0; i < len(reply); i += 2 {
		var p int
		switch v := reply[i].(type) {
		case int64:
			p = int(v)
		case string:
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("DYNAGO TREES: partition %q: %v", v, err)
			}
			p = n
		default:
			return nil, fmt.Errorf("DYNAGO TREES: partition of type %T", reply[i])
		}
		root, ok := reply[i+1].(string)
		if !ok {
			return nil, fmt.Errorf("DYNAGO TREES: root of type %T", reply[i+1])
		}
		out[p] = root
	}
	return out, nil
}

// parseVersions reads a VGET or DYNAGO LOCAL reply: [context, value...], or
// an empty array when the node holds no record.
func parseVersions(reply []any) (Reply, error) {
	if len(reply) == 0 {
		return Reply{}, nil
	}
	values := make([]string, 0, len(reply)-1)
	for _, v := range reply[1:] {
		s, ok := v.(string)
		if !ok {
			return Reply{}, fmt.Errorf("value of type %T", v)
		}
		values = append(values, s)
	}
	return Reply{Found: len(values) > 0, Values: values}, nil
}
