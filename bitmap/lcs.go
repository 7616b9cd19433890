package bitmap

import (
	"math"
	"math/bits"
)

// LCSArgs is a parsed LCS.
type LCSArgs struct {
	length       bool  // LEN: answer only the length
	idx          bool  // IDX: answer the matching ranges
	withMatchLen bool  // WITHMATCHLEN: each range with its length
	minMatchLen  int64 // MINMATCHLEN: leave out shorter ranges
	err          error // the options' error, reported after the lookup
}

// ParseLCS parses LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len]
// [WITHMATCHLEN]; args are those after the two keys.
//
// LCS is the one command that reads its keys before anything else: if either
// holds something other than a string the caller answers ErrLCSNotString
// (not WRONGTYPE), whatever the options are; a missing key is an empty
// string. So parsing cannot fail here; an error is kept and LCS returns it.
// Redis's order, after the lookup: the options left to right (an unknown one,
// or MINMATCHLEN without its argument, is ErrSyntax; a MINMATCHLEN that is
// not an integer ErrNotInteger), then LEN with IDX (ErrLCSLenAndIdx), then
// the sizes (ErrLCSTooLong, ErrLCSAlloc, ErrLCSMemory).
func ParseLCS(args [][]byte) LCSArgs {
	var a LCSArgs
	for i := 0; i < len(args); i++ {
		switch opt := args[i]; {
		case keyword(opt, "idx"):
			a.idx = true
		case keyword(opt, "len"):
			a.length = true
		case keyword(opt, "withmatchlen"):
			a.withMatchLen = true
		case keyword(opt, "minmatchlen") && i+1 < len(args):
			n, ok := parseInt(args[i+1])
			if !ok {
				return LCSArgs{err: ErrNotInteger}
			}
			a.minMatchLen = max(n, 0)
			i++
		default:
			return LCSArgs{err: ErrSyntax}
		}
	}
	if a.idx && a.length {
		return LCSArgs{err: ErrLCSLenAndIdx}
	}
	return a
}

// LCSForm is the shape of LCS's reply.
type LCSForm int

const (
	// LCSString: a bulk string, the subsequence itself.
	LCSString LCSForm = iota
	// LCSLength (LEN): an integer, the subsequence's length.
	LCSLength
	// LCSIndexes (IDX): a map (a flat array in RESP2) of "matches", an
	// array of Matches, and "len", the subsequence's length.
	LCSIndexes
)

// Match is a run of consecutive bytes common to both strings, as LCS IDX
// answers it: [[A[0], A[1]], [B[0], B[1]]], followed by Len with
// WITHMATCHLEN.
type Match struct {
	A, B [2]int64 // the run's first and last byte positions in a and in b
	Len  int64
}

// LCSResult is LCS's reply.
type LCSResult struct {
	Form   LCSForm
	String []byte // LCSString: the longest common subsequence
	Len    int64  // LCSLength and LCSIndexes: its length
	// Matches (LCSIndexes) are the subsequence's runs from the strings' ends
	// to their starts, as Redis lists them, without those shorter than
	// MINMATCHLEN.
	Matches []Match
	// WithMatchLen (LCSIndexes): each match is answered with its Len.
	WithMatchLen bool
}

// LCS answers LCS over a and b (a missing key is an empty string) with the
// options a, after the caller checked that neither key holds another type.
// maxBytes is Redis's proto-max-bulk-len, which also bounds the
// (len(a)+1)*(len(b)+1)*4 bytes of the table LCS builds.
func LCS(a, b []byte, args LCSArgs, maxBytes int64) (LCSResult, error) {
	if args.err != nil {
		return LCSResult{}, args.err
	}
	if int64(len(a)) >= math.MaxUint32-1 || int64(len(b)) >= math.MaxUint32-1 {
		return LCSResult{}, ErrLCSTooLong
	}
	cells := uint64(len(a)+1) * uint64(len(b)+1)
	if hi, size := bits.Mul64(cells, 4); hi != 0 {
		return LCSResult{}, ErrLCSAlloc
	} else if size > uint64(max(maxBytes, 0)) {
		return LCSResult{}, ErrLCSMemory
	}
	t := newLCSTable(a, b)
	r := LCSResult{Len: int64(t.at(len(a), len(b)))}
	switch {
	case args.length:
		r.Form = LCSLength
	case args.idx:
		r.Form, r.WithMatchLen = LCSIndexes, args.withMatchLen
		_, r.Matches = t.walk(a, b, args.minMatchLen)
	default:
		r.String, _ = t.walk(a, b, 0)
	}
	return r, nil
}

// lcsTable holds, at (i, j), the length of the longest common subsequence
// of a[:i] and b[:j].
type lcsTable struct {
	cols  int // len(b)+1
	cells []uint32
}

func newLCSTable(a, b []byte) lcsTable {
	t := lcsTable{cols: len(b) + 1, cells: make([]uint32, (len(a)+1)*(len(b)+1))}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				t.cells[i*t.cols+j] = t.at(i-1, j-1) + 1
			default:
				t.cells[i*t.cols+j] = max(t.at(i-1, j), t.at(i, j-1))
			}
		}
	}
	return t
}

func (t lcsTable) at(i, j int) uint32 { return t.cells[i*t.cols+j] }

// walk follows the table back from the strings' ends, as Redis does, and
// returns the subsequence and its runs of at least minLen bytes (all runs
// for minLen 0). On a mismatch it steps back in a when that keeps the longer
// subsequence and in b otherwise; following Redis's tie-breaking exactly is
// what makes the same subsequence and ranges come out.
func (t lcsTable) walk(a, b []byte, minLen int64) ([]byte, []Match) {
	n := t.at(len(a), len(b))
	seq := make([]byte, n)
	var matches []Match
	var run Match // the run being extended backwards, if open
	open := false
	emit := func() {
		run.Len = run.A[1] - run.A[0] + 1
		if run.Len >= minLen {
			matches = append(matches, run)
		}
		open = false
	}
	// Invariant: an open run starts at (i, j), since every mismatch closes
	// the run, so each match extends it.
	for i, j := len(a), len(b); i > 0 && j > 0; {
		if a[i-1] == b[j-1] {
			n--
			seq[n] = a[i-1]
			i, j = i-1, j-1
			if !open {
				run, open = Match{A: [2]int64{int64(i), int64(i)}, B: [2]int64{int64(j), int64(j)}}, true
			}
			run.A[0], run.B[0] = int64(i), int64(j)
			if i == 0 || j == 0 {
				emit()
			}
			continue
		}
		if t.at(i-1, j) > t.at(i, j-1) {
			i--
		} else {
			j--
		}
		if open {
			emit()
		}
	}
	return seq, matches
}
