/* rank: Spearman's rank correlation, for audits that ask whether one score orders things as another
 * does (the pixel planner's energies against the simulator's costs). */
#ifndef NUDGE_BASE_RANK_H
#define NUDGE_BASE_RANK_H

/// the ranks of x[n] (0-based, ascending; ties share the mean of their ranks) in r[n]
void   rank_of(const double* x, int n, double* r);
/// Spearman's rank correlation of a[n] and b[n]: the Pearson correlation of their ranks, in [-1, 1];
/// NAN when n < 2 or either is constant (no order to compare)
double rank_correlation(const double* a, const double* b, int n);

#endif
