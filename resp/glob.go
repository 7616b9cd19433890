package resp

// globMatch reports whether s matches the Redis glob pattern p exactly as
// Redis's stringmatchlen does: '*' any run, '?' one byte, '[...]' a class
// with ranges and '^' negation, '\' escapes. Redis's quirks are kept on
// purpose, since clients compare KEYS and SCAN answers across servers: an
// unterminated class runs to the end of the pattern ("[ab" is the class
// {a,b}), a range's end may be ']' ("[a-]" is the range ']'..'a'), and the
// empty string matches only the empty pattern (KEYS and SCAN treat a lone
// "*" as "everything" before matching, as Redis does).
//
// Redis also guards its recursive matcher against abusive patterns: each
// '*' run it meets recurses one level deeper, and past 1000 levels the
// match fails. A match passes every '*' run but a trailing one, so a
// pattern with more than 1000 other runs matches nothing there, and so
// here ("*?" repeated 50000 times finds no key, however long).
//
// Every token other than '*' consumes exactly one byte, so backtracking to
// the last '*' is enough: it runs in O(len(p)*len(s)).
func globMatch(p, s []byte) bool {
	if len(s) == 0 {
		return len(p) == 0
	}
	if starRuns(p) > maxStarNesting {
		return false
	}
	starP, starS := -1, 0
	pi, si := 0, 0
	for si < len(s) {
		if pi < len(p) {
			if p[pi] == '*' {
				for pi < len(p) && p[pi] == '*' {
					pi++
				}
				if pi == len(p) {
					return true
				}
				starP, starS = pi, si
				continue
			}
			if n, ok := matchToken(p[pi:], s[si]); ok {
				pi += n
				si++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// maxStarNesting is the depth of '*' runs past which Redis's matcher gives
// up (stringmatchlen's "nesting > 1000").
const maxStarNesting = 1000

// starRuns counts the runs of '*' in p that are not at its end (a '*'
// escaped or inside a class is a literal).
func starRuns(p []byte) int {
	n := 0
	for i := 0; i < len(p); {
		if p[i] != '*' {
			k, _ := matchToken(p[i:], 0)
			i += k
			continue
		}
		for i < len(p) && p[i] == '*' {
			i++
		}
		if i < len(p) {
			n++
		}
	}
	return n
}

// matchToken matches byte c against the non-'*' token at the start of p
// (which is not empty). It returns the token's length and whether c matches.
func matchToken(p []byte, c byte) (int, bool) {
	switch p[0] {
	case '?':
		return 1, true
	case '\\':
		if len(p) >= 2 {
			return 2, p[1] == c
		}
		return 1, c == '\\'
	case '[':
		return matchClass(p, c)
	}
	return 1, p[0] == c
}

// matchClass matches c against the class at the start of p ("[...]"),
// following Redis's parse: a class without ']' ends with the pattern.
func matchClass(p []byte, c byte) (int, bool) {
	i := 1
	neg := false
	if i < len(p) && p[i] == '^' {
		neg = true
		i++
	}
	match := false
	for {
		rem := len(p) - i
		if rem >= 2 && p[i] == '\\' {
			i++
			if p[i] == c {
				match = true
			}
		} else if rem > 0 && p[i] == ']' {
			break
		} else if rem == 0 {
			i-- // the class ends with the pattern
			break
		} else if rem >= 3 && p[i+1] == '-' {
			lo, hi := p[i], p[i+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo <= c && c <= hi {
				match = true
			}
			i += 2
		} else if p[i] == c {
			match = true
		}
		i++
	}
	return i + 1, match != neg
}
