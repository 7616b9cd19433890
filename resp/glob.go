package resp

// globMatch reports whether s matches the Redis glob pattern p: '*' any run,
// '?' one byte, '[...]' a class with ranges and '^' negation, '\' escapes.
// It backtracks only to the last '*', so it runs in O(len(p)*len(s)).
func globMatch(p, s []byte) bool {
	var starP, starS = -1, 0
	pi, si := 0, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				for pi < len(p) && p[pi] == '*' {
					pi++
				}
				if pi == len(p) {
					return true
				}
				starP, starS = pi, si
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if n, ok := matchClass(p[pi:], s[si]); n > 0 {
					if ok {
						pi += n
						si++
						continue
					}
				} else if s[si] == '[' { // an unterminated class matches itself
					pi++
					si++
					continue
				}
			case '\\':
				if pi+1 < len(p) {
					if p[pi+1] == s[si] {
						pi += 2
						si++
						continue
					}
				} else if s[si] == '\\' {
					pi++
					si++
					continue
				}
			default:
				if p[pi] == s[si] {
					pi++
					si++
					continue
				}
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

// matchClass matches byte c against the class at the start of p ("[...]").
// It returns the class's length (0 if unterminated) and whether c is in it.
func matchClass(p []byte, c byte) (int, bool) {
	i := 1
	neg := false
	if i < len(p) && p[i] == '^' {
		neg = true
		i++
	}
	match := false
	for ; i < len(p) && p[i] != ']'; i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			i++
			if p[i] == c {
				match = true
			}
		case i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']':
			lo, hi := p[i], p[i+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo <= c && c <= hi {
				match = true
			}
			i += 2
		default:
			if p[i] == c {
				match = true
			}
		}
	}
	if i >= len(p) {
		return 0, false
	}
	return i + 1, match != neg
}
