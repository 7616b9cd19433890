package simcluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/dynago/dynago/coordinator"
	"github.com/dynago/dynago/counter"
	"github.com/dynago/dynago/op"
	"github.com/dynago/dynago/version"
	"github.com/redis/go-redis/v9"
)

// Do runs one command on the node and answers it as go-redis's Client.Do
// would over a RESP2 connection: a string for a simple or bulk string, an
// int64, a []any, redis.Nil for a null, an Error for an error reply. Tests
// can then share their helpers between simulated nodes and real clients.
//
// A simulated node serves no client port (its RESP server's connections
// would wait on sockets, which stops the fake clock), so Do stands in for
// the RESP front door for the commands listed in Commands: each makes the
// call resp's handler for it makes — an operation through
// coordinator.Coordinator.Do (which routes it to the key's coordinator, as
// for any client), a quorum read, or a question to the node's Admin — and
// writes the reply resp would. Argument parsing beyond these forms, and
// everything else of resp, is tested against real connections.
func (sn *Node) Do(ctx context.Context, args ...any) *redis.Cmd {
	cmd := redis.NewCmd(ctx, args...)
	if sn.Node == nil {
		cmd.SetErr(fmt.Errorf("simcluster: %s is stopped", sn.Name()))
		return cmd
	}
	argv := make([]string, len(args))
	for i, a := range args {
		argv[i] = fmt.Sprint(a)
	}
	v, err := sn.do(ctx, argv)
	switch {
	case err != nil:
		var re redis.Error
		if !errors.As(err, &re) {
			err = Error(err.Error())
		}
		cmd.SetErr(err)
	case v == nil:
		cmd.SetErr(redis.Nil)
	default:
		cmd.SetVal(v)
	}
	return cmd
}

// Commands are the commands Do runs, in the forms it accepts.
var Commands = []string{
	"GET key", "SET key value", "DEL key [key ...]", "INCR key", "INCRBY key n", "DECRBY key n",
	"HSET key field value [field value ...]", "HDEL key field [field ...]", "HINCRBY key field n", "HGETALL key",
	"SADD key member [member ...]", "SREM key member [member ...]", "SMEMBERS key",
	"VGET key", "VSET key context value", "INFO cluster",
	"DYNAGO STATUS", "DYNAGO LOCAL key", "DYNAGO PREFLIST key", "DYNAGO TREES",
	"DYNAGO JOIN addr", "DYNAGO LEAVE", "DYNAGO REMOVE name",
}

// Error is an error reply. Like go-redis's, it is a redis.Error.
type Error string

func (e Error) Error() string { return string(e) }

// RedisError marks Error as a reply of the server, not a failure to get one.
func (Error) RedisError() {}

func (sn *Node) do(ctx context.Context, args []string) (any, error) {
	if len(args) == 0 {
		return nil, Error("ERR empty command")
	}
	name := strings.ToUpper(args[0])
	if name == "DYNAGO" && len(args) > 1 {
		name += " " + strings.ToUpper(args[1])
		args = args[1:]
	}
	n := sn.Node
	coord, admin := n.Coordinator(), n.Admin()
	want := func(k int) error {
		if len(args) != k {
			return Error(fmt.Sprintf("ERR simcluster: %s takes %d arguments here (see Commands)", name, k-1))
		}
		return nil
	}
	write := func(o op.Op) (op.Result, error) {
		return coord.Do(ctx, &o, coordinator.Options{})
	}
	switch name {
	case "GET":
		if err := want(2); err != nil {
			return nil, err
		}
		o, ok, err := coord.Read(ctx, []byte(args[1]), coordinator.Options{})
		if err != nil || !ok {
			return nil, err
		}
		v, found, err := op.Resolve(o, coord.Now().UnixMilli())
		if err != nil || !found {
			return nil, err
		}
		return string(v.Bytes), nil
	case "SET":
		if err := want(3); err != nil {
			return nil, err
		}
		if _, err := write(op.Op{Code: op.Set, Key: []byte(args[1]), Value: []byte(args[2])}); err != nil {
			return nil, err
		}
		return "OK", nil
	case "DEL":
		if len(args) < 2 {
			return nil, want(2)
		}
		var deleted int64
		for _, k := range args[1:] {
			res, err := write(op.Op{Code: op.Del, Key: []byte(k)})
			if err != nil {
				return nil, err
			}
			if res.Wrote {
				deleted++
			}
		}
		return deleted, nil
	case "INCR", "INCRBY", "DECRBY":
		delta := int64(1)
		if name != "INCR" {
			if err := want(3); err != nil {
				return nil, err
			}
			d, err := strconv.ParseInt(args[2], 10, 64)
			if err != nil {
				return nil, Error("ERR value is not an integer or out of range")
			}
			if delta = d; name == "DECRBY" {
				delta = -d
			}
		} else if err := want(2); err != nil {
			return nil, err
		}
		res, err := write(op.Op{Code: op.IncrBy, Key: []byte(args[1]), Int: delta})
		if err != nil {
			return nil, err
		}
		return strconv.ParseInt(res.Text, 10, 64)
	case "ZADD", "ZREM", "ZINCRBY":
		if len(args) < 3 || name == "ZADD" && len(args)%2 != 0 || name == "ZINCRBY" && len(args) != 4 {
			return nil, Error("ERR simcluster: wrong number of arguments for " + name)
		}
		o := op.Op{Code: op.ZRem, Key: []byte(args[1])}
		switch name {
		case "ZADD":
			o.Code = op.ZAdd
			for i := 2; i < len(args); i += 2 {
				s, err := strconv.ParseFloat(args[i], 64)
				if err != nil {
					return nil, Error("ERR value is not a valid float")
				}
				o.Fields, o.Values = append(o.Fields, []byte(args[i+1])), append(o.Values, op.ScoreBytes(s))
			}
		case "ZINCRBY":
			d, err := strconv.ParseFloat(args[2], 64)
			if err != nil {
				return nil, Error("ERR value is not a valid float")
			}
			o.Code, o.Fields, o.Float = op.ZIncrBy, [][]byte{[]byte(args[3])}, d
		default:
			for _, m := range args[2:] {
				o.Fields = append(o.Fields, []byte(m))
			}
		}
		res, err := write(o)
		if err != nil {
			return nil, err
		}
		if name == "ZINCRBY" {
			return res.Text, nil
		}
		return res.N, nil
	case "ZRANGE":
		// Only ZRANGE key 0 -1 WITHSCORES: the whole sorted set in order.
		if len(args) != 5 || args[2] != "0" || args[3] != "-1" || !strings.EqualFold(args[4], "withscores") {
			return nil, Error("ERR simcluster: only ZRANGE key 0 -1 WITHSCORES")
		}
		z, err := readZSet(ctx, coord, args[1])
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, 2*len(z))
		for _, m := range z {
			out = append(out, string(m.Member), op.FormatScore(m.Score))
		}
		return out, nil
	case "PFADD":
		if len(args) < 2 {
			return nil, Error("ERR simcluster: wrong number of arguments for PFADD")
		}
		o := op.Op{Code: op.PFAdd, Key: []byte(args[1])}
		for _, e := range args[2:] {
			o.Fields = append(o.Fields, []byte(e))
		}
		res, err := write(o)
		if err != nil {
			return nil, err
		}
		return res.N, nil
	case "PFCOUNT":
		if err := want(2); err != nil {
			return nil, err
		}
		o, found, err := coord.Read(ctx, []byte(args[1]), coordinator.Options{})
		if err != nil || !found {
			return int64(0), err
		}
		v, live, err := op.Resolve(o, coord.Now().UnixMilli())
		if err != nil || !live {
			return int64(0), err
		}
		sk, err := op.DecodeHLL(v.Bytes)
		if err != nil {
			return nil, err
		}
		return int64(sk.Count()), nil
	case "SETBIT":
		if err := want(4); err != nil {
			return nil, err
		}
		off, err1 := strconv.ParseInt(args[2], 10, 64)
		bit, err2 := strconv.Atoi(args[3])
		if err1 != nil || err2 != nil || bit < 0 || bit > 1 {
			return nil, Error("ERR bit offset or bit is not an integer or out of range")
		}
		res, err := write(op.Op{Code: op.SetBit, Key: []byte(args[1]), Int: off, Value: []byte{byte(bit)}, MaxValue: 1 << 20})
		if err != nil {
			return nil, err
		}
		return res.N, nil
	case "HSET", "HDEL", "HINCRBY", "SADD", "SREM":
		if len(args) < 3 || name == "HSET" && len(args)%2 != 0 || name == "HINCRBY" && len(args) != 4 {
			return nil, Error("ERR simcluster: wrong number of arguments for " + name)
		}
		o := op.Op{Code: op.HSet, Key: []byte(args[1])}
		switch name {
		case "SADD", "SREM":
			o.Code = op.SAdd
			if name == "SREM" {
				o.Code = op.SRem
			}
			for _, m := range args[2:] {
				o.Fields = append(o.Fields, []byte(m))
			}
		case "HSET":
			for i := 2; i < len(args); i += 2 {
				o.Fields, o.Values = append(o.Fields, []byte(args[i])), append(o.Values, []byte(args[i+1]))
			}
		case "HDEL":
			o.Code = op.HDel
			for _, f := range args[2:] {
				o.Fields = append(o.Fields, []byte(f))
			}
		case "HINCRBY":
			d, err := strconv.ParseInt(args[3], 10, 64)
			if err != nil {
				return nil, Error("ERR value is not an integer or out of range")
			}
			o.Code, o.Fields, o.Int = op.HIncrBy, [][]byte{[]byte(args[2])}, d
		}
		res, err := write(o)
		if err != nil {
			return nil, err
		}
		if name == "HINCRBY" {
			return strconv.ParseInt(res.Text, 10, 64)
		}
		return res.N, nil
	case "HGETALL", "SMEMBERS":
		if err := want(2); err != nil {
			return nil, err
		}
		typ := op.TypeHash
		if name == "SMEMBERS" {
			typ = op.TypeSet
		}
		fields, err := readCollection(ctx, coord, typ, args[1])
		if err != nil {
			return nil, err
		}
		names := slices.Sorted(maps.Keys(fields))
		out := make([]any, 0, 2*len(names))
		for _, f := range names {
			out = append(out, f)
			if typ == op.TypeHash {
				out = append(out, string(fields[f]))
			}
		}
		return out, nil
	case "VGET":
		if err := want(2); err != nil {
			return nil, err
		}
		o, _, err := coord.Read(ctx, []byte(args[1]), coordinator.Options{})
		if err != nil {
			return nil, err
		}
		return versions(o, coord.Now().UnixMilli())
	case "VSET":
		if err := want(4); err != nil {
			return nil, err
		}
		clock, err := version.DecodeContext(args[2])
		if err != nil {
			return nil, Error("ERR invalid context")
		}
		if _, err := write(op.Op{Code: op.VSet, Key: []byte(args[1]), Context: clock, Value: []byte(args[3])}); err != nil {
			return nil, err
		}
		return "OK", nil
	case "INFO":
		if err := want(2); err != nil || !strings.EqualFold(args[1], "cluster") {
			return nil, Error("ERR simcluster: only INFO cluster")
		}
		// The fields of resp's INFO cluster that tests read: its read
		// repairs, then the node's status.
		var b strings.Builder
		b.WriteString("# Cluster\r\n")
		fmt.Fprintf(&b, "cluster_read_repairs:%d\r\n", coord.Stats().ReadRepairs())
		for _, kv := range admin.Status() {
			fmt.Fprintf(&b, "%s:%s\r\n", kv[0], kv[1])
		}
		return b.String(), nil
	case "DYNAGO STATUS":
		var b strings.Builder
		for _, kv := range admin.Status() {
			fmt.Fprintf(&b, "%s:%s\r\n", kv[0], kv[1])
		}
		return b.String(), nil
	case "DYNAGO LOCAL":
		if err := want(2); err != nil {
			return nil, err
		}
		o, found, err := coord.Local([]byte(args[1]))
		if err != nil {
			return nil, err
		}
		if !found {
			return []any{}, nil
		}
		return versions(o, coord.Now().UnixMilli())
	case "DYNAGO PREFLIST":
		if err := want(2); err != nil {
			return nil, err
		}
		p, owners, fallbacks := admin.Preflist([]byte(args[1]))
		return []any{int64(p), strs(owners), strs(fallbacks)}, nil
	case "DYNAGO TREES":
		var out []any
		for _, r := range admin.Trees() {
			out = append(out, int64(r.Partition), fmt.Sprintf("%016x", r.Root))
		}
		return out, nil
	case "DYNAGO JOIN":
		if err := want(2); err != nil {
			return nil, err
		}
		if err := admin.Join(args[1]); err != nil {
			return nil, Error("ERR join failed: " + err.Error())
		}
		return "OK", nil
	case "DYNAGO LEAVE":
		if err := admin.Leave(); err != nil {
			return nil, Error("ERR leave failed: " + err.Error())
		}
		return "OK", nil
	case "DYNAGO REMOVE":
		if err := want(2); err != nil {
			return nil, err
		}
		if err := admin.Remove(args[1]); err != nil {
			return nil, Error("ERR remove failed: " + err.Error())
		}
		return "OK", nil
	}
	return nil, Error(fmt.Sprintf("ERR simcluster runs only %s, not %s", strings.Join(Commands, ", "), name))
}

// versions answers an object as VGET and DYNAGO LOCAL do: its context, then
// the value of each live sibling (a counter rendered).
func versions(o version.Object, nowMs int64) ([]any, error) {
	out := []any{version.EncodeContext(o.Clock)}
	for _, s := range o.Live(nowMs) {
		v := string(s.Value)
		if s.Kind == version.KindCounter {
			st, err := counter.Decode(s.Value)
			if err != nil {
				return nil, err
			}
			v = st.String()
		}
		out = append(out, v)
	}
	return out, nil
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// readZSet reads key's sorted set in Redis's order as resp's ZRANGE does:
// through the coordinator's score index where it serves the read
// (WalkZSet: where R owners' records agree with its own), else whole at
// quorum.
func readZSet(ctx context.Context, coord *coordinator.Coordinator, key string) ([]op.ScoredMember, error) {
	hdr, found, err := coord.Read(ctx, []byte(key), coordinator.Options{})
	if err != nil {
		return nil, err
	}
	var z []op.ScoredMember
	if v, live, _ := op.Resolve(hdr, coord.Now().UnixMilli()); found && live && v.Type == op.TypeZSet && v.Collection != nil {
		served, err := coord.WalkZSet(ctx, []byte(key), v.Collection, coordinator.Options{}, false, nil, func(m op.ScoredMember) bool {
			z = append(z, m)
			return true
		})
		if err != nil || served {
			return z, err
		}
	}
	scores, err := readCollection(ctx, coord, op.TypeZSet, key)
	if err != nil {
		return nil, err
	}
	z = z[:0]
	for m, b := range scores {
		s, _ := op.ScoreOf(b)
		z = append(z, op.ScoredMember{Member: []byte(m), Score: s})
	}
	slices.SortFunc(z, op.CompareScored)
	return z, nil
}

// readCollection reads key's whole hash, set or sorted set (typ) at quorum,
// resolved to its live elements.
func readCollection(ctx context.Context, coord *coordinator.Coordinator, typ op.Type, key string) (map[string][]byte, error) {
	hdr, found, err := coord.Read(ctx, []byte(key), coordinator.Options{})
	if err != nil {
		return nil, err
	}
	var recs map[string]version.Object
	if found {
		if recs, err = coord.ReadElements(ctx, []byte(key), coordinator.Options{}); err != nil {
			return nil, err
		}
	}
	return op.ResolveCollection(typ, hdr, found, recs, coord.Now().UnixMilli())
}
