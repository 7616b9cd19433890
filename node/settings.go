package node

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// settings answers CONFIG GET and CONFIG SET for the node's own settings.
// The ones safe to change while running are the default quorums and the log
// level; the rest are shown for operators and changed by a restart.
type settings struct{ n *Node }

func (s settings) Values() [][2]string {
	c := s.n.cfg
	r, w := s.n.coord.Quorums()
	level := "info"
	if c.LogLevel != nil {
		level = strings.ToLower(c.LogLevel.Level().String())
	}
	return [][2]string{
		{"replicas", strconv.Itoa(c.Replicas)},
		{"read-quorum", strconv.Itoa(r)},
		{"write-quorum", strconv.Itoa(w)},
		{"partitions", strconv.Itoa(c.Partitions)},
		{"strict-quorum", yesNo(c.StrictQuorum)},
		{"hint-interval", c.HintInterval.String()},
		{"anti-entropy-interval", c.AntiEntropyInterval.String()},
		{"tombstone-grace", c.Engine.TombstoneGrace.String()},
		{"disk-reserve-bytes", strconv.FormatInt(s.n.eng.DiskHealth().ReserveBytes, 10)},
		{"transfer-rate", strconv.Itoa(c.TransferRate)},
		{"gossip-addr", c.GossipAddr},
		{"peer-addr", c.PeerAddr},
		{"metrics-addr", s.n.MetricsAddr()},
		{"log-level", level},
		{"loglevel", redisLevel(level)},
	}
}

func (s settings) Prepare(name, value string) (func(), bool, error) {
	switch name {
	case "read-quorum", "write-quorum":
		v, err := strconv.Atoi(value)
		if err != nil || v < 1 || v > s.n.cfg.Replicas {
			return nil, true, fmt.Errorf("argument must be between 1 and %d (the replicas) inclusive", s.n.cfg.Replicas)
		}
		return func() {
			r, w := s.n.coord.Quorums()
			if name == "read-quorum" {
				r = v
			} else {
				w = v
			}
			s.n.coord.SetQuorums(r, w)
			slog.Info("default quorums changed", "r", r, "w", w)
		}, true, nil
	case "disk-reserve-bytes":
		v, err := strconv.ParseInt(value, 10, 64)
		if err != nil || v < 0 {
			return nil, true, fmt.Errorf("argument must be a number of bytes, 0 or more")
		}
		return func() {
			s.n.eng.SetDiskReserve(v)
			slog.Info("disk reserve changed", "bytes", v)
		}, true, nil
	case "log-level", "loglevel":
		if s.n.cfg.LogLevel == nil {
			return nil, false, nil
		}
		var level slog.Level
		text := map[string]string{"verbose": "debug", "notice": "info", "warning": "warn"}[strings.ToLower(value)]
		if text == "" {
			text = value
		}
		if err := level.UnmarshalText([]byte(text)); err != nil {
			return nil, true, fmt.Errorf("argument must be debug, info, warn or error")
		}
		return func() { s.n.cfg.LogLevel.Set(level) }, true, nil
	}
	return nil, false, nil
}

// redisLevel names a log level as Redis's loglevel setting does.
func redisLevel(level string) string {
	switch level {
	case "debug":
		return "debug"
	case "warn", "error":
		return "warning"
	}
	return "notice"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
