package forecast

import "math"

// reduceAugmented solves the small linear system whose augmented n × (n+1) matrix is m, in place, by
// Gauss–Jordan elimination with partial pivoting: afterwards the solution's i-th value is
// m[i][n] / m[i][i]. It reports false, leaving m half reduced, when a pivot is below 1e-12 (the system
// is singular or nearly so).
func reduceAugmented(m [][]float64) bool {
	n := len(m)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return false
		}
		m[c], m[p] = m[p], m[c]
		for r := range n {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for j := c; j <= n; j++ {
				m[r][j] -= f * m[c][j]
			}
		}
	}
	return true
}
