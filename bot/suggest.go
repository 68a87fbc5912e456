package bot

import (
	"fmt"
	"strings"
)

// Suggest returns a clause naming the closest candidate to s ("; did you
// mean x?"), else one listing the candidates ("; known: a, b", at most most
// of them followed by ", ..." when most > 0), else "" when there are none.
func Suggest(s string, candidates []string, most int) string {
	if best := Closest(s, candidates); best != "" {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	switch {
	case len(candidates) == 0:
		return ""
	case most > 0 && len(candidates) > most:
		return "; known: " + strings.Join(candidates[:most], ", ") + ", ..."
	}
	return "; known: " + strings.Join(candidates, ", ")
}

// suggest is Suggest with the core's cap of 12.
func suggest(s string, candidates []string) string { return Suggest(s, candidates, 12) }

// Closest returns the candidate nearest to s by edit distance, or "" when none
// is near enough to be a plausible typo.
func Closest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestD := "", 0
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := levenshtein(s, lc)
		if strings.HasPrefix(lc, s) && len(s) >= 2 {
			d = min(d, 1) // an unambiguous prefix is as good as one typo
		}
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(1, min(3, len([]rune(s))/3+1))
	if best == "" || bestD > limit {
		return ""
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return max(len(ra), len(rb)) // long garbage: not worth the quadratic work
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
