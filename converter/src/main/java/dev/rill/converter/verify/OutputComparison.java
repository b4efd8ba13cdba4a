package dev.rill.converter.verify;

/**
 * How far one ONNX output is from Rill's.
 *
 * @param name the ONNX output's name
 * @param elements how many values were compared
 * @param maxAbsError the largest |onnx - rill|
 * @param maxRelError the largest |onnx - rill| / max(|onnx|, |rill|), over the values where that maximum is at
 *     least {@link #RELATIVE_FLOOR} (below it, relative error says nothing)
 * @param mismatches how many values fail |onnx - rill| &lt;= atol + rtol * |rill| for the verifier's tolerances
 */
public record OutputComparison(String name, long elements, double maxAbsError, double maxRelError,
    long mismatches) {

  /** Values smaller than this in magnitude are left out of the relative error. */
  public static final double RELATIVE_FLOOR = 1e-6;

  /**
   * Compares two arrays of the same length.
   *
   * @param name the output's name
   * @param onnx the values ONNX Runtime computed
   * @param rill the values Rill computed
   * @param rtol relative tolerance for {@code mismatches}
   * @param atol absolute tolerance for {@code mismatches}
   * @return the comparison
   * @throws IllegalArgumentException if the lengths differ
   */
  public static OutputComparison of(String name, float[] onnx, float[] rill, double rtol, double atol) {
    if (onnx.length != rill.length) {
      throw new IllegalArgumentException("output '" + name + "': ONNX Runtime gave " + onnx.length
          + " values, Rill " + rill.length);
    }
    double maxAbs = 0;
    double maxRel = 0;
    long mismatches = 0;
    for (int i = 0; i < onnx.length; i++) {
      double a = onnx[i];
      double b = rill[i];
      if (Double.isNaN(a) && Double.isNaN(b)) {
        continue; // both NaN: the same result
      }
      double diff = a == b ? 0 : Math.abs(a - b); // a == b also for equal infinities
      if (Double.isNaN(diff)) {
        diff = Double.POSITIVE_INFINITY; // one NaN, or infinities of opposite signs
      }
      maxAbs = Math.max(maxAbs, diff);
      double scale = Math.max(Math.abs(a), Math.abs(b));
      if (scale >= RELATIVE_FLOOR) {
        maxRel = Math.max(maxRel, diff / scale);
      }
      if (!(diff <= atol + rtol * Math.abs(b))) {
        mismatches++;
      }
    }
    return new OutputComparison(name, onnx.length, maxAbs, maxRel, mismatches);
  }

  /**
   * Tells whether every value is within the tolerances.
   *
   * @return true when there is no mismatch
   */
  public boolean passed() {
    return mismatches == 0;
  }
}
