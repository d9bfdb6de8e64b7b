/**
 * Neumaier's compensated summation. The Wasserstein integral adds up to one
 * term per distinct value (millions); plain summation would lose up to
 * log10(n) digits and the comparison with scipy would depend on data order.
 */
export class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  add(term: number): void {
    const next = this.sum + term;
    if (Math.abs(this.sum) >= Math.abs(term)) this.compensation += this.sum - next + term;
    else this.compensation += term - next + this.sum;
    this.sum = next;
  }

  get value(): number {
    return this.sum + this.compensation;
  }
}
